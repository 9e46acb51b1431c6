#include "gce/poll_policy.hpp"

#include <doctest/doctest.h>

using namespace gce;
using namespace std::chrono;

TEST_CASE("poll_policy: period grows with N so the cluster total stays at the budget") {
  poll_config cfg;
  cfg.api_calls_per_minute = 10;
  cfg.min_period = seconds(60);
  CHECK(steady_period(1, 1, cfg) == seconds(60));      // floor
  CHECK(steady_period(100, 1, cfg) == seconds(600));   // 100 x 60 / 10
  CHECK(steady_period(2000, 3, cfg) == seconds(36000));
  for (std::size_t n : {10u, 100u, 500u, 2000u}) {
    for (int c : {1, 3}) {
      const double per_member_per_min = c * 60.0 / duration<double>(steady_period(n, c, cfg)).count();
      CHECK(per_member_per_min * static_cast<double>(n) <= 10.0 + 1e-9);
    }
  }
}

TEST_CASE("poll_policy: jitter keeps the mean and bounds") {
  poll_config cfg;
  std::mt19937_64 rng(7);
  poll_state s;
  s.alone = false;
  s.live_members = 100;
  double sum = 0;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    const auto d = next_poll_delay(s, cfg, system_clock::now(), rng);
    CHECK(d >= seconds(300));
    CHECK(d <= seconds(900));
    sum += duration<double>(d).count();
  }
  CHECK(sum / n == doctest::Approx(600).epsilon(0.03));
}

TEST_CASE("poll_policy: alone polls sooner, backing off to a cap") {
  poll_config cfg;
  cfg.jitter = 0;
  cfg.api_calls_per_minute = 60;  // own share: 1 s
  std::mt19937_64 rng(1);
  poll_state s;
  s.alone = true;
  const auto now = system_clock::now();
  CHECK(next_poll_delay(s, cfg, now, rng) == seconds(2));
  s.alone_polls = 3;
  CHECK(next_poll_delay(s, cfg, now, rng) == seconds(16));
  s.alone_polls = 30;
  CHECK(next_poll_delay(s, cfg, now, rng) == minutes(2));
  cfg.api_calls_per_minute = 2;  // own share 30 s beats the 2 s first retry
  s.alone_polls = 0;
  CHECK(next_poll_delay(s, cfg, now, rng) == seconds(30));
}

TEST_CASE("poll_policy: failures back off, capped") {
  poll_config cfg;
  cfg.jitter = 0;
  std::mt19937_64 rng(1);
  poll_state s;
  s.alone = false;
  s.live_members = 2;
  const auto now = system_clock::now();
  CHECK(next_poll_delay(s, cfg, now, rng) == seconds(60));
  s.consecutive_failures = 2;
  CHECK(next_poll_delay(s, cfg, now, rng) == seconds(240));
  s.consecutive_failures = 50;
  CHECK(next_poll_delay(s, cfg, now, rng) == minutes(10));
}

TEST_CASE("poll_policy: a permission refusal is retried at most a minute apart") {
  poll_config cfg;  // jitter 0.5: the cap holds after jitter
  std::mt19937_64 rng(5);
  const auto now = system_clock::now();
  poll_state s;
  s.alone = true;
  s.alone_polls = 8;
  for (int failures : {1, 3, 10, 50}) {
    s.consecutive_failures = failures;
    s.permission_denied = true;
    for (int i = 0; i < 200; ++i) CHECK(next_poll_delay(s, cfg, now, rng) <= seconds(60));
    s.permission_denied = false;  // any other failure keeps the long back-off
    if (failures >= 3) CHECK(next_poll_delay(s, cfg, now, rng) > seconds(60));
  }
  // In a big cluster the budget's steady period still rules: no faster than 600 s here.
  s.alone = false;
  s.live_members = 100;
  s.consecutive_failures = 5;
  s.permission_denied = true;
  for (int i = 0; i < 200; ++i) {
    const auto d = next_poll_delay(s, cfg, now, rng);
    CHECK(d <= seconds(600));
    CHECK(d >= seconds(300));
  }
}

TEST_CASE("poll_policy: a rate limit waits for the quota minute plus a spread") {
  poll_config cfg;
  cfg.jitter = 0;
  std::mt19937_64 rng(3);
  poll_state s;
  s.alone = true;
  const auto now = system_clock::time_point(seconds(1'700'000'015));
  s.rate_limited_until = now + seconds(25);
  for (int i = 0; i < 100; ++i) {
    const auto d = next_poll_delay(s, cfg, now, rng);
    CHECK(d >= seconds(25));
    CHECK(d <= seconds(45));
  }
  s.rate_limited_until = now - seconds(1);  // already past: no effect
  CHECK(next_poll_delay(s, cfg, now, rng) == seconds(6));
}

TEST_CASE("poll_policy: start-up spread") {
  poll_config cfg;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100; ++i) {
    const auto d = initial_poll_delay(cfg, rng);
    CHECK(d >= milliseconds(0));
    CHECK(d < seconds(2));
  }
}
