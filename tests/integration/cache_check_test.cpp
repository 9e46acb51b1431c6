// The check of the local cache ([cache] check) with real memcached servers:
// three agents on 127.0.31.x, each beside its own memcached on the same
// address, checking it with tcp:// every 200 ms. A node whose memcached is not
// running stays a gossip member but is in nobody's peer list; it is listed
// once memcached answers. Waits are generous timeouts; the time from a
// memcached stop to its removal from every list is printed, never asserted.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>
#include <thread>

#include <doctest/doctest.h>

#include "integration/agent_cluster.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

constexpr std::uint16_t memcached_port = 11211;

std::string ip(int i) { return "127.0.31." + std::to_string(i); }

/// A memcached on ip(i):11211, started by this test (stopped by its PID).
std::unique_ptr<test_support::process> start_memcached(const temp_dir& dir, int i) {
  std::vector<std::string> argv = {"memcached", "-l", ip(i), "-p", std::to_string(memcached_port),
                                   "-U",        "0",  "-m",  "16", "-c",
                                   "64"};
  if (::geteuid() == 0) argv.insert(argv.end(), {"-u", "root"});  // memcached refuses root without
  auto p = std::make_unique<test_support::process>(
      argv, dir / ("memcached" + std::to_string(i) + ".log"));
  const bool up = test_support::wait_until(
      [&] {
        int fd = test_support::tcp_connect(ip(i), memcached_port, 1s);
        if (fd < 0) return false;
        ::close(fd);
        return true;
      },
      timeout);
  INFO(p->log());
  REQUIRE(up);
  return p;
}

/// Stop a memcached this test started: SIGTERM to its PID, then wait for it.
void stop_memcached(test_support::process& p) {
  REQUIRE(p.signal(SIGTERM));
  REQUIRE(p.wait_exit(timeout));
}

/// A subscriber of one agent's peer list, keeping the latest snapshot.
class subscriber {
 public:
  explicit subscriber(const agent_proc& a) : client_(a.socket()) {
    REQUIRE(client_.ok());
    REQUIRE(client_.send_line(R"({"op":"subscribe"})"));
  }
  /// Read every snapshot waiting; the names in the latest one.
  const std::set<std::string>& peers() {
    while (auto line = client_.read_line(first_ ? timeout : 5ms)) {
      first_ = false;
      json j = json::parse(*line, nullptr, false);
      if (j.is_discarded() || j.value("type", "") != "snapshot") continue;
      latest_ = j;
      names_.clear();
      for (const auto& p : j["peers"]) names_.insert(p.value("name", ""));
    }
    return names_;
  }
  const json& latest() const { return latest_; }

 private:
  test_support::unix_client client_;
  bool first_ = true;
  json latest_;
  std::set<std::string> names_;
};

/// The `cache` tag of `name` in `a`'s members document ("" when absent or unknown).
std::string cache_tag(const agent_proc& a, const std::string& name) {
  json doc = a.members_doc();
  if (doc.is_null()) return "";
  for (const auto& m : doc["members"])
    if (m.value("name", "") == name) return m["tags"].value("cache", "");
  return "";
}

}  // namespace

