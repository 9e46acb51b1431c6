#pragma once
// Runs one swim::node on real sockets: one UDP socket and one TCP listener on
// the gossip port, and a single timer re-armed to node::next_deadline().
// Everything happens on the io_context's thread; the node never sees a
// socket. Asio stays out of this header (forward declaration only) so that
// protocol code and most of the agent compile without it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "swim/address.hpp"
#include "swim/config.hpp"
#include "swim/delegate.hpp"
#include "swim/node.hpp"
#include "swim/wire.hpp"

namespace boost::asio {
class io_context;
}

namespace swim::asio {

/// Socket-level settings.
struct driver_options {
  address bind;                                ///< IP and port for UDP and TCP (port 0: any)
  std::size_t max_inbound_streams = 128;       ///< memberlist caps concurrent push-pulls at 128
  std::size_t max_stream_bytes = 20u << 20;    ///< memberlist maxPushStateBytes
  int udp_receive_buffer = 2 << 20;            ///< SO_RCVBUF requested, as memberlist does
};

/// Counters of the socket layer (the node keeps the protocol ones).
struct driver_stats {
  std::uint64_t inbound_streams = 0;
  std::uint64_t inbound_streams_rejected = 0;  ///< over max_inbound_streams
  std::uint64_t stream_timeouts = 0;
  std::uint64_t stream_connect_failures = 0;
  std::uint64_t udp_send_errors = 0;
  std::uint64_t icmp_port_unreachable = 0;  ///< from the host we addressed (its agent is gone)
  std::uint64_t icmp_errors_other = 0;      ///< any other ICMP error (ignored)
  /// Inbound stream frames dropped, by wire::error.
  std::array<std::uint64_t, static_cast<std::size_t>(wire::error::count_)> stream_drops{};
};

/// A node on UDP+TCP sockets, driven by an io_context (single-threaded use only).
class driver {
 public:
  /// Bind the sockets (throws std::system_error when the port is taken, code
  /// std::errc::address_in_use, or the address is not local) and create the node. Neither
  /// socket shares its port: a second driver on the same address and port fails to bind.
  /// When `cfg.advertise.port` is 0 the bound port is used.
  driver(boost::asio::io_context& io, config cfg, delegate& events, driver_options opt,
         std::uint64_t seed);
  ~driver();
  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;

  /// Start receiving, accepting and running timers.
  void start();
  /// Push-pull join with each seed (addresses only; resolve names before).
  void join(const std::vector<address>& seeds);
  /// Graceful leave: gossip it, then call `done(completed)` once the node reports it has
  /// spread (delegate::on_leave_complete) or `timeout` passed (completed = false). `done` runs
  /// from the io_context, never from inside a node entry point.
  void leave(duration timeout, std::function<void(bool completed)> done);
  /// Replace our meta (tags); peers see it through a higher incarnation. False (and no
  /// change) when it is over swim::meta_max_size.
  bool set_meta(bytes meta);
  /// Mark a failed member left everywhere (node::force_leave).
  swim::node::force_leave_result force_leave(std::string_view name);
  /// Replace the gossip keys (primary first; empty turns encryption off).
  void set_keyring(keyring ring);
  /// Gossip a memberlist user message payload (node::broadcast_user).
  void broadcast_user(bytes payload);
  /// Send a memberlist user message payload straight to `to` (node::send_user).
  void send_user(const address& to, bytes payload);
  /// Close every socket and cancel every timer. Idempotent.
  void close();

  /// The protocol node (read-only: changes go through the driver so the timer is re-armed).
  const swim::node& node() const;
  /// Socket-level counters.
  const driver_stats& stats() const;
  /// The address the sockets are bound to (useful with port 0).
  address local_address() const;

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace swim::asio
