#pragma once
// The client side of Serf's everyday commands on our agent: `force-leave NAME`, `info`
// and `monitor --log-level LEVEL` (the members filters are in agent/cli.*). Blocking,
// through peerlib::send_request.

#include <iosfwd>
#include <string>

#include "peerlib/protocol.hpp"

namespace agent::cli {

/// `force-leave NAME`: mark the failed member NAME left everywhere. Exit status 1 when the
/// agent refused (NAME alive, unknown, or too many force-leaves just now).
int force_leave(const std::string& socket, const std::string& node, std::ostream& out,
                std::ostream& err);

/// `info`: the agent, protocol versions and counters, as `serf info` prints them (or the
/// info line's JSON, indented, with `json`).
int info(const std::string& socket, bool json, std::ostream& out, std::ostream& err);

/// `monitor`: print the agent's log at `level` (trace, debug, info, warn, error) or above,
/// one line per event, until the agent goes away (exit status 1) or the output fails.
int monitor(const std::string& socket, const std::string& level, std::ostream& out,
            std::ostream& err);

/// "section:\n\tkey = value\n..." as `serf info` prints it, sections and keys sorted. Pure.
std::string format_info(const peerlib::info_reply& i);

/// "TIME [SEVERITY] message". Pure.
std::string format_log(const peerlib::log_line& l);

}  // namespace agent::cli
