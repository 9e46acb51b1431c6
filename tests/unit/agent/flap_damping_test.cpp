// agent::flap_damping on explicit time: the penalty, its decay, both thresholds, the
// maximum hold, and what is never damped (a single crash, a graceful leave).
#include <doctest/doctest.h>

#include <cmath>

#include "agent/flap_damping.hpp"

using namespace agent;
using namespace std::chrono_literals;
using swim::member_state;

namespace {

using clock_t_ = flap_damping::clock;
const clock_t_::time_point t0{std::chrono::seconds(1000)};

/// One full flap of `name` at `at`: alive, then dead.
void flap(flap_damping& d, const char* name, clock_t_::time_point at) {
  d.observe(name, member_state::alive, at);
  d.observe(name, member_state::dead, at);
}

}  // namespace

TEST_CASE("flap_damping: defaults are 1000 per flap, 60 s half-life, 1500 / 750, 5 min") {
  flap_damping_options o;
  CHECK(o.penalty == 1000);
  CHECK(o.half_life == 60s);
  CHECK(o.suppress == 1500);
  CHECK(o.reuse == 750);
  CHECK(o.max_suppress == 5min);
  // reuse x 2^(5 min / 60 s) = 750 x 32.
  CHECK(o.ceiling() == 24000);
}

TEST_CASE("flap_damping: a single crash and come-back is never damped") {
  flap_damping d;
  CHECK_FALSE(d.observe("b", member_state::alive, t0));
  CHECK_FALSE(d.observe("b", member_state::dead, t0 + 1s));
  CHECK(d.record("b").flaps == 1);
  CHECK(d.penalty("b", t0 + 1s) == 1000);
  CHECK_FALSE(d.suppressed("b"));
  // Back at once: admitted at once.
  CHECK_FALSE(d.observe("b", member_state::alive, t0 + 1s + 1ms));
  CHECK_FALSE(d.suppressed("b"));
  CHECK_FALSE(d.next_reuse());
  CHECK(d.flaps_total() == 1);
  CHECK(d.suppressed_count() == 0);
}

TEST_CASE("flap_damping: suspect is live, only dead is a flap, a graceful leave is not") {
  flap_damping d;
  d.observe("b", member_state::alive, t0);
  d.observe("b", member_state::suspect, t0 + 1s);
  d.observe("b", member_state::alive, t0 + 2s);
  CHECK(d.record("b").flaps == 0);
  d.observe("b", member_state::suspect, t0 + 3s);
  d.observe("b", member_state::dead, t0 + 4s);  // suspect -> dead is a down transition
  CHECK(d.record("b").flaps == 1);
  // Leaving and coming back any number of times costs nothing.
  for (int i = 0; i < 5; ++i) {
    d.observe("c", member_state::alive, t0 + std::chrono::seconds(i));
    d.observe("c", member_state::left, t0 + std::chrono::seconds(i));
  }
  CHECK(d.record("c").flaps == 0);
  CHECK(d.penalty("c", t0 + 5s) == 0);
  // A member first heard of as dead was never seen up: no flap; nor is dead -> left.
  d.observe("x", member_state::dead, t0);
  d.observe("x", member_state::left, t0 + 1s);
  CHECK(d.record("x").flaps == 0);
  CHECK(d.flaps_total() == 1);
}

TEST_CASE("flap_damping: the penalty halves every half-life") {
  flap_damping d;
  flap(d, "b", t0);
  CHECK(d.penalty("b", t0) == 1000);
  CHECK(d.penalty("b", t0 + 60s) == doctest::Approx(500));
  CHECK(d.penalty("b", t0 + 120s) == doctest::Approx(250));
  CHECK(d.penalty("b", t0 + 30s) == doctest::Approx(1000 / std::sqrt(2.0)));
  // A second flap adds to what is left.
  flap(d, "b", t0 + 60s);
  CHECK(d.penalty("b", t0 + 60s) == doctest::Approx(1500));
  CHECK(d.record("b").flaps == 2);
}

TEST_CASE("flap_damping: the suppress threshold, both sides") {
  // Two flaps 59 s apart: 1000 x 2^(-59/60) + 1000 = 1505.8 >= 1500: suppressed.
  flap_damping in;
  flap(in, "b", t0);
  CHECK(in.observe("b", member_state::alive, t0 + 59s) == false);
  CHECK(in.observe("b", member_state::dead, t0 + 59s) == true);
  CHECK(in.suppressed("b"));
  CHECK(in.suppressed_count() == 1);
  // 61 s apart: 1494.3 < 1500: not suppressed.
  flap_damping out;
  flap(out, "b", t0);
  out.observe("b", member_state::alive, t0 + 61s);
  CHECK_FALSE(out.observe("b", member_state::dead, t0 + 61s));
  CHECK_FALSE(out.suppressed("b"));
  CHECK(out.record("b").flaps == 2);
  // Exactly at the threshold (one half-life apart: 500 + 1000) counts.
  flap_damping at;
  flap(at, "b", t0);
  at.observe("b", member_state::alive, t0 + 60s);
  CHECK(at.observe("b", member_state::dead, t0 + 60s));
}

