// Integration tests: real `cachecluster agent` processes on 127.0.1.x, all on
// gossip port 7946 as on real VMs, driven through the CLI, the control socket
// and HTTP. Default timing profile (heartbeat, 250 ms): a crash is declared
// dead within seconds, but every wait below is a generous timeout, not a speed
// assertion.

#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <set>

#include "integration/agent_cluster.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

std::string ip(int i) { return "127.0.1." + std::to_string(i); }
std::string seed(int i) { return ip(i) + ":7946"; }

/// n agents n1..n<count> on 127.0.1.<first>..; all but the first join the first.
std::vector<std::unique_ptr<agent_proc>> start_cluster(const temp_dir& dir, int count,
                                                       int first = 1) {
  std::vector<std::unique_ptr<agent_proc>> out;
  for (int i = 0; i < count; ++i) {
    agent_spec s{"n" + std::to_string(first + i), ip(first + i), {}, "", "", ""};
    if (i > 0) s.join = {seed(first)};
    out.push_back(std::make_unique<agent_proc>(dir, s));
  }
  return out;
}

std::vector<std::string> names_of(const std::vector<std::unique_ptr<agent_proc>>& agents) {
  std::vector<std::string> n;
  for (const auto& a : agents) n.push_back(a->name());
  return n;
}

std::string describe_all(const std::vector<std::unique_ptr<agent_proc>>& agents) {
  std::string s;
  for (const auto& a : agents) s += describe(*a);
  return s;
}

/// A snapshot line from the control socket, parsed; null when it is not one.
json parse_snapshot(const std::optional<std::string>& line) {
  if (!line) return nullptr;
  json j = json::parse(*line, nullptr, false);
  if (j.is_discarded() || j.value("type", "") != "snapshot") return nullptr;
  return j;
}

std::set<std::string> peer_names(const json& snap) {
  std::set<std::string> out;
  for (const auto& p : snap["peers"]) out.insert(p.value("name", ""));
  return out;
}

/// A minimal agent config file with `body` after the given sections.
std::filesystem::path write_config(const temp_dir& dir, const std::string& name,
                                   const std::string& body) {
  auto path = dir / name;
  test_support::write_file(path, body);
  return path;
}

}  // namespace

