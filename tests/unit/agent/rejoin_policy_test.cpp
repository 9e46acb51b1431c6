// agent::rejoin_policy on explicit time: when the static join list is joined again to heal
// a partition.
#include <doctest/doctest.h>

#include "agent/joiner.hpp"

using namespace agent;
using namespace std::chrono_literals;

namespace {

using clock_t_ = rejoin_policy::clock;
const clock_t_::time_point t0{std::chrono::seconds(1000)};

}  // namespace

TEST_CASE("rejoin_policy: nothing is due while every member seen is live") {
  rejoin_policy p({}, 7);
  p.members(1, t0);
  for (std::size_t n = 2; n <= 10; ++n) p.members(n, t0 + std::chrono::seconds(n));
  CHECK(p.target() == 10);
  CHECK_FALSE(p.next_at());
  CHECK_FALSE(p.due(t0 + 1h));
}

TEST_CASE("rejoin_policy: fewer live than the most seen: a re-join every 10-30 s") {
  rejoin_policy p({}, 7);
  p.members(10, t0);
  p.members(5, t0 + 1s);  // the other half of a partition is dead to us
  auto first = p.next_at();
  REQUIRE(first);
  CHECK(*first >= t0 + 1s + 10s);
  CHECK(*first <= t0 + 1s + 30s);
  // Further drops do not postpone it.
  p.members(4, t0 + 2s);
  CHECK(p.next_at() == first);
  CHECK_FALSE(p.due(*first - 1ms));
  CHECK(p.due(*first));
  // Then again, 10-30 s later, as long as the shortage lasts.
  auto at = *first;
  for (int i = 0; i < 50; ++i) {
    auto next = p.next_at();
    REQUIRE(next);
    CHECK(*next - at >= 10s);
    CHECK(*next - at <= 30s);
    CHECK_FALSE(p.due(*next - 1ms));
    CHECK(p.due(*next));
    at = *next;
  }
}

TEST_CASE("rejoin_policy: the interval is jittered") {
  rejoin_policy p({}, 42);
  p.members(3, t0);
  p.members(2, t0);
  auto at = *p.next_at();
  auto lo = 30s, hi = 10s;
  for (int i = 0; i < 200; ++i) {
    REQUIRE(p.due(at));
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(*p.next_at() - at);
    lo = std::min(lo, std::chrono::duration_cast<std::chrono::seconds>(gap));
    hi = std::max(hi, std::chrono::duration_cast<std::chrono::seconds>(gap));
    at = *p.next_at();
  }
  CHECK(lo <= 12s);
  CHECK(hi >= 28s);
}

TEST_CASE("rejoin_policy: healed: nothing more is due") {
  rejoin_policy p({}, 7);
  p.members(10, t0);
  p.members(5, t0 + 1s);
  REQUIRE(p.next_at());
  p.members(10, t0 + 20s);  // the halves merged
  CHECK_FALSE(p.next_at());
  CHECK_FALSE(p.due(t0 + 1h));
  // A new shortage starts a new schedule from its own time.
  p.members(9, t0 + 100s);
  REQUIRE(p.next_at());
  CHECK(*p.next_at() >= t0 + 110s);
  CHECK(*p.next_at() <= t0 + 130s);
  // More members than ever: the new most, nothing due.
  p.members(12, t0 + 101s);
  CHECK(p.target() == 12);
  CHECK_FALSE(p.next_at());
}

TEST_CASE("rejoin_policy: a graceful leave lowers the target, a crash does not") {
  rejoin_policy p({}, 7);
  p.members(10, t0);
  p.member_left();
  p.members(9, t0 + 1s);
  CHECK(p.target() == 9);
  CHECK_FALSE(p.next_at());
  // The member that left comes back: the target grows again.
  p.members(10, t0 + 2s);
  CHECK(p.target() == 10);
  // A crash: the target stays, a re-join is scheduled.
  p.members(9, t0 + 3s);
  CHECK(p.target() == 10);
  CHECK(p.next_at());
}

TEST_CASE("rejoin_policy: a configured interval") {
  rejoin_policy p({std::chrono::milliseconds(5000), std::chrono::milliseconds(5000)}, 1);
  p.members(2, t0);
  p.members(1, t0);
  CHECK(p.next_at() == t0 + 5s);
  CHECK(p.due(t0 + 5s));
  CHECK(p.next_at() == t0 + 10s);
}
