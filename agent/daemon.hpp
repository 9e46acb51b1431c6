#pragma once
// The running agent: owns the io_context and wires the gossip driver, the
// snapshot publisher (control socket), the HTTP endpoint and the signals.
// Everything runs on one thread.

#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"

namespace agent {

/// Command-line flags that override the config file.
struct overrides {
  std::optional<std::string> node;        ///< --node
  std::optional<std::string> bind;       ///< --bind (IP, or IP:port)
  std::optional<std::string> advertise;  ///< --advertise (IP, or IP:port)
  std::vector<std::string> join;         ///< --join (repeatable; replaces [cluster] join)
  std::optional<std::string> profile;    ///< --profile lan|wan|local|heartbeat
  std::optional<std::string> log_level;  ///< --log-level
  std::optional<std::string> socket;     ///< --socket ([publish] socket)
  std::optional<std::string> http;       ///< --http ([http] listen)
};

/// Apply `o` to `cfg`, validating each value like the file's (throws config_error).
void apply_overrides(config& cfg, const overrides& o);

/// Run the agent until it has left (SIGTERM/SIGINT or `cachecluster leave`) or a second
/// signal arrives. Returns the process exit status. Throws on start-up errors (bind, socket).
int run_agent(const config& cfg, const std::string& config_path);

}  // namespace agent
