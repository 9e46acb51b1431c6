#pragma once
// The client side of `cachecluster members|watch|join|leave|keys`: talk to a running
// agent over its Unix socket with peerlib::send_request (peerlib/request.hpp).
// Blocking: a CLI has nothing else to do while it waits.

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "peerlib/protocol.hpp"

namespace agent::cli {

/// The built-in socket path ([publish] socket's default).
inline constexpr const char* default_socket = "/run/cachecluster/cachecluster.sock";
/// The config file the agent reads by default.
inline constexpr const char* default_config = "/etc/cachecluster/cachecluster.ini";

/// The socket a client command talks to: `flag` (--socket) when given; else `env`
/// (CACHECLUSTER_SOCKET) when set and not empty; else [publish] socket of `config` when that
/// file exists and sets it; else default_socket. A config file that cannot be read or parsed
/// is skipped with a note on `err`.
std::string find_socket(const std::optional<std::string>& flag, const char* env,
                        const std::filesystem::path& config, std::ostream& err);

/// Which members `members` lists, as Serf's `members -status -name -tag` filter them.
struct member_filter {
  std::optional<std::string> status;  ///< only members in this state
  std::string name;                   ///< a regular expression the whole name matches; "" = any
  std::vector<std::string> tags;      ///< KEY=REGEX each: the tag's whole value matches
};

/// The members of `doc` that pass `f`; nullopt, and why in `error`, for a malformed regular
/// expression or a tag filter without '='. Pure, for tests.
std::optional<peerlib::members_document> filter_members(peerlib::members_document doc,
                                                        const member_filter& f,
                                                        std::string* error);

/// `members`: print the table (or the JSON document with `json`) of the members passing `f`.
/// Exit status 2 for a bad filter.
int members(const std::string& socket, bool json, const member_filter& f, std::ostream& out,
            std::ostream& err);
/// `watch`: print each snapshot line as it arrives, until the agent goes away; the agent
/// going away is an error (exit status 1), since a watch only ends so.
int watch(const std::string& socket, std::ostream& out, std::ostream& err);
/// `join HOST...`: ask the agent to join these seeds (IP or DNS name, optional port).
int join(const std::string& socket, const std::vector<std::string>& addresses, std::ostream& out,
         std::ostream& err);
/// `leave`: ask the agent to leave gracefully (it exits afterwards).
int leave(const std::string& socket, std::ostream& out, std::ostream& err);
/// `keys list|install KEY|use KEY|remove KEY`: have the agent run the key operation on every
/// member (Serf's key queries) and print what they answered, like `serf keys`. `timeout`
/// bounds the wait for the members' answers (none: the agent's default). Exit status 1 when
/// any member failed or did not answer.
int keys(const std::string& socket, peerlib::keys_action action, const std::string& key,
         std::optional<std::chrono::milliseconds> timeout, std::ostream& out, std::ostream& err);

/// Print a keys line as `keys` does: progress and the summary on `out`, each failed member and
/// the error on `err`; for list, each key with the members holding it. The exit status. Pure,
/// for tests.
int print_keys(const peerlib::keys_result& r, std::ostream& out, std::ostream& err);

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
