#pragma once
// Discovery's part of /metrics (cachecluster_discovery_*, docs/http.md) and the
// explanation /ready gives while the agent is not ready. Pure functions.

#include <string>

#include "agent/discovery_stats.hpp"

namespace agent {

class exposition;

/// The cachecluster_discovery_* families, appended to /metrics; none when no discovery runs.
void write_discovery_metrics(exposition& m, const discovery_stats& d);

/// Why the agent is not ready, one line: the last discovery error, else what it waits for.
std::string not_ready_reason(const discovery_stats& d);

}  // namespace agent
