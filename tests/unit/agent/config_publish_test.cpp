// [publish] coalescing and flap-damping keys: defaults, values, and what is refused.
#include <doctest/doctest.h>

#include <string>

#include "agent/config.hpp"
#include "config_text.hpp"

using namespace std::chrono_literals;

namespace {

agent::publish_config load(const std::string& text) {
  return config_text::load("[publish]\n" + text).cfg.publish;
}

std::string error_of(const std::string& text) {
  return config_text::error_of("[publish]\n" + text);
}

using config_text::contains;

}  // namespace

TEST_CASE("config: [publish] coalescing and flap damping defaults") {
  auto p = load("");
  CHECK(p.coalesce_max == 1s);
  CHECK_FALSE(p.burst_hold);  // 16 probe intervals, decided at start-up
  CHECK(p.flap_half_life == 60s);
  CHECK(p.flap_suppress == 1500);
  CHECK(p.flap_reuse == 750);
  CHECK(p.flap_max_suppress == 5min);
}

TEST_CASE("config: [publish] coalescing and flap damping values") {
  auto p = load(
      "coalesce_max = 500ms\nburst_hold = 0\nflap_half_life = 2m\nflap_suppress = 3000\n"
      "flap_reuse = 1000\nflap_max_suppress = 30m\n");
  CHECK(p.coalesce_max == 500ms);
  REQUIRE(p.burst_hold);
  CHECK(*p.burst_hold == 0ms);
  CHECK(p.flap_half_life == 2min);
  CHECK(p.flap_suppress == 3000);
  CHECK(p.flap_reuse == 1000);
  CHECK(p.flap_max_suppress == 30min);
  // 0 turns suppression off.
  CHECK(load("flap_max_suppress = 0\n").flap_max_suppress == 0ms);
}

TEST_CASE("config: [publish] coalescing and flap damping errors") {
  CHECK(contains(error_of("coalesce_max = 10ms\n"), "[publish] coalesce_max"));
  CHECK(contains(error_of("coalesce_max = 11s\n"), "[publish] coalesce_max"));
  CHECK(contains(error_of("burst_hold = 2m\n"), "[publish] burst_hold"));
  CHECK(contains(error_of("flap_half_life = 0\n"), "[publish] flap_half_life"));
  // One flap (1000) must never suppress.
  CHECK(contains(error_of("flap_suppress = 1000\n"), "[publish] flap_suppress"));
  CHECK(contains(error_of("flap_suppress = many\n"), "[publish] flap_suppress"));
  CHECK(contains(error_of("flap_reuse = 0\n"), "[publish] flap_reuse"));
  CHECK(contains(error_of("flap_reuse = 1500\n"), "must be below flap_suppress (1500)"));
  // 750 x 2^(30 s / 60 s) = 1061 < 1500: could never suppress.
  CHECK(contains(error_of("flap_max_suppress = 30s\n"), "too short to ever suppress"));
  CHECK(load("flap_max_suppress = 1m\n").flap_max_suppress == 1min);  // 1500: just enough
}
