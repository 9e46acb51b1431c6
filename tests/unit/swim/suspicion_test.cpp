#include <doctest/doctest.h>

#include "swim/suspicion.hpp"

using namespace swim;
using namespace std::chrono_literals;

TEST_CASE("suspicion: min timeout scales with log10 n, truncated like memberlist") {
  // memberlist util_test.go TestSuspicionTimeout values, lan probe interval 1 s, mult 4.
  CHECK(suspicion_min_timeout(4, 1, 1s) == 4s);
  CHECK(suspicion_min_timeout(4, 5, 1s) == 4s);
  CHECK(suspicion_min_timeout(4, 10, 1s) == 4s);
  CHECK(suspicion_min_timeout(4, 50, 1s) == 6792ms);  // log10(50) = 1.69897 -> 1.698
  CHECK(suspicion_min_timeout(4, 100, 1s) == 8s);
  CHECK(suspicion_min_timeout(4, 1000, 1s) == 12s);
  CHECK(suspicion_min_timeout(4, 0, 1s) == 4s);
  CHECK(suspicion_min_timeout(4, 10, 250ms) == 1s);
}

TEST_CASE("suspicion: remaining time follows Lifeguard's log formula") {
  // Table from memberlist suspicion_test.go TestSuspicion_remainingSuspicionTime.
  struct row {
    int n, k;
    duration elapsed, min, max, expected;
  };
  const row rows[] = {
      {0, 3, 0s, 2s, 30s, 30s},
      {1, 3, 2s, 2s, 30s, 14s},
      {2, 3, 3s, 2s, 30s, 4810ms},
      {3, 3, 4s, 2s, 30s, -2s},
      {4, 3, 5s, 2s, 30s, -3s},
      {5, 3, 10s, 2s, 30s, -8s},
  };
  for (const auto& r : rows) {
    CAPTURE(r.n);
    CHECK(remaining_suspicion_time(r.n, r.k, r.elapsed, r.min, r.max) == r.expected);
  }
}

TEST_CASE("suspicion: starts at max, confirmations pull it to min, duplicates ignored") {
  time_point t0{};
  suspicion s("a", 2, 4s, 24s, t0);
  CHECK(s.deadline() == t0 + 24s);
  CHECK_FALSE(s.confirm("a", t0 + 1s));  // the accuser itself is not a confirmation
  CHECK(s.confirm("b", t0 + 1s));
  CHECK(s.deadline() == t0 + 11381ms);  // 24 - ln2/ln3 * 20 = 11.381 s, floored to ms
  CHECK_FALSE(s.confirm("b", t0 + 2s));
  CHECK(s.confirm("c", t0 + 2s));
  CHECK(s.deadline() == t0 + 4s);
  CHECK_FALSE(s.confirm("d", t0 + 3s));  // counting stops at k
  CHECK(s.confirmations() == 2);
}

TEST_CASE("suspicion: with k = 0 the timer is min and never moves") {
  time_point t0{};
  suspicion s("a", 0, 4s, 24s, t0);
  CHECK(s.deadline() == t0 + 4s);
  CHECK_FALSE(s.confirm("b", t0 + 1s));
  CHECK(s.deadline() == t0 + 4s);
}

TEST_CASE("suspicion: a late confirmation past min fires at once") {
  time_point t0{};
  suspicion s("a", 1, 4s, 24s, t0);
  CHECK(s.confirm("b", t0 + 10s));
  CHECK(s.deadline() == t0 + 10s);
}
