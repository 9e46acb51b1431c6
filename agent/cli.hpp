#pragma once
// The client side of `cachecluster members|watch|join|leave`: talk to a running
// agent over its Unix socket with peerlib::send_request (peerlib/request.hpp).
// Blocking: a CLI has nothing else to do while it waits.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "peerlib/protocol.hpp"

namespace agent::cli {

/// `members`: print the table (or the JSON document with `json`), optionally only one state.
int members(const std::string& socket, bool json, const std::optional<std::string>& status,
            std::ostream& out, std::ostream& err);
/// `watch`: print each snapshot line as it arrives, until the agent goes away.
int watch(const std::string& socket, std::ostream& out, std::ostream& err);
/// `join ADDR...`: ask the agent to join these seeds.
int join(const std::string& socket, const std::vector<std::string>& addresses, std::ostream& out,
         std::ostream& err);
/// `leave`: ask the agent to leave gracefully (it exits afterwards).
int leave(const std::string& socket, std::ostream& out, std::ostream& err);

/// The `members` table, like `serf members`: name, address:port, state, tags. Rows whose
/// state differs from `status` (when given) are left out. Pure, for tests.
std::string format_members(const peerlib::members_document& doc,
                           const std::optional<std::string>& status);
/// The same table from a members line; "" and `error` set when the line is not one.
std::string format_members(const std::string& members_json,
                           const std::optional<std::string>& status, std::string* error);
/// `members --json`: the document (members in state `status` only, when given), indented by
/// two spaces with keys sorted, and a newline.
std::string format_members_json(const peerlib::members_document& doc,
                                const std::optional<std::string>& status);

}  // namespace agent::cli
