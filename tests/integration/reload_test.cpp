// SIGHUP on a real agent (127.0.16.x): with a config file it reloads the log level and the
// join list; started without one, it says there is nothing to reload and keeps running.

#include <doctest/doctest.h>
#include <signal.h>

#include <string>

#include "integration/agent_cluster.hpp"

using namespace integ;
using test_support::temp_dir;

TEST_CASE("reload: SIGHUP without a config file reloads nothing and says so") {
  if (std::filesystem::exists("/etc/cachecluster/cachecluster.ini")) {
    MESSAGE("skipped: /etc/cachecluster/cachecluster.ini exists, the agent would read it");
    return;
  }
  temp_dir dir("reload");
  agent_proc a(dir, agent_spec{"r1", "127.0.16.10", {}, "", "", ""});
  require_up(a);
  REQUIRE(a.proc().signal(SIGHUP));
  bool said = test_support::wait_until(
      [&] { return a.log().find("started without a config file; nothing to reload") !=
                   std::string::npos; },
      timeout);
  INFO(a.log());
  CHECK(said);
  CHECK(a.log().find("reload failed") == std::string::npos);
  CHECK(a.proc().running());
  CHECK(a.states().has_value());
}

TEST_CASE("reload: SIGHUP with a config file reloads it") {
  temp_dir dir("reload-file");
  const auto config = dir / "r.ini";
  test_support::write_file(config, "[log]\nlevel = info\n");
  agent_proc a(dir, agent_spec{"r2", "127.0.16.11", {}, "", config.string(), ""});
  require_up(a);
  test_support::write_file(config, "[cluster]\njoin = 127.0.16.12   # a seed\n");
  REQUIRE(a.proc().signal(SIGHUP));
  bool reloaded = test_support::wait_until(
      [&] { return a.log().find("join list now has 1 seed(s)") != std::string::npos; }, timeout);
  INFO(a.log());
  CHECK(reloaded);
  CHECK(a.proc().running());
}
