#pragma once
// The agent's Unix-socket protocol: newline-delimited JSON, one object per line.
// Every message of it is defined, encoded and decoded here, and both sides use
// this file: the agent (agent/control_server.cpp, agent/http_handler.cpp) and
// its clients (peerlib::client, peerlib::request, the cachecluster CLI).
// C++17, no Boost. docs/protocol.md is the reference for other languages.
//
// A client sends one request line:
//   {"op":"subscribe"}                 -> a snapshot line now, and one after every change
//   {"op":"members"}                   -> one members line (every state), then close
//   {"op":"join","addresses":["h:p"]}  -> one result line
//   {"op":"leave"}                     -> one result line once the leave has spread; the agent exits
//   {"op":"keys","action":"install","key":"base64"}
//                                      -> one keys line once every member answered or the
//                                         query timed out (actions: list, install, use, remove)
//   {"op":"force-leave","node":"name"} -> one result line (a failed member marked left everywhere)
//   {"op":"info"}                      -> one info line (agent, protocol versions, counters)
//   {"op":"monitor","log_level":"debug"}
//                                      -> a log line for every event the agent logs at that
//                                         level or above, until either side closes
// A bad request gets one error line: {"type":"error","message":"..."}.
//
// Encoders return one line without the trailing newline and never throw (bytes
// that are not UTF-8 become U+FFFD). Decoders never throw either: on bad input
// they return nullopt and set `error` (if given) to the reason. They are strict
// about the types of the keys they know and ignore keys they do not know, so a
// newer agent may add keys.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace peerlib {

/// A peer's liveness as the agent publishes it (dead and left peers are not published).
enum class peer_state { alive, suspect };

/// One live member of the cluster.
struct peer {
  std::string name;                            ///< unique member name
  std::string address;                         ///< IP address (no port)
  std::uint16_t port = 0;                      ///< gossip port
  std::optional<std::uint16_t> cache_port;     ///< the cache node's port, if it publishes one
  std::string cache_url;                       ///< "http://address:cache_port", or "" without a cache port
  std::string zone;                            ///< GCE zone, "" when unknown
  peer_state state = peer_state::alive;
  std::uint32_t incarnation = 0;
  std::map<std::string, std::string> tags;     ///< Serf-style tags

  friend bool operator==(const peer& a, const peer& b) {
    return a.name == b.name && a.address == b.address && a.port == b.port &&
           a.cache_port == b.cache_port && a.cache_url == b.cache_url && a.zone == b.zone &&
           a.state == b.state && a.incarnation == b.incarnation && a.tags == b.tags;
  }
};

/// A full, versioned view of the live cluster: the reply to subscribe.
struct snapshot {
  std::uint64_t version = 0;  ///< increases with every published snapshot of one agent run
  bool local_mode = true;     ///< true until the agent has joined or discovered peers
  peer self;                  ///< this node
  std::vector<peer> peers;    ///< live peers, self included, sorted by name
};

/// What a client asks of the agent.
enum class request_op { subscribe, members, join, leave, keys, force_leave, info, monitor };

/// What a keys request does to the gossip keys of every member (Serf's `serf keys`).
enum class keys_action { list, install, use, remove };

/// One request line.
struct request {
  request_op op = request_op::subscribe;
  std::vector<std::string> addresses;  ///< join only: seeds, "IP[:port]"; a join needs at least one
  keys_action action = keys_action::list;  ///< keys only
  std::string key;                         ///< keys install, use, remove: the key, base64
  /// keys only: how long to wait for the members' answers; none: the agent's default
  /// (Serf's: gossip interval x 16 x ceil(log10(live members + 1))).
  std::optional<std::uint64_t> timeout_ms;
  std::string node;       ///< force-leave only: the failed member's name
  std::string log_level;  ///< monitor only: trace, debug, info, warn or error ("" = info)

  request() = default;
  /// `{request_op::members}`, `{request_op::join, {"10.0.0.2:7946"}}`.
  request(request_op o, std::vector<std::string> a = {}) : op(o), addresses(std::move(a)) {}
  /// A keys request: `keys_request(keys_action::install, "base64...")`.
  static request keys_request(keys_action a, std::string key = {},
                              std::optional<std::uint64_t> timeout_ms = std::nullopt) {
    request r(request_op::keys);
    r.action = a;
    r.key = std::move(key);
    r.timeout_ms = timeout_ms;
    return r;
  }

