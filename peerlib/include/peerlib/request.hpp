#pragma once
// One request to the local agent (docs/protocol.md): connect to its Unix socket,
// send one request line, read and decode the reply. Blocking, for tools and
// scripts such as the cachecluster CLI. Applications that follow the peer list
// want peerlib::client instead: it reconnects and falls back to local mode.
//
// Never throws on what the agent sends or on a missing agent: the outcome is a value.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "peerlib/protocol.hpp"

namespace peerlib {

/// A timeout that never expires (a join or a leave lasts as long as the agent's own timeouts).
inline constexpr std::chrono::milliseconds no_timeout = std::chrono::milliseconds::max();

/// How a request ended.
enum class request_status {
  ok,           ///< a reply arrived (an error line from the agent is a reply too)
  unreachable,  ///< no agent: connecting to the socket or sending the request failed
  closed,       ///< the agent closed the connection (before any reply, for the one-reply form)
  timed_out,    ///< no reply before the timeout
  bad_reply,    ///< a line that is not a valid reply to this request
};

/// "ok", "unreachable", "closed", "timed out" or "bad reply".
const char* to_string(request_status s);

/// What send_request() returns: the decoded reply, or why there is none.
struct request_outcome {
  request_status status = request_status::ok;
  std::optional<reply> answer;  ///< the last decoded reply (set whenever one arrived)
  std::string line;             ///< that reply as received, or the bad line for bad_reply
  /// "" when ok; else the reason. For unreachable it is the system's reason alone (the
  /// caller knows the path); for bad_reply the decoder's.
  std::string error;

  explicit operator bool() const { return status == request_status::ok; }
};

/// Called with each reply line, decoded, and the line as received; false stops reading.
using reply_handler = std::function<bool(const reply& r, std::string_view line)>;

/// Send `req` to the agent at `socket_path` and return its one reply. `timeout` bounds the
/// whole exchange, connecting included; no_timeout (or a year or more) waits without limit.
request_outcome send_request(const std::string& socket_path, const request& req,
                             std::chrono::milliseconds timeout);

/// Send `req` and pass every reply line to `on_reply` until it returns false (status ok) or
/// the agent closes the connection (status closed). For subscribe, that is every snapshot.
/// `timeout` bounds the wait for the first reply only.
request_outcome send_request(const std::string& socket_path, const request& req,
                             std::chrono::milliseconds timeout, const reply_handler& on_reply);

}  // namespace peerlib
