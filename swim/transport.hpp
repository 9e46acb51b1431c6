#pragma once
// The node's only way out: an injected transport. Implementations enqueue and
// return at once; they never block and never call back into the node from
// inside a send (a driver delivers results later through node entry points).

#include <cstdint>

#include "swim/address.hpp"
#include "swim/bytes.hpp"
#include "swim/time.hpp"

namespace swim {

/// Identifies one outbound stream exchange; echoed in node::on_stream_reply.
using stream_id = std::uint64_t;

/// Packet and stream output of a node (memberlist: Transport).
class transport {
 public:
  virtual ~transport() = default;

  /// Send one UDP datagram to `to`. Best effort: loss is normal.
  virtual void send_packet(const address& to, bytes packet) = 0;

  /// Open a TCP stream to `to`, write `frame`, and, when `expect_reply`, read one
  /// reply frame (wire::parse_stream). The outcome must be reported exactly once
  /// through node::on_stream_reply(id, ...), with the reply frame, or with nothing
  /// on connect failure, error or when `deadline` passes. Without `expect_reply`
  /// the outcome is reported once the frame has been written (or failed).
  virtual void send_stream(stream_id id, const address& to, bytes frame, bool expect_reply,
                           time_point deadline) = 0;
};

}  // namespace swim
