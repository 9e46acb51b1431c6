#pragma once
// The agent's Unix socket (peerlib/protocol.hpp): subscribers get every
// snapshot; the CLI asks for members, join and leave. Requests are decoded and
// error lines encoded by peerlib::protocol; the handlers give the other reply
// lines (protocol::encode_snapshot, encode_members, encode_result). A slow
// subscriber never blocks the agent or other subscribers: each holds at most
// one line in flight and one pending, and a newer snapshot replaces the pending one.
//
// A monitor session follows the agent's log (agent/logging.hpp set_log_forward): each
// event at its level or above is one log line; a session holds at most 512 lines unsent
// and drops (and counts) the rest until it catches up, then says how many it missed.
//
// Who may do what (docs/protocol.md): anyone who can open the socket (mode 0660: its
// owner and group) may subscribe and ask for members and info, which only read. Every other op
// (join, leave, keys, force-leave, monitor, and any op added later) needs a peer whose uid, from SO_PEERCRED,
// is 0 or the agent's own; others get an error line saying so (agent_stats::control_refused).
// At most max_sessions connections are open at once, subscribers included; one more gets
// an error line and is closed as soon as it is accepted (agent_stats::control_sessions_rejected).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_stats.hpp"
#include "peerlib/protocol.hpp"

namespace boost::asio {
class io_context;
}

namespace agent {

/// What the control socket asks of the agent.
struct control_handlers {
  /// The current snapshot line (no newline).
  std::function<std::shared_ptr<const std::string>()> snapshot;
  /// The members document line (no newline; render_members_json without its newline).
  std::function<std::string()> members;
  /// Join these "host:port" seeds; reply with a result line (protocol::encode_result) via
  /// the callback.
  std::function<void(std::vector<std::string>, std::function<void(std::string)>)> join;
  /// Leave gracefully; reply with a result line (protocol::encode_result) via the callback
  /// once done.
  std::function<void(std::function<void(std::string)>)> leave;
  /// Run a key operation on every member (request_op::keys: action, key, timeout_ms); reply
  /// with a keys line (protocol::encode_keys_result) via the callback once they answered.
  std::function<void(peerlib::request, std::function<void(std::string)>)> keys;
  /// Mark a failed member left everywhere (request_op::force_leave, `node`): a result line.
  std::function<std::string(const std::string& node)> force_leave;
  /// The info line (protocol::encode_info).
  std::function<std::string()> info;
};

/// Listens on a Unix socket and serves control requests and subscriptions.
class control_server {
 public:
  /// Create the parent directory, replace a stale socket, bind, chmod 0660.
  /// Throws std::runtime_error with the path when that fails or another agent owns it.
  /// `max_sessions` ([publish] max_sessions) caps the connections open at once.
  control_server(boost::asio::io_context& io, std::string path, control_handlers h,
                 std::size_t max_sessions = 256);
  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

  /// Start accepting.
  void start();
  /// Send `line` (no newline) to every subscriber.
  void publish(std::shared_ptr<const std::string> line);
  /// Stop accepting, close every connection and remove the socket file.
  void close();
  /// Publishing and control counters (subscribers, skipped snapshots, requests, errors,
  /// refusals, sessions).
  const agent_stats& stats() const;

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace agent
