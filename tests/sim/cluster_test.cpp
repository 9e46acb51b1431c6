#include <doctest/doctest.h>

#include <vector>

#include "scenario.hpp"

using namespace sim_test;

namespace {

std::vector<swim::sim::event_record> run_once(std::uint64_t seed) {
  cluster_options o = options("lan");
  o.seed = seed;
  cluster c(o);
  c.start(8);
  c.join_all(0);
  c.run_for(3s);
  c.crash(5);
  c.run_for(15s);
  return c.events();
}

bool same(const std::vector<swim::sim::event_record>& a, const std::vector<swim::sim::event_record>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].at != b[i].at || a[i].observer != b[i].observer || a[i].subject != b[i].subject ||
        a[i].ev != b[i].ev || a[i].incarnation != b[i].incarnation)
      return false;
  return true;
}

}  // namespace

TEST_CASE("sim: one seed reproduces a run event for event") {
  const std::uint64_t seed = test_seed();
  INFO("reproduce with SIM_SEED=" << seed);
  const auto a = run_once(seed);
  const auto b = run_once(seed);
  CHECK(!a.empty());
  CHECK(same(a, b));
  const auto other = run_once(seed + 1);
  CHECK_FALSE(same(a, other));
}

TEST_CASE("sim: members get loopback-range addresses and distinct names") {
  cluster c(options("lan"));
  c.start(300);
  CHECK(c.addr(0).to_string() == "127.0.0.1:7946");
  CHECK(c.addr(253).to_string() == "127.0.0.254:7946");
  CHECK(c.addr(254).to_string() == "127.0.1.1:7946");
  // Beyond 254 x 254 hosts the next block, so churn runs never re-use an address.
  CHECK(cluster::host_address(64515, false).to_string() == "127.0.253.254:7946");
  CHECK(cluster::host_address(64516, false).to_string() == "127.2.0.1:7946");
  CHECK(cluster::host_address(100000, false).to_string() == "127.2.139.179:7946");
  CHECK(cluster::host_address(5, true).to_string() == "127.1.0.6:7946");
  CHECK(cluster::host_address(64516 * 3 + 1, true).to_string() == "127.7.0.2:7946");
  CHECK(c.name(299) == "node-299");
  CHECK(c.index_of("node-299") == 299u);
  CHECK(c.at(5).num_known() == 1);
}

TEST_CASE("sim: a paused member processes nothing and sends nothing") {
  cluster c(options("lan"));
  SIM_SEED_INFO(c);
  bootstrap(c, 5);
  c.pause(2);
  c.net().reset_stats();
  c.run_for(3s);
  CHECK(c.net().stats(c.addr(2)).packets_sent == 0);
  CHECK(c.net().stats(c.addr(2)).packets_received == 0);
  CHECK(c.net().stats(c.addr(1)).packets_sent > 0);
  c.resume(2);
  c.run_for(1s);
  CHECK(c.net().stats(c.addr(2)).packets_sent > 0);
}
