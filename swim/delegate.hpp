#pragma once
// The node's events (memberlist: EventDelegate, Delegate.NotifyMsg, ConflictDelegate).
// Called synchronously from inside node entry points; a delegate must not call
// back into the node.

#include "swim/address.hpp"
#include "swim/bytes.hpp"
#include "swim/member.hpp"

namespace swim {

/// What changed about a member.
enum class member_event : std::uint8_t {
  join,      ///< first seen, or alive again after dead/left
  update,    ///< meta or address changed, or a higher incarnation while alive
  suspect,   ///< became suspect (still a live peer for most users)
  refuted,   ///< back to alive from suspect
  dead,      ///< declared dead (failed)
  left,      ///< left gracefully
  reaped,    ///< removed from the member table (dead/left for gossip_to_the_dead_time)
  /// Another member suspects it, and we passed the suspicion on; we still hold it alive until
  /// our own probe of it fails too (node::on_packet). Once per accused incarnation.
  accused,
};

/// Receives membership events and user messages.
class delegate {
 public:
  virtual ~delegate() = default;
  /// A member changed; `m` is its state after the change.
  virtual void on_member_event(const member& m, member_event ev) { (void)m; (void)ev; }
  /// A memberlist user message (type 8) arrived: Serf intents, events, queries.
  virtual void on_user_message(byte_view payload) { (void)payload; }
  /// A push-pull from another node carried user state (Serf: 0x02 | messagePushPull, with its
  /// Lamport clocks); called once its member states were merged.
  virtual void on_remote_state(byte_view user_state) { (void)user_state; }
  /// Another node claims a known name from a different address.
  virtual void on_conflict(const member& existing, const member& other) { (void)existing; (void)other; }
  /// A join push-pull with `seed` (one per seed given to node::join) finished: `ok` when the
  /// seed answered with its state and it was merged.
  virtual void on_join_result(const address& seed, bool ok) { (void)seed; (void)ok; }
  /// A leave started by node::leave has been fully gossiped, or nobody is left to tell.
  /// Reported once per leave.
  virtual void on_leave_complete() {}
};

}  // namespace swim