TEST_CASE("agent: five agents converge; a kill -9 is removed, a SIGTERM leaves; subscribers follow") {
  temp_dir dir("integ");
  auto agents = start_cluster(dir, 5);
  const auto names = names_of(agents);

  // Every agent lists all five, alive.
  for (auto& a : agents) {
    bool ok = wait_until_all_alive(*a, names);
    INFO(describe_all(agents));
    REQUIRE(ok);
  }

  // HTTP endpoints.
  {
    auto& n1 = *agents[0];
    auto health = n1.http("/health");
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");
    CHECK(n1.http("/ready").status == 200);
    auto metrics = n1.http("/metrics");
    CHECK(metrics.status == 200);
    CHECK(metric(metrics.body, "cachecluster_members{state=\"alive\"}") == 5);
    auto members = n1.http("/v1/members");
    CHECK(members.status == 200);
    json doc = json::parse(members.body, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    CHECK(doc["members"].size() == 5);
    CHECK(n1.http("/nope").status == 404);
  }

  // A subscriber gets the current snapshot at once.
  test_support::unix_client sub(agents[0]->socket());
  REQUIRE(sub.ok());
  REQUIRE(sub.send_line(R"({"op":"subscribe"})"));
  json first = parse_snapshot(sub.read_line(timeout));
  REQUIRE_FALSE(first.is_null());
  // The snapshot may trail the member table by the coalescing window, so the
  // first one can predate the last join; a complete one follows.
  const std::set<std::string> all(names.begin(), names.end());
  bool complete = test_support::wait_until(
      [&] {
        while (peer_names(first) != all) {
          json next = parse_snapshot(sub.read_line(10ms));
          if (next.is_null()) return false;
          first = next;
        }
        return true;
      },
      timeout);
  INFO("latest snapshot: " << first.dump());
  REQUIRE(complete);
  CHECK(first["local_mode"] == false);
  const auto v0 = first["version"].get<std::uint64_t>();

  // kill -9 of n5: the other four mark it dead (or have already forgotten it). Its host (the
  // loopback) stays up, so the kernel answers our datagrams with ICMP port unreachable and our
  // connects with resets: the death comes from that evidence, not from a suspicion timer.
  REQUIRE(agents[4]->proc().signal(SIGKILL));
  for (int i = 0; i < 4; ++i) {
    bool ok = test_support::wait_until([&] { return sees_gone(*agents[i], "n5", "dead"); }, timeout);
    INFO(describe(*agents[i]));
    CHECK(ok);
  }
  {
    double refusals = 0, icmp = 0, timers = 0;
    for (int i = 0; i < 4; ++i) {
      const auto body = agents[i]->http("/metrics").body;
      refusals += metric(body, "cachecluster_deaths_by_refusal_total");
      icmp += metric(body, "cachecluster_icmp_port_unreachable_total");
      timers += metric(body, "cachecluster_deaths_declared_total");
    }
    INFO("deaths by refusal " << refusals << ", port unreachables " << icmp << ", timer deaths "
                              << timers);
    // A port unreachable only triggers a stream check, and the refused connect of that check
    // (or of a push-pull that came first) is what declares the death; whether a probe drew an
    // ICMP before that is a race, so only the refusal is asserted here (the ICMP path itself
    // is covered in tests/unit/swim/node_test.cpp). No suspicion timer may be the cause.
    CHECK(refusals >= 1);
    CHECK(timers == 0);
  }

  // The subscriber got a newer snapshot without n5.
  json latest = first;
  bool seen = test_support::wait_until(
      [&] {
        while (auto line = sub.read_line(10ms)) latest = parse_snapshot(line);
        return !latest.is_null() && !peer_names(latest).contains("n5");
      },
      timeout);
  REQUIRE(seen);
  CHECK(latest["version"].get<std::uint64_t>() > v0);
  const auto v1 = latest["version"].get<std::uint64_t>();

  // SIGTERM of n4: a graceful leave, exit status 0, and the others show it left.
  REQUIRE(agents[3]->proc().signal(SIGTERM));
  auto st = agents[3]->proc().wait_exit(timeout);
  INFO(agents[3]->log());
  REQUIRE(st.has_value());
  CHECK(exit_code(st) == 0);
  for (int i = 0; i < 3; ++i) {
    bool ok = test_support::wait_until([&] { return sees_gone(*agents[i], "n4", "left"); }, timeout);
    INFO(describe(*agents[i]));
    CHECK(ok);
  }
  seen = test_support::wait_until(
      [&] {
        while (auto line = sub.read_line(10ms)) latest = parse_snapshot(line);
        return !latest.is_null() && !peer_names(latest).contains("n4");
      },
      timeout);
  REQUIRE(seen);
  CHECK(latest["version"].get<std::uint64_t>() > v1);
  CHECK(peer_names(latest) == std::set<std::string>{"n1", "n2", "n3"});
}

TEST_CASE("agent: a burst of member changes is coalesced into fewer snapshots") {
  temp_dir dir("integ");
  auto agents = start_cluster(dir, 5);
  const auto names = names_of(agents);
  for (auto& a : agents) REQUIRE(wait_until_all_alive(*a, names));

  // A lone agent with a subscriber, then one join that brings five members at once.
  agent_proc lone(dir, {"n6", ip(6), {}, "", "", ""});
  require_up(lone);
  test_support::unix_client sub(lone.socket());
  REQUIRE(sub.ok());
  REQUIRE(sub.send_line(R"({"op":"subscribe"})"));
  json first = parse_snapshot(sub.read_line(timeout));
  REQUIRE_FALSE(first.is_null());
  CHECK(first["local_mode"] == true);
  CHECK(peer_names(first) == std::set<std::string>{"n6"});

  auto r = lone.cli({"join", seed(1)});
  INFO(r.out << r.err << describe(lone));
  REQUIRE(r.exit == 0);

  // Collect snapshots until one is complete, then a little longer for stragglers.
  std::vector<json> snaps;
  bool complete = test_support::wait_until(
      [&] {
        while (auto line = sub.read_line(10ms)) snaps.push_back(parse_snapshot(line));
        return !snaps.empty() && !snaps.back().is_null() && snaps.back()["peers"].size() == 6;
      },
      timeout);
  REQUIRE(complete);
  while (auto line = sub.read_line(1s)) snaps.push_back(parse_snapshot(line));

  const std::size_t changes = 5;  // five members joined this node's view
  INFO("snapshots after the join: " << snaps.size());
  CHECK(snaps.size() < changes);
  REQUIRE_FALSE(snaps.back().is_null());
  CHECK(snaps.back()["local_mode"] == false);
  CHECK(peer_names(snaps.back()) ==
        std::set<std::string>{"n1", "n2", "n3", "n4", "n5", "n6"});
  std::uint64_t prev = first["version"];
  for (const auto& s : snaps) {
    REQUIRE_FALSE(s.is_null());
    CHECK(s["version"].get<std::uint64_t>() > prev);
    prev = s["version"];
  }
}

TEST_CASE("agent: cachecluster join and leave over the CLI") {
  temp_dir dir("integ");
  agent_proc a(dir, {"n1", ip(1), {}, "", "", ""});
  agent_proc b(dir, {"n2", ip(2), {}, "", "", ""});
  require_up(a);
  require_up(b);
  CHECK(alive_count_is(a, 1));

  // Not joined yet: /ready is fine for a lone agent without seeds.
  CHECK(b.http("/ready").status == 200);

  auto bad = b.cli({"join", "not-an-address"});
  CHECK(bad.exit == 1);
  CHECK(bad.err.find("not-an-address") != std::string::npos);

  auto r = b.cli({"join", seed(1)});
  INFO(r.out << r.err);
  CHECK(r.exit == 0);
  CHECK(r.out.find("joined 1 of 1") != std::string::npos);
  CHECK(test_support::wait_until([&] { return sees_all(a, {"n1", "n2"}, "alive"); }, timeout));
  CHECK(test_support::wait_until([&] { return sees_all(b, {"n1", "n2"}, "alive"); }, timeout));

  // Text output: one row per member with its address.
  auto table = a.cli({"members"});
  CHECK(table.exit == 0);
  CHECK(table.out.find("n2") != std::string::npos);
  CHECK(table.out.find("127.0.1.2:7946") != std::string::npos);

  auto l = b.cli({"leave"});
  INFO(l.out << l.err << b.log());
  CHECK(l.exit == 0);
  CHECK(l.out.find("left") != std::string::npos);
  // Two members: the only peer acknowledged the leave before the command returned.
  CHECK(l.out.find("acknowledged by 1 peer(s)") != std::string::npos);
  auto st = b.proc().wait_exit(timeout);
  REQUIRE(st.has_value());
  CHECK(exit_code(st) == 0);
  CHECK(test_support::wait_until([&] { return sees_gone(a, "n2", "left"); }, timeout));
  CHECK_FALSE(std::filesystem::exists(b.socket()));  // removed on exit

  // The CLI against a socket nobody serves: exit 1 and a hint.
  auto gone = b.cli({"members"});
  CHECK(gone.exit == 1);
  CHECK(gone.err.find("cannot reach the agent") != std::string::npos);
}

TEST_CASE("agent: an agent whose seeds never answer is not ready") {
  temp_dir dir("integ");
  // Nobody listens on 127.0.1.9.
  agent_proc a(dir, {"n1", ip(1), {seed(9)}, "", "", ""});
  require_up(a);
  CHECK(a.http("/health").status == 200);
  CHECK(a.http("/ready").status == 503);
  auto m = a.http("/metrics");
  CHECK(metric(m.body, "cachecluster_ready") == 0);
  CHECK(metric(m.body, "cachecluster_local_mode") == 1);
}

TEST_CASE("agent: bad config files fail at start-up with the file and key named") {
  temp_dir dir("integ");
  const std::string tag_value(180, 'v');
  struct bad_case {
    const char* what;
    std::string body;
    std::vector<std::string> expect;  // substrings of stderr besides the path
  };
  const std::vector<bad_case> cases = {
      {"port out of range", "[cluster]\nport = 70000\n", {"[cluster]", "port", "70000"}},
      {"unknown profile", "[cluster]\nprofile = fast\n", {"[cluster]", "profile", "fast"}},
      {"tags over 512 bytes",
       "[tags]\na = " + tag_value + "\nb = " + tag_value + "\nc = " + tag_value + "\n",
       {"[tags]", "512"}},
      {"bad duration", "[cluster]\nheartbeat = soon\n", {"[cluster]", "heartbeat"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto path = write_config(dir, "bad.ini", c.body);
    auto sock = dir / "bad.sock";
    // The agent must reject the file before it binds anything.
    auto r = test_support::run_cli({binary(), "agent", "--config", path.string(), "--node", "bad",
                                    "--bind", seed(7), "--socket", sock.string(), "--http",
                                    ip(7) + ":9101"});
    INFO("stderr: " << r.err);
    CHECK(r.exit == 1);
    CHECK(r.err.find(path.string()) != std::string::npos);
    for (const auto& e : c.expect) CHECK(r.err.find(e) != std::string::npos);
    CHECK(r.err.find("started") == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(sock));
    CHECK(test_support::port_free(ip(7), gossip_port));
    CHECK(test_support::port_free(ip(7), http_port));

    // check-config says the same.
    auto chk = test_support::run_cli({binary(), "check-config", "--config", path.string()});
    CHECK(chk.exit == 1);
    CHECK(chk.err.find(path.string()) != std::string::npos);
  }

  // An unknown key in a known section is an error, with a suggestion; an unknown section
  // and gce-cache-cluster's Go runtime keys are warnings.
  auto typo = write_config(dir, "typo.ini", "[cluster]\nprot = 7946\n");
  auto w = test_support::run_cli({binary(), "check-config", "--config", typo.string()});
  CHECK(w.exit == 1);
  CHECK(w.err.find("typo.ini:2: [cluster] prot: unknown key; did you mean port?") !=
        std::string::npos);
  auto extra = write_config(dir, "extra.ini", "[cache]\ngc_percent = 15\n[clustr]\nport = 1\n");
  w = test_support::run_cli({binary(), "check-config", "--config", extra.string()});
  CHECK(w.exit == 0);
  CHECK(w.err.find("gc_percent") != std::string::npos);
  CHECK(w.err.find("did you mean cluster?") != std::string::npos);

  // A good file passes check-config.
  auto good = write_config(dir, "good.ini", "[cluster]\nport = 7946\nprofile = lan\n[tags]\nrole = cache\n");
  auto chk = test_support::run_cli({binary(), "check-config", "--config", good.string()});
  INFO(chk.out << chk.err);
  CHECK(chk.exit == 0);
  CHECK(chk.out.find(": OK") != std::string::npos);

  // A missing file names itself too.
  auto missing = test_support::run_cli(
      {binary(), "check-config", "--config", (dir / "missing.ini").string()});
  CHECK(missing.exit == 1);
  CHECK(missing.err.find("missing.ini") != std::string::npos);
}

TEST_CASE("agent: a stale socket is replaced; a second agent on a live socket is refused") {
  temp_dir dir("integ");
  const std::string sock = (dir / "shared.sock").string();
  {
    agent_proc a(dir, {"n1", ip(1), {}, "", "", sock});
    require_up(a);
    REQUIRE(a.proc().signal(SIGKILL));
    REQUIRE(a.proc().wait_exit(timeout).has_value());
  }
  REQUIRE(std::filesystem::is_socket(sock));  // left behind by the killed agent

  agent_proc again(dir, {"n1", ip(1), {}, "", "", sock});
  bool up = again.wait_up();
  INFO(again.log());
  REQUIRE(up);

  // Same socket, another address: refused, and the first agent is untouched.
  agent_proc second(dir, {"n2", ip(2), {}, "", "", sock});
  auto st = second.proc().wait_exit(timeout);
  INFO(second.log());
  REQUIRE(st.has_value());
  CHECK(exit_code(st) == 1);
  CHECK(second.log().find(sock) != std::string::npos);
  CHECK(second.log().find("in use") != std::string::npos);
  CHECK(again.states().has_value());
  CHECK(again.proc().running());

  // A path that is not a socket is never removed.
  const auto plain = dir / "plain-file";
  test_support::write_file(plain, "keep me\n");
  agent_proc third(dir, {"n3", ip(3), {}, "", "", plain.string()});
  auto st3 = third.proc().wait_exit(timeout);
  REQUIRE(st3.has_value());
  CHECK(exit_code(st3) == 1);
  CHECK(third.log().find("not a socket") != std::string::npos);
  CHECK(test_support::read_file(plain) == "keep me\n");
}
