#pragma once
// The running agent: owns the io_context and wires the gossip driver, the
// snapshot publisher (control socket), the HTTP endpoint and the signals.
// Everything runs on one thread.

#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"

namespace agent {

/// Run the agent until it has left (SIGTERM/SIGINT or `cachecluster leave`) or a second
/// signal arrives. Returns the process exit status. Throws on start-up errors (bind, socket).
int run_agent(const config& cfg, const std::string& config_path);

}  // namespace agent