  friend bool operator==(const request& a, const request& b) {
    return a.op == b.op && a.addresses == b.addresses && a.action == b.action &&
           a.key == b.key && a.timeout_ms == b.timeout_ms && a.node == b.node &&
           a.log_level == b.log_level;
  }
};

/// One entry of the members document: a member the agent knows, in any state.
struct member {
  std::string name;                         ///< unique member name
  std::string address;                      ///< gossip IP address (no port, no brackets)
  std::uint16_t port = 0;                   ///< gossip port
  std::string state;                        ///< "alive", "suspect", "dead" or "left"
  std::uint32_t incarnation = 0;
  std::map<std::string, std::string> tags;  ///< Serf-style tags
  std::vector<std::uint8_t> protocol;       ///< memberlist's [PMin, PMax, PCur, DMin, DMax, DCur]
  std::uint64_t flaps = 0;  ///< times the agent saw it fail (alive or suspect -> dead)
  bool suppressed = false;  ///< held out of the peer list: flapping or grey (below)
  bool grey = false;        ///< held out because it is suspected far more often than the rest

  friend bool operator==(const member& a, const member& b) {
    return a.name == b.name && a.address == b.address && a.port == b.port &&
           a.state == b.state && a.incarnation == b.incarnation && a.tags == b.tags &&
           a.protocol == b.protocol && a.flaps == b.flaps && a.suppressed == b.suppressed &&
           a.grey == b.grey;
  }
};

/// Every member the agent knows: the reply to members, and the body of GET /v1/members.
struct members_document {
  std::string node;              ///< the agent's own member name
  std::vector<member> members;   ///< sorted by name (the encoder keeps the order it is given)

  friend bool operator==(const members_document& a, const members_document& b) {
    return a.node == b.node && a.members == b.members;
  }
};

/// A result line: how a join or leave went.
struct result {
  bool ok = false;
  std::string message;  ///< what happened, or why it failed

  friend bool operator==(const result& a, const result& b) {
    return a.ok == b.ok && a.message == b.message;
  }
};

/// A keys line: what the members answered to a keys request (Serf's KeyResponse).
struct keys_result {
  keys_action action = keys_action::list;
  bool ok = false;      ///< every member answered and none reported a failure
  std::string message;  ///< a summary: "4/4 members answered", "1/4 members reported failure"
  std::uint32_t members = 0;    ///< live members when the query went out, the agent included
  std::uint32_t responses = 0;  ///< members that answered
  /// Members that reported a failure, or did not answer ("no response"), with the reason.
  std::map<std::string, std::string> failures;
  /// Notes from members that answered with success and a message (a truncated key list).
  std::map<std::string, std::string> notes;
  /// list only: each key (base64) and how many members hold it.
  std::map<std::string, std::uint32_t> keys;
  /// list only: each primary key (base64) and how many members use it.
  std::map<std::string, std::uint32_t> primary_keys;

  friend bool operator==(const keys_result& a, const keys_result& b) {
    return a.action == b.action && a.ok == b.ok && a.message == b.message &&
           a.members == b.members && a.responses == b.responses && a.failures == b.failures &&
           a.notes == b.notes && a.keys == b.keys && a.primary_keys == b.primary_keys;
  }
};

/// An error line: the agent could not make sense of the request.
struct error_reply {
  std::string message;

  friend bool operator==(const error_reply& a, const error_reply& b) {
    return a.message == b.message;
  }
};

/// An info line: what `serf info` shows, by section ("agent", "protocol", "members",
/// "gossip", ...), each a map of names to values as text.
struct info_reply {
  std::map<std::string, std::map<std::string, std::string>> sections;

  friend bool operator==(const info_reply& a, const info_reply& b) {
    return a.sections == b.sections;
  }
};

/// A log line: one event of the agent's log, streamed to monitor.
struct log_line {
  std::string time;      ///< UTC, RFC 3339 with milliseconds
  std::string severity;  ///< DEBUG, INFO, WARNING, ERROR or CRITICAL (Cloud Logging's names)
  std::string message;

  friend bool operator==(const log_line& a, const log_line& b) {
    return a.time == b.time && a.severity == b.severity && a.message == b.message;
  }
};

