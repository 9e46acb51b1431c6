// Client commands against a real agent on 127.0.16.x: where they find the socket, the
// members filters, owner's keys from standard input, and watch's exit status when the agent
// goes away.

#include <doctest/doctest.h>
#include <signal.h>

#include <sstream>
#include <string>

#include "integration/agent_cluster.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

std::string ip16(int i) { return "127.0.16." + std::to_string(i); }

/// `sh -c script`, for environment variables and pipes.
test_support::cli_result sh(const std::string& script) {
  return test_support::run_cli({"/bin/sh", "-c", script});
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("cli: CACHECLUSTER_SOCKET, members filters, owner from standard input") {
  temp_dir dir("cli");
  agent_proc a(dir, agent_spec{"web-1", ip16(1), {}, "", "", ""});
  agent_proc b(dir, agent_spec{"db-1", ip16(2), {ip16(1) + ":7946"}, "", "", ""});
  require_up(a);
  require_up(b);
  REQUIRE(test_support::wait_until([&] { return sees_all(a, {"web-1", "db-1"}, "alive"); },
                                   timeout));
  const std::string env = "CACHECLUSTER_SOCKET=" + quoted(a.socket()) + " " + quoted(binary());

  // The socket from the environment; --socket wins over it.
  auto r = sh(env + " members");
  INFO(r.out << r.err);
  CHECK(r.exit == 0);
  CHECK(r.out.find("web-1") != std::string::npos);
  r = sh(env + " members --socket " + quoted(dir / "nobody.sock"));
  CHECK(r.exit == 1);
  CHECK(r.err.find("nobody.sock") != std::string::npos);

  // Serf's filters: a whole-name regex.
  r = sh(env + " members --name 'web-.*'");
  CHECK(r.exit == 0);
  CHECK(r.out.find("web-1") != std::string::npos);
  CHECK(r.out.find("db-1") == std::string::npos);
  r = sh(env + " members --name 'web-('");
  CHECK(r.exit == 2);
  CHECK(r.err.find("not a regular expression") != std::string::npos);

  // owner: keys from standard input, one per line, answered in order; `--` before a key
  // starting with '-' on the command line. It reads the published peer list, which follows
  // the members view above by the publisher's coalescing window: wait until it has db-1 too.
  REQUIRE(test_support::wait_until(
      [&] { return sh(env + " owner probe").err.find("local mode") == std::string::npos; }, timeout));
  r = sh("printf 'alpha\\n-dash\\nbeta\\n' | " + env + " owner");
  INFO(r.out << r.err);
  REQUIRE(r.exit == 0);
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  for (const char* k : {"alpha\t", "-dash\t", "beta\t"}) {
    REQUIRE(std::getline(lines, line));
    CHECK(line.rfind(k, 0) == 0);
    ++n;
  }
  CHECK(n == 3);
  auto dash = sh(env + " owner -- -dash");
  INFO("owner -- -dash: " << dash.out << dash.err);
  CHECK(dash.exit == 0);
  CHECK(r.out.find(dash.out) != std::string::npos);
}

TEST_CASE("cli: watch exits 1 when the agent goes away") {
  temp_dir dir("cli-watch");
  agent_proc a(dir, agent_spec{"w1", ip16(3), {}, "", "", ""});
  require_up(a);
  process watch({binary(), "watch", "--socket", a.socket()}, dir / "watch.log");
  REQUIRE(test_support::wait_until(
      [&] { return watch.log().find("\"snapshot\"") != std::string::npos; }, timeout));
  REQUIRE(a.proc().signal(SIGTERM));
  auto st = watch.wait_exit(timeout);
  INFO(watch.log());
  REQUIRE(st.has_value());
  CHECK(exit_code(st) == 1);
  CHECK(watch.log().find("the agent closed the connection") != std::string::npos);
}

TEST_CASE("cli: force-leave marks a failed member left everywhere; info; monitor") {
  temp_dir dir("cli-serf");
  std::vector<std::unique_ptr<agent_proc>> as;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> join;
    if (i > 0) join.push_back(ip16(20) + ":7946");
    as.push_back(std::make_unique<agent_proc>(
        dir, agent_spec{"s" + std::to_string(i), ip16(20 + i), join, "", "", ""}));
  }
  for (auto& a : as) require_up(*a);
  for (auto& a : as)
    REQUIRE(test_support::wait_until([&] { return sees_all(*a, {"s0", "s1", "s2"}, "alive"); },
                                     timeout));
  auto& a = *as[0];
  const std::string sock = a.socket();

  // info: open to the socket's group; sections as serf info prints them.
  auto info = test_support::run_cli({binary(), "info", "--socket", sock});
  INFO(info.out << info.err);
  REQUIRE(info.exit == 0);
  for (const char* s : {"agent:\n", "\tname = s0\n", "protocol:\n", "\tmemberlist = ",
                        "members:\n", "\talive = 3\n", "gossip:\n", "control:\n"})
    CHECK(info.out.find(s) != std::string::npos);

  // monitor at debug, following the log while the rest happens.
  process mon({binary(), "monitor", "--log-level", "debug", "--socket", sock}, dir / "mon.log");
  REQUIRE(test_support::wait_until(
      [&] {
        auto i = test_support::run_cli({binary(), "info", "--socket", sock});
        return i.out.find("\tmonitors = 1\n") != std::string::npos;
      },
      timeout));

  // A live member cannot be forced out.
  auto live = test_support::run_cli({binary(), "force-leave", "--socket", sock, "s2"});
  CHECK(live.exit == 1);
  CHECK(live.err.find("not failed") != std::string::npos);
  auto unknown = test_support::run_cli({binary(), "force-leave", "--socket", sock, "nobody"});
  CHECK(unknown.exit == 1);
  CHECK(unknown.err.find("no member named nobody") != std::string::npos);

  // s2 crashes: failed everywhere, then force-left from s0 and left at s1 too. First s0's
  // published list must hold s2, so that its death is a publish the monitor sees (a member
  // that dies before a list held it changes no list).
  process w({binary(), "watch", "--socket", sock}, dir / "watch.log");
  REQUIRE(test_support::wait_until(
      [&] { return w.log().find("\"name\":\"s2\"") != std::string::npos; }, timeout));
  REQUIRE(as[2]->proc().signal(SIGKILL));
  REQUIRE(as[2]->proc().wait_exit(timeout).has_value());
  for (int i = 0; i < 2; ++i)
    REQUIRE(test_support::wait_until(
        [&] {
          auto st = as[i]->states();
          return st && st->count("s2") && st->at("s2") == "dead";
        },
        timeout));
  auto fl = test_support::run_cli({binary(), "force-leave", "--socket", sock, "s2"});
  INFO(fl.out << fl.err);
  CHECK(fl.exit == 0);
  CHECK(fl.out.find("s2 is marked left") != std::string::npos);
  for (int i = 0; i < 2; ++i) {
    bool left = test_support::wait_until([&] { return sees_gone(*as[i], "s2", "left"); }, timeout);
    INFO(describe(*as[i]));
    CHECK(left);
  }
  // Idempotent.
  auto again = test_support::run_cli({binary(), "force-leave", "--socket", sock, "s2"});
  CHECK(again.exit == 0);
  CHECK(again.out.find("already left") != std::string::npos);

  // The monitor saw debug lines and the member's departure, as text lines.
  bool saw = test_support::wait_until(
      [&] { return mon.log().find("[INFO] member s2 left") != std::string::npos; }, timeout);
  INFO(mon.log());
  CHECK(saw);
  CHECK(test_support::wait_until(
      [&] { return mon.log().find("[DEBUG] published snapshot") != std::string::npos; }, timeout));
  // The agent stopping ends the monitor with status 1.
  REQUIRE(a.proc().signal(SIGTERM));
  auto st = mon.wait_exit(timeout);
  REQUIRE(st.has_value());
  CHECK(exit_code(st) == 1);
}
