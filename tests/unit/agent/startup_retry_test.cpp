// Start-up retries (agent/startup_retry.hpp) on a virtual clock: the back-off doubles from
// 100 ms to 5 s with jitter in each delay's upper half, stops at the budget, and a step that
// fails for good is not retried. No test sleeps.

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "agent/startup_retry.hpp"

using namespace std::chrono_literals;
using agent::startup_attempt;
using agent::startup_backoff;
using std::chrono::milliseconds;

namespace {

/// A virtual clock that the retry loop's sleeps advance.
struct virtual_env {
  std::chrono::steady_clock::time_point t{};
  std::vector<milliseconds> waits;
  std::vector<milliseconds> lefts;

  agent::startup_retry_env env(std::uint64_t seed = 7) {
    agent::startup_retry_env e;
    e.sleep = [this](milliseconds d) {
      waits.push_back(d);
      t += d;
    };
    e.now = [this] { return t; };
    e.on_retry = [this](milliseconds, milliseconds left) { lefts.push_back(left); };
    e.seed = seed;
    return e;
  }
};

}  // namespace

TEST_CASE("startup backoff: doubles from 100 ms to a 5 s cap, each delay in its upper half") {
  startup_backoff b({100ms, 5s, 5min}, 42);
  milliseconds expected = 100ms;
  for (int i = 0; i < 12; ++i) {
    auto d = b.next(0ms);
    REQUIRE(d);
    CHECK(*d >= expected / 2);
    CHECK(*d <= expected);
    expected = std::min<milliseconds>(expected * 2, 5s);
  }
  CHECK(b.retries() == 12);
}

TEST_CASE("startup backoff: the jitter differs between seeds, and is the same for one seed") {
  std::set<std::int64_t> firsts;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    startup_backoff b({100ms, 5s, 5min}, seed);
    for (int i = 0; i < 5; ++i) b.next(0ms);
    firsts.insert(b.next(0ms)->count());  // the sixth: within [1600, 3200] ms
  }
  CHECK(firsts.size() > 10);
  startup_backoff x({100ms, 5s, 5min}, 9), y({100ms, 5s, 5min}, 9);
  for (int i = 0; i < 8; ++i) CHECK(x.next(0ms) == y.next(0ms));
}

TEST_CASE("startup backoff: never waits past the budget, and stops once it is spent") {
  startup_backoff b({100ms, 5s, 10s}, 3);
  CHECK(b.next(9990ms) <= 10ms);
  CHECK_FALSE(b.next(10s));
  CHECK_FALSE(b.next(11s));
  startup_backoff once({100ms, 5s, 0ms}, 3);
  CHECK_FALSE(once.next(0ms));  // a budget of 0: one attempt only
}

TEST_CASE("retry_startup: a step that fails a few times, then works, succeeds") {
  virtual_env v;
  int calls = 0;
  auto failed = agent::retry_startup("metadata", 5min, [&] {
    ++calls;
    if (calls <= 4) return startup_attempt{false, true, "HTTP 503"};
    return startup_attempt{true, false, ""};
  }, v.env());
  CHECK_FALSE(failed);
  CHECK(calls == 5);
  REQUIRE(v.waits.size() == 4);
  CHECK(v.waits[0] <= 100ms);
  CHECK(v.waits[3] <= 800ms);
  CHECK(v.waits[3] >= 400ms);
  REQUIRE(v.lefts.size() == 4);
  CHECK(v.lefts[0] == 5min);  // systemd's start timeout is extended by what is left
  CHECK(v.lefts[3] < 5min);
}

TEST_CASE("retry_startup: a step that never works gives up once the budget is spent") {
  virtual_env v;
  int calls = 0;
  auto failed = agent::retry_startup("metadata", 60s, [&] {
    ++calls;
    v.t += 1s;  // each attempt takes a second (a timeout)
    return startup_attempt{false, true, "connection refused"};
  }, v.env());
  REQUIRE(failed);
  CHECK(failed->find("connection refused") == 0);
  CHECK(failed->find("gave up after " + std::to_string(calls) + " attempts over 6") !=
        std::string::npos);
  CHECK(v.t - std::chrono::steady_clock::time_point{} >= 60s);
  CHECK(v.t - std::chrono::steady_clock::time_point{} < 60s + 2s);
  // 100 ms doubling to 5 s over a minute of one-second attempts: about a dozen tries.
  CHECK(calls > 8);
  CHECK(calls < 30);
}

TEST_CASE("retry_startup: a permanent failure is not retried; a budget of 0 tries once") {
  virtual_env v;
  int calls = 0;
  auto failed = agent::retry_startup("metadata", 5min, [&] {
    ++calls;
    return startup_attempt{false, false, "HTTP 404"};
  }, v.env());
  CHECK(failed == std::optional<std::string>("HTTP 404"));
  CHECK(calls == 1);
  CHECK(v.waits.empty());

  calls = 0;
  failed = agent::retry_startup("metadata", 0ms, [&] {
    ++calls;
    return startup_attempt{false, true, "timed out"};
  }, v.env());
  CHECK(failed == std::optional<std::string>("timed out"));
  CHECK(calls == 1);
}