TEST_CASE("cache check: a stopped memcached leaves every peer list, and comes back with it") {
  for (int i = 1; i <= 3; ++i) {
    for (std::uint16_t port : {gossip_port, http_port, memcached_port}) {
      if (!test_support::port_free(ip(i), port)) {
        MESSAGE("skipped: " << ip(i) << ":" << port << " is in use");
        return;
      }
    }
  }
  temp_dir dir("ccheck");
  // memcached on n1 and n2 only: n3 starts beside a cache that is not running.
  auto mc1 = start_memcached(dir, 1);
  auto mc2 = start_memcached(dir, 2);

  std::vector<std::unique_ptr<agent_proc>> agents;
  for (int i = 1; i <= 3; ++i) {
    const auto cfg = dir / ("n" + std::to_string(i) + ".ini");
    test_support::write_file(
        cfg, "[cache]\nport = 11211\ncheck = tcp://" + ip(i) + ":11211\ncheck_interval = 200ms\n");
    agent_spec s{"n" + std::to_string(i), ip(i), {}, "", cfg.string(), ""};
    if (i > 1) s.join = {ip(1) + ":7946"};
    agents.push_back(std::make_unique<agent_proc>(dir, s));
  }
  auto everyone = [&] {
    std::string s;
    for (const auto& a : agents) s += describe(*a);
    return s;
  };
  const std::vector<std::string> names = {"n1", "n2", "n3"};
  for (auto& a : agents) {
    bool ok = wait_until_all_alive(*a, names);
    INFO(everyone());
    REQUIRE(ok);
  }
  std::vector<std::unique_ptr<subscriber>> subs;
  for (auto& a : agents) subs.push_back(std::make_unique<subscriber>(*a));
  auto every_list_is = [&](const std::set<std::string>& want) {
    bool all = true;
    for (auto& s : subs) all = s->peers() == want && all;  // read every subscriber each time
    return all;
  };
  auto lists = [&] {
    std::string out;
    for (std::size_t i = 0; i < subs.size(); ++i)
      out += "n" + std::to_string(i + 1) + ": " + subs[i]->latest().dump() + "\n";
    return out;
  };

  // n3's cache has never answered: a member of everyone, in nobody's list, its own included.
  {
    bool ok = test_support::wait_until([&] { return every_list_is({"n1", "n2"}); }, timeout);
    INFO(lists() << everyone());
    REQUIRE(ok);
    for (auto& a : agents) CHECK(cache_tag(*a, "n3") == "down");
    CHECK(cache_tag(*agents[0], "n1") == "up");
    CHECK(subs[2]->latest()["self"]["name"] == "n3");
    auto m3 = agents[2]->http("/metrics");
    CHECK(metric(m3.body, "cachecluster_cache_check_up") == 0);
    CHECK(metric(m3.body, "cachecluster_cache_checks_total{result=\"failed\"}") >= 2);
    CHECK(metric(agents[0]->http("/metrics").body, "cachecluster_members_cache_down") == 1);
  }

  // memcached starts on n3: listed everywhere.
  auto mc3 = start_memcached(dir, 3);
  {
    bool ok = test_support::wait_until([&] { return every_list_is({"n1", "n2", "n3"}); }, timeout);
    INFO(lists() << everyone());
    REQUIRE(ok);
    CHECK(metric(agents[2]->http("/metrics").body, "cachecluster_cache_check_up") == 1);
  }

  // memcached on n2 stops while its agent runs on: out of every list, n2's own included, yet
  // still an alive member everywhere.
  // Once n3's return is old news: a change within [publish] coalesce_max (1 s) of another
  // member's is coalesced as a burst, which would blur the figure printed below.
  std::this_thread::sleep_for(1500ms);
  const auto stopped = std::chrono::steady_clock::now();
  stop_memcached(*mc2);
  {
    bool ok = test_support::wait_until([&] { return every_list_is({"n1", "n3"}); }, timeout);
    const auto took = std::chrono::steady_clock::now() - stopped;
    INFO(lists() << everyone());
    REQUIRE(ok);
    MESSAGE(
        "memcached stop to removal from every peer list (3 agents, check_interval 200ms, "
        "check_failures 2): "
        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
        << " ms (at most: lists are polled every few ms)");
    for (auto& a : agents) {
      CHECK(sees_all(*a, names, "alive"));
      CHECK(cache_tag(*a, "n2") == "down");
    }
    CHECK(metric(agents[1]->http("/metrics").body, "cachecluster_cache_check_up") == 0);
    CHECK(metric(agents[0]->http("/metrics").body, "cachecluster_members_cache_down") == 1);
    auto members = agents[0]->cli({"members"});
    CHECK(members.out.find("cache=down") != std::string::npos);
  }

  // memcached is back on the same address: so is n2, in every list.
  const auto restarted = std::chrono::steady_clock::now();
  mc2 = start_memcached(dir, 2);
  {
    bool ok = test_support::wait_until([&] { return every_list_is({"n1", "n2", "n3"}); }, timeout);
    const auto took = std::chrono::steady_clock::now() - restarted;
    INFO(lists() << everyone());
    REQUIRE(ok);
    MESSAGE("memcached restart to its return to every peer list (check_successes 2): "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    for (auto& a : agents) CHECK(cache_tag(*a, "n2") == "up");
    auto m1 = agents[0]->http("/metrics").body;
    CHECK(metric(m1, "cachecluster_members_cache_down") == 0);
    CHECK(metric(agents[1]->http("/metrics").body, "cachecluster_cache_check_transitions_total") ==
          3);
  }
  // Nobody was ever suspected or declared dead over it.
  for (auto& a : agents)
    CHECK(metric(a->http("/metrics").body, "cachecluster_members{state=\"dead\"}") == 0);
}