TEST_CASE("flap_damping: a suppressed member is re-admitted when its penalty falls below reuse") {
  flap_damping d;
  flap(d, "b", t0);
  flap(d, "b", t0);  // 2000 at t0
  REQUIRE(d.suppressed("b"));
  // 2000 x 2^(-t/60) = 750 at t = 60 x log2(8/3) = 84.90 s.
  const auto expect = t0 + std::chrono::duration_cast<clock_t_::duration>(
                               std::chrono::duration<double>(60.0 * std::log2(2000.0 / 750.0)));
  auto at = d.next_reuse();
  REQUIRE(at);
  CHECK(std::chrono::abs(*at - expect) < 1ms);
  // It came back meanwhile: still held out.
  d.observe("b", member_state::alive, t0 + 10s);
  CHECK_FALSE(d.update(t0 + 10s));
  CHECK_FALSE(d.update(*at - 1ms));
  CHECK(d.suppressed("b"));
  CHECK(d.penalty("b", *at - 1ms) > 750);
  // At the reuse time: re-admitted, and nothing more is due.
  CHECK(d.update(*at));
  CHECK_FALSE(d.suppressed("b"));
  CHECK(d.suppressed_count() == 0);
  CHECK_FALSE(d.next_reuse());
  CHECK(d.penalty("b", *at) == doctest::Approx(750));
  // Flapping again while the penalty is still high suppresses at once.
  d.observe("b", member_state::dead, *at + 1s);
  CHECK(d.suppressed("b"));
  CHECK(d.record("b").flaps == 3);
}

TEST_CASE("flap_damping: a flap while suppressed pushes the re-admission later") {
  flap_damping d;
  flap(d, "b", t0);
  flap(d, "b", t0);
  auto first = d.next_reuse();
  REQUIRE(first);
  flap(d, "b", t0 + 30s);
  auto second = d.next_reuse();
  REQUIRE(second);
  CHECK(*second > *first);
  CHECK(d.suppressed_count() == 1);
}

TEST_CASE("flap_damping: the maximum hold: a member that stopped flapping is back 5 min later") {
  flap_damping d;
  // Flapping every second for two minutes: the penalty stops at the ceiling.
  for (int i = 0; i < 120; ++i) flap(d, "b", t0 + std::chrono::seconds(i));
  const auto last = t0 + 119s;
  CHECK(d.penalty("b", last) == 24000);
  CHECK(d.record("b").flaps == 120);
  d.observe("b", member_state::alive, last + 1s);
  auto at = d.next_reuse();
  REQUIRE(at);
  CHECK(*at == last + 5min);
  CHECK_FALSE(d.update(last + 5min - 1ms));
  CHECK(d.suppressed("b"));
  CHECK(d.update(last + 5min));
  CHECK_FALSE(d.suppressed("b"));
}

TEST_CASE("flap_damping: max_suppress 0 turns suppression off, flaps are still counted") {
  flap_damping_options o;
  o.max_suppress = 0ms;
  flap_damping d(o);
  for (int i = 0; i < 10; ++i) flap(d, "b", t0 + std::chrono::seconds(i));
  CHECK_FALSE(d.suppressed("b"));
  CHECK(d.record("b").flaps == 10);
  CHECK(d.penalty("b", t0 + 9s) <= 750);
}

TEST_CASE("flap_damping: members are damped independently") {
  flap_damping d;
  flap(d, "b", t0);
  flap(d, "b", t0 + 1s);
  flap(d, "c", t0);
  CHECK(d.suppressed("b"));
  CHECK_FALSE(d.suppressed("c"));
  CHECK_FALSE(d.suppressed("unknown"));
  CHECK(d.record("unknown").flaps == 0);
  CHECK(d.flaps_total() == 3);
}

TEST_CASE("flap_damping: prune forgets gone members once their penalty decayed") {
  flap_damping d;
  d.observe("a", member_state::alive, t0);
  flap(d, "b", t0);
  flap(d, "c", t0);
  flap(d, "c", t0);  // suppressed
  auto in_table = [](std::string_view n) { return n == "a"; };
  d.prune(in_table, t0 + 60s);  // b still has 500
  CHECK(d.size() == 3);
  // 1000 x 2^-10 < 1: b goes; c, suppressed, stays until re-admitted; a is in the table.
  d.prune(in_table, t0 + 10min);
  CHECK(d.size() == 2);
  CHECK(d.record("b").flaps == 0);
  d.update(t0 + 10min);
  d.prune(in_table, t0 + 10min);
  CHECK(d.size() == 2);  // c's penalty (2000 x 2^-10, about 1.95) is not below 1 yet
  d.prune(in_table, t0 + 11min);
  CHECK(d.size() == 1);
  CHECK(d.flaps_total() == 3);  // the total never decreases
}
