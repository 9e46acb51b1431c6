#pragma once
// Counters of the agent itself: what its peer-list socket did. Kept apart from
// status.hpp so the control server does not depend on swim.

#include <cstdint>

namespace agent {

/// Counters of the agent itself (publishing and control).
struct agent_stats {
  std::uint64_t publishes = 0;          ///< snapshots published (after coalescing)
  std::uint64_t subscribers = 0;        ///< subscribers connected now
  std::uint64_t subscribers_total = 0;  ///< subscribers ever connected
  /// Snapshots a slow subscriber never saw (it got a newer one).
  std::uint64_t snapshots_skipped = 0;
  std::uint64_t control_requests = 0;
  std::uint64_t control_errors = 0;     ///< malformed control requests
  /// Requests refused because their op needs root or the agent's uid (join, leave, ...).
  std::uint64_t control_refused = 0;
  std::uint64_t control_sessions = 0;   ///< control connections open now, subscribers included
  /// Connections closed at once because [publish] max_sessions were open.
  std::uint64_t control_sessions_rejected = 0;
  std::uint64_t monitors = 0;  ///< sessions following the log now (`cachecluster monitor`)
  /// Log lines a monitor session missed because it read too slowly (its queue was full).
  std::uint64_t log_lines_dropped = 0;
};

}  // namespace agent
