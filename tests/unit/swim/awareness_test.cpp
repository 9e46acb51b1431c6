#include <doctest/doctest.h>

#include "swim/awareness.hpp"

using namespace swim;
using namespace std::chrono_literals;

TEST_CASE("awareness: score saturates in [0, max-1] and scales timeouts") {
  awareness a(8);
  CHECK(a.score() == 0);
  a.apply_delta(-1);
  CHECK(a.score() == 0);
  a.apply_delta(3);
  CHECK(a.score() == 3);
  CHECK(a.scale(1s) == 4s);
  a.apply_delta(100);
  CHECK(a.score() == 7);
  CHECK(a.scale(1s) == 8s);
  a.apply_delta(-2);
  CHECK(a.score() == 5);
}
