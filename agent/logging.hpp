#pragma once
// The agent's log: spdlog's "cachecluster" logger on stderr, as text or as one JSON object
// per line ([log] format), at [log] level.

#include "agent/config.hpp"

namespace agent {

/// Create the logger and make it the default. Called once, at start-up.
void setup_logging(const log_config& lc);

/// Change the level of the running logger (SIGHUP reload).
void set_log_level(log_level level);

}  // namespace agent
