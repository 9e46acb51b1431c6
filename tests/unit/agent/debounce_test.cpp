// agent/debounce: consul-template's wait = MIN:MAX on virtual time.
#include <doctest/doctest.h>

#include "agent/debounce.hpp"

using namespace agent;
using namespace std::chrono_literals;

namespace {
const debounce::clock::time_point t0{std::chrono::seconds(1000)};
}

TEST_CASE("debounce: a lone change acts MIN after it") {
  debounce d(2s, 10s);
  CHECK_FALSE(d.due_at());
  CHECK_FALSE(d.take(t0));
  CHECK(d.changed(t0) == t0 + 2s);
  CHECK_FALSE(d.take(t0 + 1999ms));
  CHECK(d.pending());
  CHECK(d.take(t0 + 2s));
  CHECK_FALSE(d.pending());
  CHECK_FALSE(d.due_at());
  CHECK_FALSE(d.take(t0 + 3s));  // taken once
}

TEST_CASE("debounce: each change restarts the quiet time") {
  debounce d(2s, 10s);
  d.changed(t0);
  CHECK(d.changed(t0 + 1500ms) == t0 + 3500ms);
  CHECK_FALSE(d.take(t0 + 2s));
  CHECK(d.take(t0 + 3500ms));
}

TEST_CASE("debounce: a view that never settles acts MAX after the first change") {
  debounce d(2s, 10s);
  auto now = t0;
  d.changed(now);
  int taken = 0;
  // A change every second for 25 s: never quiet for 2 s.
  for (int i = 1; i <= 25; ++i) {
    now = t0 + std::chrono::seconds(i);
    if (d.take(now)) ++taken;
    auto due = d.changed(now);
    CHECK(due <= now + 2s);
  }
  // Acted at 10 s and 20 s (each burst's first change + MAX), no more.
  CHECK(taken == 2);
  CHECK(*d.due_at() == t0 + 27s);  // the burst that opened at 20 s: quiet at 27 s comes before 30 s
}

TEST_CASE("debounce: 0:0 acts at the change itself; MAX below MIN is raised to MIN") {
  debounce d(0s, 0s);
  CHECK(d.changed(t0) == t0);
  CHECK(d.take(t0));
  debounce e(3s, 1s);
  CHECK(e.changed(t0) == t0 + 3s);
}
