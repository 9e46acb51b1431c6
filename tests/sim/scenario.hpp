#pragma once
// Shared pieces of the sim scenarios: the seed, profiles, and the protocol's
// own thresholds (docs/wire.md §7.6), so that each test derives its
// limits from the protocol rather than from what the code happens to do.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ranges>
#include <string_view>

#include "swim/sim/cluster.hpp"

namespace sim_test {

using namespace std::chrono_literals;
using swim::duration;
using swim::member_event;
using swim::member_state;
using swim::time_point;
using swim::sim::cluster;
using swim::sim::cluster_options;

/// The fixed default seed; SIM_SEED overrides it.
inline std::uint64_t test_seed() { return swim::sim::seed_from_env(20240611); }

/// Options for a profile ("lan" or "250ms") with the run's seed.
inline cluster_options options(std::string_view profile) {
  cluster_options o;
  o.seed = test_seed();
  o.t = *swim::sim::sim_profile(profile);
  return o;
}

/// memberlist suspicionTimeout: SuspicionMult x max(1, log10(max(1, n))) x ProbeInterval,
/// the scale truncated to 1/1000 as Go's integer Duration arithmetic does.
inline duration suspicion_min(const swim::timing& t, std::size_t n) {
  const double scale = std::max(1.0, std::log10(std::max(1.0, static_cast<double>(n))));
  const auto milli = static_cast<std::int64_t>(scale * 1000.0);
  return duration(t.suspicion_mult * milli * t.probe_interval.count() / 1000);
}

/// SuspicionMaxTimeoutMult x the minimum.
inline duration suspicion_max(const swim::timing& t, std::size_t n) {
  return t.suspicion_max_timeout_mult * suspicion_min(t, n);
}

/// Seconds as a double, for messages.
inline double secs(duration d) { return static_cast<double>(d.count()) / 1e6; }

/// Start `n` members, join them all through member 0 and wait until everyone sees everyone.
inline void bootstrap(cluster& c, std::size_t n, duration timeout = 10s) {
  c.start(n);
  c.join_all(0);
  const bool ok = c.run_until([&] { return c.converged(); }, timeout);
  INFO("bootstrap of " << n << " members did not converge in " << secs(timeout) << " s");
  REQUIRE(ok);
}

/// Every live member has removed (dead or left) each of `subjects`.
template <std::ranges::input_range R>
inline bool all_see_all_gone(const cluster& c, const R& subjects) {
  return std::ranges::all_of(subjects, [&](std::size_t v) { return c.all_see_gone(v); });
}

/// Dead (not left) events about `subject` raised by anyone at or after `since`.
inline std::size_t deaths(const cluster& c, std::size_t subject, time_point since = {}) {
  return c.count_events(subject, member_event::dead, since);
}

}  // namespace sim_test

/// Put the seed into every failure message of the enclosing scope.
#define SIM_SEED_INFO(c) INFO("reproduce with SIM_SEED=" << (c).seed())
