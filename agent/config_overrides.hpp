#pragma once
// Command-line flags of `cachecluster agent` that override cachecluster.ini, each
// checked by the same code as the file's key it stands for.

#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"

namespace agent {

/// Command-line flags that override the config file.
struct overrides {
  std::optional<std::string> node;       ///< --node
  std::optional<std::string> bind;       ///< --bind (IP, or IP:port)
  std::optional<std::string> advertise;  ///< --advertise (IP, or IP:port)
  std::vector<std::string> join;         ///< --join (repeatable; replaces [cluster] join)
  std::optional<std::string> profile;    ///< --profile lan|wan|local|heartbeat
  std::optional<std::string> log_level;  ///< --log-level
  std::optional<std::string> socket;     ///< --socket ([publish] socket)
  std::optional<std::string> http;       ///< --http ([http] listen)
  std::optional<std::string> encrypt;    ///< --encrypt ([encrypt] key)
};

/// Apply `o` to `cfg`, validating each value like the file's (throws config_error). Returns
/// the warnings about the flags' values (e.g. --http on an address that is not loopback).
std::vector<std::string> apply_overrides(config& cfg, const overrides& o);

}  // namespace agent
