#include <doctest/doctest.h>

#include <vector>

#include "scenario.hpp"

using namespace sim_test;

TEST_CASE("sim: a healed partition is repaired by a push-pull across it") {
  cluster c(options("lan"));
  SIM_SEED_INFO(c);
  const std::size_t n = 10;
  bootstrap(c, n);
  c.run_for(5s);
  const swim::timing& t = c.options().t;
  std::vector<swim::address> left_side, right_side;
  for (std::size_t i = 0; i < n; ++i) (i < n / 2 ? left_side : right_side).push_back(c.addr(i));
  const time_point t0 = c.now();
  c.net().partition({left_side, right_side});

  // Each side declares the other dead; a partition is indistinguishable from crashes.
  const bool split = c.run_until(
      [&] {
        for (std::size_t i = 0; i < n / 2; ++i)
          for (std::size_t j = n / 2; j < n; ++j)
            if (c.view(i, j) != member_state::dead || c.view(j, i) != member_state::dead) return false;
        return true;
      },
      suspicion_max(t, n) + 10 * t.probe_interval);
  INFO("split seen at +" << secs(c.now() - t0) << " s");
  REQUIRE(split);
  // Lower side: no side gave up on the other sooner than the protocol allows.
  const auto first_dead = c.first_event(n - 1, member_event::dead, t0);
  REQUIRE(first_dead.has_value());
  CHECK(*first_dead - t0 >= t.probe_timeout + suspicion_min(t, n / 2));

  // Let every broadcast about the split be spent, then heal the network.
  c.run_for(5s);
  c.net().heal();
  c.run_for(2 * t.probe_interval);
  INFO("converged by gossip alone before any cross push-pull: " << c.converged());
  // One push-pull across the old boundary (what Serf's reconnect, or a
  // re-discovery, does): each side learns the other thinks it dead, refutes,
  // and the refutations spread.
  const time_point t1 = c.now();
  c.join(0, n - 1);
  const bool healed = c.run_until([&] { return c.converged(); }, 5 * t.probe_interval);
  INFO("healed at +" << secs(c.now() - t1) << " s after the push-pull");
  CHECK(healed);
}
