#include <doctest/doctest.h>

#include "scenario.hpp"

using namespace sim_test;

TEST_CASE("sim: a restarted member rejoins with a higher incarnation") {
  cluster c(options("lan"));
  SIM_SEED_INFO(c);
  const std::size_t n = 10;
  bootstrap(c, n);
  c.run_for(5s);
  const swim::timing& t = c.options().t;
  const std::size_t victim = 4;
  const std::uint32_t inc_before = c.at(victim).self().incarnation;
  c.crash(victim);
  REQUIRE(c.run_until([&] { return c.all_see(victim, member_state::dead); },
                      suspicion_max(t, n) + 5 * t.probe_interval));
  const time_point t0 = c.now();
  c.restart(victim);
  // A new process remembers nothing: incarnation starts again.
  CHECK(c.at(victim).self().incarnation <= inc_before);
  c.join(victim, 0);
  // Lower side: the stale, lower incarnation must never be taken as alive, at any observer.
  bool stale_seen = false;
  const bool back = c.run_until(
      [&] {
        for (std::size_t i = 0; i < n; ++i) {
          if (i == victim || !c.is_running(i)) continue;
          const swim::member* m = c.at(i).find(c.name(victim));
          if (m && m->state == member_state::alive && m->incarnation <= inc_before) stale_seen = true;
        }
        return c.converged();
      },
      5 * t.probe_interval, 1ms);
  INFO("converged at +" << secs(c.now() - t0) << " s after restart; incarnation " << inc_before
                        << " -> " << c.at(victim).self().incarnation);
  CHECK_FALSE(stale_seen);
  // Upper side: a push-pull join and one refutation: within a few periods.
  CHECK(back);
  CHECK(c.at(victim).self().incarnation > inc_before);
  for (std::size_t i = 0; i < n; ++i) {
    if (i == victim) continue;
    const swim::member* m = c.at(i).find(c.name(victim));
    REQUIRE(m != nullptr);
    CHECK(m->incarnation == c.at(victim).self().incarnation);
  }
}
