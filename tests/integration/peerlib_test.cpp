// peerlib against real `cachecluster agent` processes on 127.0.3.x: a
// subscriber receives the snapshot and every change, reconnects after the
// agent restarts, and falls back to local mode before the agent is up and after
// it dies; owners() spreads replicas over the zones the agents publish; the
// `owner` command agrees with the library.

#include <doctest/doctest.h>
#include <signal.h>

#include <mutex>
#include <set>
#include <sstream>

#include "integration/agent_cluster.hpp"
#include "peerlib/client.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

std::string ip(int i) { return "127.0.3." + std::to_string(i); }
std::string seed(int i) { return ip(i) + ":7946"; }

/// An agent n<i> on 127.0.3.<i> publishing cache port 8080 and zone z-<zone>.
std::unique_ptr<agent_proc> start_agent(const temp_dir& dir, int i, char zone,
                                        std::vector<std::string> join = {}) {
  auto cfg = dir / ("n" + std::to_string(i) + ".ini");
  test_support::write_file(cfg, "[cache]\nport = 8080\n[tags]\nzone = z-" + std::string(1, zone) + "\n");
  agent_spec s{"n" + std::to_string(i), ip(i), std::move(join), "", cfg.string(), ""};
  return std::make_unique<agent_proc>(dir, s);
}

/// Every view a background client publishes.
struct recorder {
  std::mutex mu;
  std::vector<std::shared_ptr<const peerlib::peer_set>> views;

  void operator()(const std::shared_ptr<const peerlib::peer_set>& v) {
    std::lock_guard<std::mutex> lk(mu);
    views.push_back(v);
  }
  std::vector<std::shared_ptr<const peerlib::peer_set>> all() {
    std::lock_guard<std::mutex> lk(mu);
    return views;
  }
};

std::set<std::string> names(const peerlib::peer_set& v) {
  std::set<std::string> out;
  for (const auto& p : v.peers()) out.insert(p.name);
  return out;
}

bool has_names(const peerlib::client& c, const std::set<std::string>& want) {
  auto v = c.current();
  return !v->local_mode() && names(*v) == want;
}

std::string describe_client(const peerlib::client& c) {
  auto st = c.status();
  auto v = c.current();
  std::ostringstream o;
  o << "client: connected=" << st.connected << " local=" << st.local_mode << " version=" << st.version
    << " snapshots=" << st.snapshots << " connects=" << st.connects
    << " failures=" << st.connect_failures << " error=" << st.last_error << " peers=";
  for (const auto& n : names(*v)) o << n << " ";
  return o.str() + "\n";
}

}  // namespace

