#include "agent/config_overrides.hpp"

#include <doctest/doctest.h>

namespace {

agent::config defaults() { return agent::parse_config("[node]\nname = n\n", "t.ini").cfg; }

}  // namespace

TEST_CASE("overrides: --bind takes an IP with an optional port") {
  auto cfg = defaults();
  agent::overrides o;
  o.bind = "10.0.0.1";
  agent::apply_overrides(cfg, o);
  CHECK(cfg.cluster.bind == "10.0.0.1");
  CHECK(cfg.cluster.port == 7946);

  o.bind = "[::1]:8000";
  agent::apply_overrides(cfg, o);
  CHECK(cfg.cluster.bind == "::1");
  CHECK(cfg.cluster.port == 8000);

  o.bind = "::ffff:10.0.0.1";  // canonical form: an IPv4-mapped address is the IPv4 address
  agent::apply_overrides(cfg, o);
  CHECK(cfg.cluster.bind == "10.0.0.1");
  CHECK(cfg.cluster.port == 8000);
}

TEST_CASE("overrides: values are checked like the file's") {
  auto cfg = defaults();
  agent::overrides o;
  o.bind = "cache-1:80";
  CHECK_THROWS_WITH_AS(agent::apply_overrides(cfg, o),
                       doctest::Contains("command line: [cluster] bind = \"cache-1:80\""),
                       agent::config_error);
  o = {};
  o.http = "localhost:80";
  CHECK_THROWS_WITH_AS(agent::apply_overrides(cfg, o),
                       doctest::Contains("command line: [http] listen"), agent::config_error);
}

TEST_CASE("overrides: every flag lands in its key") {
  auto cfg = defaults();
  agent::overrides o;
  o.node = "n2";
  o.advertise = "10.0.0.9:5";
  o.join = {"a.internal", "[::1]:2"};
  o.profile = "wan";
  o.log_level = "warn";
  o.socket = "/tmp/x.sock";
  o.http = "[::1]:8";
  agent::apply_overrides(cfg, o);
  CHECK(cfg.node.name == "n2");
  CHECK(cfg.cluster.advertise == agent::host_port{"10.0.0.9", 5});
  REQUIRE(cfg.cluster.join.size() == 2);
  CHECK(cfg.cluster.join[0] == agent::host_port{"a.internal", 7946});
  CHECK(cfg.cluster.join[1] == agent::host_port{"::1", 2});
  CHECK(cfg.cluster.profile == agent::timing_profile::wan);
  CHECK(cfg.log.level == agent::log_level::warn);
  CHECK(cfg.publish.socket == "/tmp/x.sock");
  CHECK(cfg.http.listen.to_string() == "[::1]:8");
}

TEST_CASE("overrides: --http off loopback returns the same warning as the file's key") {
  auto cfg = defaults();
  agent::overrides o;
  o.http = "0.0.0.0:9101";
  auto warnings = agent::apply_overrides(cfg, o);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("command line: [http] listen = 0.0.0.0:9101 is not a loopback address") !=
        std::string::npos);

  o.http = "127.0.0.1:9101";
  CHECK(agent::apply_overrides(cfg, o).empty());
  o = {};
  o.node = "n3";
  CHECK(agent::apply_overrides(cfg, o).empty());
}
