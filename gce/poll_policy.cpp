#include "gce/poll_policy.hpp"

#include <algorithm>
#include <cstdint>

namespace gce {

using namespace std::chrono;

namespace {

milliseconds scaled(milliseconds d, double factor) {
  return milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * factor));
}

milliseconds jittered(milliseconds d, double jitter, std::mt19937_64& rng) {
  jitter = std::clamp(jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> f(1.0 - jitter, 1.0 + jitter);
  return scaled(d, f(rng));
}

/// d x 2^n, saturating at `cap`.
milliseconds doubled(milliseconds d, int n, milliseconds cap) {
  for (int i = 0; i < n && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

}  // namespace

milliseconds steady_period(std::size_t live_members, int calls_per_poll, const poll_config& cfg) {
  const auto n = static_cast<std::int64_t>(std::max<std::size_t>(1, live_members));
  const auto c = static_cast<std::int64_t>(std::max(1, calls_per_poll));
  const auto b = static_cast<std::int64_t>(std::max(1, cfg.api_calls_per_minute));
  // No upper cap: capping T would let the cluster total grow with N.
  return std::max(cfg.min_period, milliseconds(n * c * 60'000 / b));
}

milliseconds next_poll_delay(const poll_state& state, const poll_config& cfg,
                             system_clock::time_point now, std::mt19937_64& rng) {
  milliseconds delay;
  if (state.alone) {
    // Alone: seeds are what we lack, so retry soon, backing off. Never faster
    // than one agent's whole share of the budget.
    const auto own_share =
        milliseconds(std::max(1, state.calls_per_poll) * 60'000 / std::max(1, cfg.api_calls_per_minute));
    delay = std::max(doubled(cfg.alone_initial, state.alone_polls, cfg.alone_max),
                     std::min(own_share, cfg.alone_max));
  } else {
    delay = steady_period(state.live_members, state.calls_per_poll, cfg);
  }
  if (state.consecutive_failures > 0)
    delay = std::max(delay, doubled(delay, state.consecutive_failures, cfg.failure_max));
  delay = jittered(delay, cfg.jitter, rng);
  if (state.consecutive_failures > 0 && state.permission_denied) {
    // Never slower than a minute (a fixed IAM binding is noticed soon), never faster than
    // the budget allows the cluster in steady state.
    const auto steady = steady_period(state.live_members, state.calls_per_poll, cfg);
    delay = std::min(delay, std::max(cfg.permission_retry_max, state.alone ? milliseconds(0) : steady));
  }
  if (state.rate_limited_until && *state.rate_limited_until > now) {
    const auto wait = ceil<milliseconds>(*state.rate_limited_until - now);
    std::uniform_int_distribution<std::int64_t> spread(
        0, std::max<std::int64_t>(0, cfg.rate_limit_spread.count()));
    delay = std::max(delay, wait + milliseconds(spread(rng)));
  }
  return std::max(delay, milliseconds(1));
}

milliseconds initial_poll_delay(const poll_config& cfg, std::mt19937_64& rng) {
  if (cfg.startup_spread.count() <= 0) return milliseconds(0);
  std::uniform_int_distribution<std::int64_t> d(0, cfg.startup_spread.count() - 1);
  return milliseconds(d(rng));
}

}  // namespace gce
