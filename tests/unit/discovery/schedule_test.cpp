#include "discovery/schedule.hpp"

#include <doctest/doctest.h>

using namespace discovery;
using namespace std::chrono;

TEST_CASE("schedule: an interval provider lists every interval, +-10 %") {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 500; ++i) {
    const auto d = interval_delay(seconds(10), 0, rng);
    CHECK(d >= seconds(9));
    CHECK(d <= seconds(11));
  }
}

TEST_CASE("schedule: failures double the interval up to a minute (or the interval if longer)") {
  std::mt19937_64 rng(2);
  auto mid = [&](milliseconds interval, int failures) {
    milliseconds lo = hours(1), hi{0};
    for (int i = 0; i < 200; ++i) {
      const auto d = interval_delay(interval, failures, rng);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    return std::pair{lo, hi};
  };
  auto [lo1, hi1] = mid(seconds(10), 1);
  CHECK(lo1 >= seconds(18));
  CHECK(hi1 <= seconds(22));
  auto [lo9, hi9] = mid(seconds(10), 9);
  CHECK(lo9 >= seconds(54));
  CHECK(hi9 <= seconds(66));
  auto [lo_long, hi_long] = mid(minutes(5), 4);  // never shorter than the interval itself
  CHECK(lo_long >= seconds(270));
  CHECK(hi_long <= seconds(330));
}

TEST_CASE("schedule: the watch back-off doubles from 1 s to 30 s with equal jitter") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const auto first = watch_backoff(1, rng);
    CHECK(first >= milliseconds(500));
    CHECK(first <= seconds(1));
    const auto third = watch_backoff(3, rng);
    CHECK(third >= seconds(2));
    CHECK(third <= seconds(4));
    const auto many = watch_backoff(40, rng);
    CHECK(many >= seconds(15));
    CHECK(many <= seconds(30));
  }
}