TEST_CASE("peerlib: a subscriber gets the snapshot and every change; owners span zones") {
  temp_dir dir("peerlib");
  std::vector<std::unique_ptr<agent_proc>> agents;
  agents.push_back(start_agent(dir, 1, 'a'));
  agents.push_back(start_agent(dir, 2, 'b', {seed(1)}));
  agents.push_back(start_agent(dir, 3, 'c', {seed(1)}));
  REQUIRE(agents[0]->wait_up());

  peerlib::client_options opts;
  opts.socket_path = agents[0]->socket();
  opts.self.name = "n1";
  peerlib::client c(opts);
  recorder rec;
  REQUIRE(c.start(std::ref(rec)));

  bool three = test_support::wait_until([&] { return has_names(c, {"n1", "n2", "n3"}); }, timeout);
  INFO(describe_client(c) << describe(*agents[0]));
  REQUIRE(three);
  auto v = c.current();
  CHECK(v->self().name == "n1");
  const auto* n2 = v->find("n2");
  REQUIRE(n2);
  CHECK(n2->cache_url == "http://127.0.3.2:8080");
  CHECK(n2->zone == "z-b");
  CHECK(v->hash_ids() ==
        std::vector<std::string>{"http://127.0.3.1:8080", "http://127.0.3.2:8080", "http://127.0.3.3:8080"});

  // Three zones: any three owners are one per zone.
  for (int i = 0; i < 200; ++i) {
    auto k = "key-" + std::to_string(i);
    for (auto algo : {peerlib::hash_algorithm::groupcache, peerlib::hash_algorithm::rendezvous}) {
      auto o = v->owners(k, 3, algo);
      REQUIRE(o.size() == 3);
      CHECK(std::set<std::string>{o[0]->zone, o[1]->zone, o[2]->zone}.size() == 3);
    }
  }

  // `cachecluster owner` reads the same list and picks the same owners.
  std::vector<std::string> args = {"owner", "alpha", "beta", "gamma", "--algo", "rendezvous"};
  auto r = agents[0]->cli(args);
  REQUIRE(r.exit == 0);
  std::istringstream lines(r.out);
  for (const char* k : {"alpha", "beta", "gamma"}) {
    std::string line;
    REQUIRE(std::getline(lines, line));
    const auto* o = v->owner(k, peerlib::hash_algorithm::rendezvous);
    CHECK(line == std::string(k) + "\t" + o->cache_url + "\t" + o->name);
  }

  // A fourth agent joins, then is killed: the subscriber sees both changes.
  agents.push_back(start_agent(dir, 4, 'a', {seed(1)}));
  bool four = test_support::wait_until([&] { return has_names(c, {"n1", "n2", "n3", "n4"}); }, timeout);
  INFO(describe_client(c));
  REQUIRE(four);
  REQUIRE(agents[3]->proc().signal(SIGKILL));
  bool back = test_support::wait_until([&] { return has_names(c, {"n1", "n2", "n3"}); }, timeout);
  INFO(describe_client(c));
  REQUIRE(back);

  c.stop();
  auto views = rec.all();
  REQUIRE(views.size() >= 4);
  CHECK(views.front()->local_mode());  // the local view before the first snapshot
  // Versions only grow on one connection, and the views went 3 -> 4 -> 3 peers.
  bool saw_four = false, saw_three_after = false;
  for (std::size_t i = 1; i < views.size(); ++i) {
    if (i > 1) CHECK(views[i]->version() > views[i - 1]->version());
    CHECK(views[i]->generation() > views[i - 1]->generation());
    if (names(*views[i]).count("n4")) saw_four = true;
    else if (saw_four && views[i]->size() == 3) saw_three_after = true;
  }
  CHECK(saw_four);
  CHECK(saw_three_after);
  auto st = c.status();
  CHECK(st.connects == 1);
  CHECK(st.bad_lines == 0);
}

TEST_CASE("peerlib: local mode before the agent is up and after it dies; reconnect after a restart") {
  temp_dir dir("peerlib");
  auto seed_agent = start_agent(dir, 6, 'a');
  REQUIRE(seed_agent->wait_up());

  // The client starts before its agent: local mode, retrying.
  const auto socket = (dir / "n5.sock").string();
  peerlib::client_options opts;
  opts.socket_path = socket;
  opts.self.name = "n5";
  opts.self.cache_url = "http://127.0.3.5:8080";
  opts.grace_period = std::chrono::milliseconds(1500);
  opts.backoff_max = std::chrono::milliseconds(500);
  peerlib::client c(opts);
  recorder rec;
  REQUIRE(c.start(std::ref(rec)));
  REQUIRE(test_support::wait_until([&] { return c.status().connect_failures >= 2; }, timeout));
  CHECK(c.current()->local_mode());
  CHECK(c.current()->owner("k")->name == "n5");

  auto agent = start_agent(dir, 5, 'b', {seed(6)});
  bool joined = test_support::wait_until([&] { return has_names(c, {"n5", "n6"}); }, timeout);
  INFO(describe_client(c) << describe(*agent));
  REQUIRE(joined);

  // kill -9: the list stays for the grace period, then local mode.
  REQUIRE(agent->proc().signal(SIGKILL));
  agent->proc().wait_exit(timeout);
  REQUIRE(test_support::wait_until([&] { return !c.status().connected; }, timeout));
  const auto lost = std::chrono::steady_clock::now();
  bool local = test_support::wait_until([&] { return c.current()->local_mode(); }, timeout);
  INFO(describe_client(c));
  REQUIRE(local);
  CHECK(std::chrono::steady_clock::now() - lost >= std::chrono::milliseconds(1000));
  CHECK(c.current()->size() == 1);
  CHECK(c.current()->self().name == "n5");
  CHECK(c.current()->self().cache_url == "http://127.0.3.5:8080");

  // Restart (the agent replaces its stale socket file): the client reconnects.
  agent = start_agent(dir, 5, 'b', {seed(6)});
  bool rejoined = test_support::wait_until([&] { return has_names(c, {"n5", "n6"}); }, timeout);
  INFO(describe_client(c) << describe(*agent));
  REQUIRE(rejoined);
  auto st = c.status();
  CHECK(st.connects >= 2);
  CHECK(st.reconnects >= 1);
  c.stop();
}
