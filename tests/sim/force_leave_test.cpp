// force_leave (serf force-leave): a failed member is marked left everywhere by one Serf
// leave intent, which every member gossips on once; it is idempotent and rate-limited.

#include <doctest/doctest.h>

#include "scenario.hpp"

using namespace sim_test;
using fl = swim::node::force_leave_result;

namespace {

/// The intent is Serf's message: every node speaks Serf's intents, as the agent's do.
cluster_options serf_options() {
  cluster_options o = options("250ms");
  o.serf_compat = true;
  return o;
}

}  // namespace

TEST_CASE("sim: 250 ms profile, N=20: force_leave marks a failed member left everywhere") {
  cluster c(serf_options());
  SIM_SEED_INFO(c);
  const std::size_t n = 20;
  bootstrap(c, n);
  c.run_for(5s);
  const std::size_t victim = 7, other = 8;
  c.crash(victim);
  REQUIRE(c.run_until([&] { return c.all_see(victim, member_state::dead); }, 30s));
  const std::string name = c.name(victim);

  // A live member cannot be forced out (it would refute); an unknown one is said so.
  CHECK(c.at(0).force_leave(c.name(other), c.now()) == fl::not_failed);
  CHECK(c.at(0).force_leave("nobody", c.now()) == fl::unknown);
  CHECK(c.at(0).force_leave(c.name(0), c.now()) == fl::self);

  const time_point t0 = c.now();
  CHECK(c.at(0).force_leave(name, c.now()) == fl::left);
  CHECK(c.view(0, victim) == member_state::left);
  const bool everywhere = c.run_until([&] { return c.all_see(victim, member_state::left); }, 10s);
  INFO("left everywhere after " << secs(c.now() - t0) << " s");
  CHECK(everywhere);
  CHECK(c.count_events(victim, member_event::left, t0) == n - 1);  // once per running member

  // Idempotent: again, anywhere, changes and sends nothing.
  const auto queued = c.at(3).stats().broadcasts_queued;
  CHECK(c.at(3).force_leave(name, c.now()) == fl::already_left);
  CHECK(c.at(3).stats().broadcasts_queued == queued);
  c.run_for(5s);
  CHECK(c.count_events(victim, member_event::left, t0) == n - 1);
  // The live members were never touched.
  CHECK(c.all_see(other, member_state::alive));
}

TEST_CASE("sim: lan, N=40: force_leave is rate-limited") {
  // lan: a 10 s window, and the dead are kept 30 s, long enough to find them all dead.
  cluster_options o = options("lan");
  o.serf_compat = true;
  cluster c(o);
  SIM_SEED_INFO(c);
  const std::size_t n = 40;
  bootstrap(c, n);
  c.run_for(5s);
  const std::size_t burst = swim::node::force_leave_burst;
  const std::size_t failed = burst + 2;
  for (std::size_t i = 1; i <= failed; ++i) c.crash(i);
  auto all_dead = [&] {
    for (std::size_t i = 1; i <= failed; ++i)
      if (c.view(0, i) != member_state::dead) return false;
    return true;
  };
  REQUIRE(c.run_until(all_dead, 60s));
  std::size_t left = 0, limited = 0;
  for (std::size_t i = 1; i <= failed; ++i) {
    auto r = c.at(0).force_leave(c.name(i), c.now());
    left += r == fl::left;
    limited += r == fl::rate_limited;
  }
  CHECK(left == burst);
  CHECK(limited == 2);
  CHECK(c.view(0, failed) == member_state::dead);  // refused: nothing changed
  // Once the window has passed, the rest go through.
  c.run_for(c.options().t.probe_interval * swim::node::force_leave_window);
  CHECK(c.at(0).force_leave(c.name(failed - 1), c.now()) == fl::left);
  CHECK(c.at(0).force_leave(c.name(failed), c.now()) == fl::left);
}
