#pragma once
// When to call the Compute API next (pure: state in, delay out; the RNG is
// injected). Gossip keeps membership once an agent has joined, so the API is
// only a safety net and the whole cluster shares one call budget:
//
//   cluster calls/min = N members x C calls per poll x 60 / T seconds
//   =>  T = N x C x 60 / B          for a cluster budget of B calls/min
//
// so each member polls with a period proportional to the live member count
// and the cluster total stays at B whatever N is. Jitter (uniform, mean kept)
// spreads members that started together. An agent that is alone polls sooner
// (it is probably booting and needs seeds), backing off exponentially; failures
// back off exponentially too; a rate limit waits for the next quota minute plus
// a random spread, so agents do not all return on the same second. A refusal
// that is not a rate limit (403 forbidden: a missing scope or IAM role) is
// retried at most a minute apart whatever the failure count, so a fixed IAM
// binding is noticed within a minute rather than after a 10-minute back-off.

#include <chrono>
#include <cstddef>
#include <optional>
#include <random>

namespace gce {

/// Tuning of the poll policy; defaults suit the [gce] defaults.
struct poll_config {
  int api_calls_per_minute = 10;  ///< B: budget of the whole cluster ([gce] api_calls_per_minute)
  std::chrono::milliseconds min_period{std::chrono::seconds(60)};   ///< floor of the steady period
  std::chrono::milliseconds alone_initial{std::chrono::seconds(2)}; ///< first retry when alone
  std::chrono::milliseconds alone_max{std::chrono::minutes(2)};     ///< cap of the alone back-off
  std::chrono::milliseconds failure_max{std::chrono::minutes(10)};  ///< cap of the failure back-off
  /// Longest wait after a permission refusal (403 not a rate limit), jitter included,
  /// unless the budget's steady period is longer.
  std::chrono::milliseconds permission_retry_max{std::chrono::seconds(60)};
  std::chrono::milliseconds startup_spread{std::chrono::seconds(2)};///< first poll in [0, this)
  std::chrono::milliseconds rate_limit_spread{std::chrono::seconds(20)}; ///< after a quota minute
  double jitter = 0.5;  ///< steady delays are uniform in [1 - jitter, 1 + jitter] x period
};

/// What the agent knows when it schedules the next poll.
struct poll_state {
  std::size_t live_members = 1;  ///< N: alive members in the gossip view, self included
  int calls_per_poll = 1;        ///< C: requests the last listing took (zones x pages), >= 1
  bool alone = true;             ///< no other live member
  int alone_polls = 0;           ///< polls in a row that left the agent alone
  int consecutive_failures = 0;  ///< failed polls in a row
  bool permission_denied = false;  ///< the last poll failed with a 403 that is not a rate limit
  /// From the last discovery_result: no call before this wall-clock time.
  std::optional<std::chrono::system_clock::time_point> rate_limited_until;
};

/// The steady (un-jittered) period T = max(min_period, N x C x 60 s / B).
std::chrono::milliseconds steady_period(std::size_t live_members, int calls_per_poll,
                                        const poll_config& cfg);

/// Delay until the next poll, jittered with `rng`.
std::chrono::milliseconds next_poll_delay(const poll_state& state, const poll_config& cfg,
                                          std::chrono::system_clock::time_point now,
                                          std::mt19937_64& rng);

/// Delay of the first poll after start-up: uniform in [0, startup_spread).
std::chrono::milliseconds initial_poll_delay(const poll_config& cfg, std::mt19937_64& rng);

}  // namespace gce
