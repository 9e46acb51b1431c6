#pragma once
// The daemon: the running agent's lifecycle (start, signals, reload, leave,
// stop). It owns the io_context and wires the rooms that do the work: the
// gossip driver (swim/asio), agent/swim_setup (node configuration),
// agent/publisher (snapshots), agent/joiner (joins), agent/discovery_runner,
// agent/control_server and agent/http_server. Everything runs on one thread.

#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"

namespace agent {

/// Run the agent until it has left (SIGTERM/SIGINT or `cachecluster leave`) or a second
/// signal arrives. Returns the process exit status. Throws on start-up errors (bind, socket).
int run_daemon(const config& cfg, const std::string& config_path);

}  // namespace agent
