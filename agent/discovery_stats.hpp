#pragma once
// What discovery did, for /metrics and /ready: a plain copy taken on the
// agent's thread (discovery_runner::stats), rendered by agent/discovery_metrics.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace agent {

/// Discovery counters and the state of the last listing.
struct discovery_stats {
  std::string provider;                ///< "gce", "kubernetes", "dns", "static"; "" = no discovery
  std::uint64_t polls_ok = 0;          ///< listings that completed
  std::uint64_t polls_failed = 0;      ///< listings that failed (peers kept)
  std::uint64_t polls_rate_limited = 0;///< of those, refused for quota
  /// API requests by (method, HTTP status; 0 = no answer).
  std::map<std::pair<std::string, int>, std::uint64_t> api_calls;
  std::optional<double> last_success_unix;  ///< wall-clock time of the last completed listing
  std::size_t candidates = 0;          ///< candidates in the last completed listing
  /// Seconds since a listing held a candidate no earlier listing had; nullopt = never.
  std::optional<double> seconds_since_new_candidate;
  std::string last_error;              ///< why the last listing failed; "" after a success
};

}  // namespace agent
