#pragma once
// Discovery's part of /metrics (cachecluster_discovery_*, docs/http.md) and the
// explanation /ready gives while the agent is not ready. Pure functions.

#include <string>

#include "agent/discovery_stats.hpp"

namespace agent {

/// The cachecluster_discovery_* families in the Prometheus text format; "" when no
/// discovery runs.
std::string render_discovery_metrics(const discovery_stats& d);

/// Why the agent is not ready, one line: the last discovery error, else what it waits for.
std::string not_ready_reason(const discovery_stats& d);

}  // namespace agent
