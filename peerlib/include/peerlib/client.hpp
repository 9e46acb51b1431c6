#pragma once
// A subscriber to the local agent's peer list (docs/peerlib.md).
//
// Two ways to drive it:
//  - background: start(callback) runs a thread that calls `callback` with every
//    new view (and once at start with the current one);
//  - your own event loop: poll fd() for readability (it never changes) and call
//    process() when it is readable; process() never blocks and calls the
//    callback given to set_callback(), on the calling thread.
//
// Local mode: until the first snapshot arrives, and once the agent has been
// unreachable for longer than `grace_period`, the view is just this node
// (local_mode() == true), so an application always has an owner for every key.
// With keep_last_on_loss the last list from the agent stays instead.
//
// Errors never throw: the client reconnects with exponential back-off and
// reports what went wrong through status().
//
// Linux only: the client is built on epoll, timerfd and eventfd (the rest of
// peerlib, peer_set and the hashing, is portable C++17).
//
// Threads: current() and status() may be called from any thread at any time.
// The other calls (start, stop, set_callback, fd, process) belong to the thread
// that owns the client, one at a time. Use one mode: between start() and stop()
// the background thread alone runs process(); a process() call from elsewhere
// is refused (it returns -1 and status().last_error says why) rather than racing.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "peerlib/peer_set.hpp"
#include "peerlib/protocol.hpp"

namespace peerlib {

/// How a client finds the agent and what it does without one.
struct client_options {
  /// The agent's socket ([publish] socket).
  std::string socket_path = "/run/cachecluster/cachecluster.sock";
  /// This node in local mode before any snapshot (name defaults to the host name).
  /// For groupcache, set self.cache_url to the URL given to NewHTTPPool (or set address and
  /// cache_port, and the client composes "http://address:port"): in local mode hash_ids()
  /// is {self.cache_url}, and without one it is the node's name, which is not a URL
  /// HTTPPool.Set can use.
  peer self;
  /// How long the agent may stay unreachable before the view falls back to local mode.
  std::chrono::milliseconds grace_period{10000};
  /// Past the grace period, keep the last list from the agent instead of local mode.
  bool keep_last_on_loss = false;
  /// First reconnect delay; doubles per failure up to backoff_max (with ±20 % jitter).
  std::chrono::milliseconds backoff_min{100};
  /// Longest reconnect delay.
  std::chrono::milliseconds backoff_max{5000};
  /// groupcache ring replicas used by the published peer_sets.
  int replicas = groupcache_default_replicas;
  /// Longest accepted line; a longer one drops the connection.
  std::size_t max_line = 16u << 20;
};

/// What the client is doing and what went wrong last.
struct client_status {
  bool connected = false;        ///< subscribed to the agent right now
  bool local_mode = true;        ///< the current view is local (just this node)
  std::uint64_t version = 0;     ///< agent version of the current view (0 when local)
  std::uint64_t generation = 0;  ///< generation of the current view
  std::uint64_t connects = 0;    ///< successful connections
  std::uint64_t reconnects = 0;  ///< successful connections after the first
  std::uint64_t connect_failures = 0;  ///< failed connection attempts
  std::uint64_t snapshots = 0;   ///< snapshots received
  std::uint64_t bad_lines = 0;   ///< lines that were not valid snapshots
  std::string last_error;        ///< most recent problem, "" if none yet
};

/// Receives live peer lists from the local agent.
class client {
 public:
  /// Called with each new view.
  using callback = std::function<void(const std::shared_ptr<const peer_set>&)>;

  /// Set up (no I/O yet); failures to create descriptors show in status().
  explicit client(client_options options);
  /// Stops the background thread, if any, and closes everything.
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Background mode: run a thread calling `cb` with the current view, then each new one.
  /// False when already started or set-up failed (see status()).
  bool start(callback cb);
  /// Stop the background thread (idempotent; not from inside the callback).
  void stop();

  /// Non-blocking mode: the callback process() invokes (may be empty).
  void set_callback(callback cb);
  /// Non-blocking mode: a descriptor that is readable whenever process() has work; -1 if set-up failed.
  int fd() const;
  /// Non-blocking mode: do the pending work without blocking; returns how many views were
  /// published, or -1 without doing anything while the background thread runs (start()).
  int process();

  /// The current view; never null.
  std::shared_ptr<const peer_set> current() const;
  /// A copy of the status.
  client_status status() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Connect, subscribe, and return the first snapshot (for one-shot tools); nullopt and
/// `error` on failure or after `timeout`.
std::optional<snapshot> fetch_snapshot(const std::string& socket_path,
                                       std::chrono::milliseconds timeout,
                                       std::string* error = nullptr);

}  // namespace peerlib