/// Any line the agent sends.
using reply = std::variant<snapshot, members_document, result, error_reply, keys_result,
                           info_reply, log_line>;

namespace protocol {

/// Protocol revision carried in every snapshot.
inline constexpr int revision = 1;

/// Tag keys the agent reserves to publish cache port and zone.
inline constexpr const char* cache_port_tag = "cache_port";
inline constexpr const char* zone_tag = "zone";
/// Tag key the agent reserves for the state of its [cache] check: "up" or "down" (absent
/// without a check). A live member whose tag says "down" is left out of every peer list.
inline constexpr const char* cache_tag = "cache";
inline constexpr const char* cache_up = "up";
inline constexpr const char* cache_down = "down";

/// "alive" or "suspect".
const char* to_string(peer_state s);
/// "subscribe", "members", "join", "leave", "keys", "force-leave", "info" or "monitor".
const char* to_string(request_op op);
/// "list", "install", "use" or "remove".
const char* to_string(keys_action a);

// ---- requests (client to agent) ----

/// A request line: {"op":...}, plus "addresses" for join; "action", "key" (not for list) and
/// "timeout_ms" (when set) for keys; "node" for force-leave; "log_level" (when set) for
/// monitor.
std::string encode_request(const request& r);
/// Parse a request line. Rejects what is not an object with a string "op", unknown ops, a
/// join without a non-empty array of string "addresses", and a keys request without a known
/// "action", with a non-string "key" or without one for install, use and remove, or with a
/// "timeout_ms" that is not a positive integer, a force-leave without a non-empty string
/// "node", and a monitor whose "log_level" is not trace, debug, info, warn or error.
/// Ignores the keys of other ops.
std::optional<request> decode_request(std::string_view line, std::string* error = nullptr);

// ---- replies (agent to client) ----

/// A snapshot line: {"type":"snapshot","protocol":1,...}.
std::string encode_snapshot(const snapshot& s);
/// Parse a snapshot line.
std::optional<snapshot> decode_snapshot(std::string_view line, std::string* error = nullptr);

/// The members document: {"node":...,"members":[...]}, keys in the documented order.
std::string encode_members(const members_document& d);
/// Parse a members document. "node", "members" and each member's "name", "address", "port"
/// and "state" are required; "incarnation", "tags" and "protocol" default to empty.
std::optional<members_document> decode_members(std::string_view line, std::string* error = nullptr);

/// A result line: {"type":"result","ok":...,"message":...}.
std::string encode_result(const result& r);
/// Parse a result line ("ok" is required, "message" defaults to "").
std::optional<result> decode_result(std::string_view line, std::string* error = nullptr);

/// An error line: {"type":"error","message":...}.
std::string encode_error(const error_reply& e);
/// Parse an error line ("message" defaults to "").
std::optional<error_reply> decode_error(std::string_view line, std::string* error = nullptr);

/// A keys line: {"type":"keys","action":...,"ok":...,"message":...,"members":N,
/// "responses":N,"failures":{},"notes":{},"keys":{},"primary_keys":{}}.
std::string encode_keys_result(const keys_result& k);
/// Parse a keys line ("action" and "ok" are required; the rest default to empty).
std::optional<keys_result> decode_keys_result(std::string_view line, std::string* error = nullptr);

/// An info line: {"type":"info","sections":{"agent":{"name":...},...}}.
std::string encode_info(const info_reply& i);
/// Parse an info line ("sections" is required: an object of objects of strings).
std::optional<info_reply> decode_info(std::string_view line, std::string* error = nullptr);

/// A log line: {"type":"log","time":...,"severity":...,"message":...}.
std::string encode_log(const log_line& l);
/// Parse a log line ("message" is required; "time" and "severity" default to "").
std::optional<log_line> decode_log(std::string_view line, std::string* error = nullptr);

/// Parse the agent's reply to a request of kind `op`: an error line, or else a snapshot
/// (subscribe), a members document (members), a result line (join, leave, force-leave), a
/// keys line (keys), an info line (info) or a log line (monitor).
std::optional<reply> decode_reply(request_op op, std::string_view line,
                                  std::string* error = nullptr);

}  // namespace protocol
}  // namespace peerlib
