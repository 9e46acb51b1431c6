#include <doctest/doctest.h>

#include "scenario.hpp"

using namespace sim_test;

TEST_CASE("sim: lan, N=50: a member paused for 5 s is suspected, refutes, is never declared dead") {
  cluster c(options("lan"));
  SIM_SEED_INFO(c);
  const std::size_t n = 50;
  bootstrap(c, n);
  c.run_for(10s);
  const swim::timing& t = c.options().t;
  const std::size_t victim = 17;
  const std::uint32_t inc_before = c.at(victim).self().incarnation;
  const time_point t0 = c.now();
  c.pause(victim);
  c.run_for(5s);
  // Lower side of detection: someone noticed within the pause, not before a probe could fail.
  const auto first_suspect = c.first_event(victim, member_event::suspect, t0);
  REQUIRE(first_suspect.has_value());
  CHECK(*first_suspect - t0 >= t.probe_timeout);
  c.resume(victim);
  const time_point t1 = c.now();
  // Upper side: the suspicion timeout at n=50 is at least 6.79 s, longer than
  // the pause, so the refutation (a few periods after resuming) wins.
  CHECK(suspicion_min(t, n) > 5s);
  const bool back = c.run_until(
      [&] {
        return c.at(victim).self().incarnation > inc_before && c.all_see(victim, member_state::alive);
      },
      3 * t.probe_interval);
  INFO("back at +" << secs(c.now() - t1) << " s after resume; incarnation " << inc_before << " -> "
                   << c.at(victim).self().incarnation);
  CHECK(back);
  c.run_for(30s);
  CHECK(deaths(c, victim, t0) == 0);
  CHECK(c.at(victim).stats().refutations >= 1);
}

// Once the dead gossip about the paused member is spent, what tells it of its
// death is the ack to its first probe after resuming (an ack to a pinger held
// dead carries the accusation), so it refutes within a period or two.
TEST_CASE("sim: 250 ms profile, N=50: a member paused for 5 s may die, and comes back by itself") {
  cluster c(options("250ms"));
  SIM_SEED_INFO(c);
  const std::size_t n = 50;
  bootstrap(c, n);
  c.run_for(5s);
  const swim::timing& t = c.options().t;
  const std::size_t victim = 23;
  const time_point t0 = c.now();
  c.pause(victim);
  c.run_for(5s);
  // Lower side: no verdict before a probe fails and the minimum suspicion elapses.
  const auto first_dead = c.first_event(victim, member_event::dead, t0);
  if (first_dead) CHECK(*first_dead - t0 >= t.probe_timeout + suspicion_min(t, n));
  INFO("first dead " << (first_dead ? secs(*first_dead - t0) : -1.0) << " s after pause");
  c.resume(victim);
  const time_point t1 = c.now();
  // Upper side: gossip still reaches the recently dead, so the resumed member
  // hears of its death and refutes; everyone accepts the higher incarnation.
  const bool back = c.run_until([&] { return c.all_see(victim, member_state::alive); },
                                4 * t.probe_interval);
  MESSAGE("250ms profile: paused member first declared dead "
          << (first_dead ? secs(*first_dead - t0) : -1.0) << " s after the pause, alive everywhere "
          << secs(c.now() - t1) << " s after resuming");
  CHECK(back);
  c.run_for(20s);
  CHECK(c.all_see(victim, member_state::alive));
  CHECK(c.converged());
}
