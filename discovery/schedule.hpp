#pragma once
// When a polling provider that has no API budget (dns, static) lists again, and
// how a watching provider (kubernetes) backs off after errors. Pure: state in,
// delay out, the RNG injected. The GCE budget policy is gce/poll_policy.hpp.

#include <chrono>
#include <random>

namespace discovery {

/// Delay before the next listing of an interval provider: `interval` after a success;
/// after `failures` failed listings in a row, interval x 2^failures capped at
/// max(interval, failure_max). Jittered by +-10 % so agents started together spread out.
std::chrono::milliseconds interval_delay(std::chrono::milliseconds interval, int failures,
                                         std::mt19937_64& rng,
                                         std::chrono::milliseconds failure_max = std::chrono::seconds(60));

/// Back-off of a watch loop after `failures` errors in a row (>= 1): 1 s doubling up to
/// 30 s, "equal jitter" (half fixed, half random). A permission refusal (403) waits the
/// same: it is fixed by an RBAC change the watch should notice within a minute.
std::chrono::milliseconds watch_backoff(int failures, std::mt19937_64& rng);

}  // namespace discovery
