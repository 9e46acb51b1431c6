#pragma once
// GET /metrics: the agent's status in the Prometheus text exposition format 0.0.4.

#include <string>

#include "agent/status.hpp"

namespace agent {

/// Prometheus text exposition of `s` (every metric with # HELP and # TYPE).
std::string render_metrics(const status& s);

}  // namespace agent
