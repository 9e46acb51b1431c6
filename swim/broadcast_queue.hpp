#pragma once
// Transmit-limited broadcast queue (memberlist: queue.go TransmitLimitedQueue).
// Each update is piggybacked on outgoing packets until it has been sent
// retransmit_limit times. Order: fewest transmissions first; within a tier the
// largest message that still fits, ties to the newest. A keyed update replaces
// any queued update with the same key (one pending alive/suspect/dead per member).
//
// Two classes share each packet (lesson of memberlist#299: at ~1,000 members
// node-state messages fill every packet and user broadcasts never fit):
// membership changes go first, but while user messages (Serf events, intents,
// queries) wait, membership may fill only the room left after the user share:
// a quarter of the room, or the next user message if larger. Room the user
// messages leave unused goes back to membership. Each class is bounded; past
// its bound the most-sent message of that class is dropped and counted (as
// memberlist's Prune drops the oldest).

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "swim/bytes.hpp"
#include "swim/name_index.hpp"

namespace swim {

/// memberlist retransmitLimit: mult * ceil(log10(n + 1)).
int retransmit_limit(int retransmit_mult, std::size_t n);

/// What a queued broadcast is about; each class has its own bound and share of a packet.
enum class broadcast_class : std::uint8_t {
  membership,  ///< alive, suspect, dead: first in every packet
  user,        ///< user messages (Serf events, intents, queries): a guaranteed share
};
inline constexpr std::size_t broadcast_class_count = 2;

/// The gossip queue of one node.
class broadcast_queue {
 public:
  /// Most messages queued per class, unless set_bound raises it; past the bound the most-sent
  /// message of the class is dropped.
  static constexpr std::size_t default_max_per_class = 4096;
  /// The user share of a packet's room while user messages wait: 1/user_share_divisor.
  static constexpr std::size_t user_share_divisor = 4;

  explicit broadcast_queue(std::size_t max_per_class = default_max_per_class) {
    for (auto& l : lanes_) l.bound = max_per_class == 0 ? 1 : max_per_class;
  }

  /// Most messages of class `cls` queued from now on (at least 1). A lower bound takes effect
  /// at the next push; nothing queued is dropped by the change itself.
  void set_bound(broadcast_class cls, std::size_t n) { lane_of(cls).bound = n == 0 ? 1 : n; }
  std::size_t bound(broadcast_class cls) const { return lane_of(cls).bound; }

  /// Queue a complete encoded membership message (see the overload with a class).
  std::uint64_t push(std::string_view key, bytes message) {
    return push(broadcast_class::membership, key, std::move(message));
  }
  /// Queue a complete encoded message of class `cls`. A non-empty `key` invalidates a queued
  /// message with the same key (in any class). Returns an id for `pending`.
  std::uint64_t push(broadcast_class cls, std::string_view key, bytes message);

  /// Messages for one packet: each costs `overhead` + its size, all within `limit` bytes,
  /// at most `max_count`; membership messages first, user messages within their share. Each
  /// taken message counts one transmission and is dropped once it reaches `transmit_limit`.
  std::vector<bytes> take(std::size_t overhead, std::size_t limit, int transmit_limit,
                          std::size_t max_count = 255);

  /// True while the message `id` is still queued. Walks the queue: for the rare caller that
  /// waits on one message (a leave), not for every packet.
  bool pending(std::uint64_t id) const;
  /// Number of queued messages.
  std::size_t size() const { return lanes_[0].items.size() + lanes_[1].items.size(); }
  /// Number of queued messages of class `cls`.
  std::size_t size(broadcast_class cls) const { return lane_of(cls).items.size(); }
  /// Messages of class `cls` dropped because the class was full (never reset).
  std::uint64_t dropped(broadcast_class cls) const { return lane_of(cls).dropped; }
  /// Drop everything (the drop counters stay).
  void clear();

 private:
  // One queued message: its key and its encoding in one allocation, and 24 bytes beside them
  // in the set's node (a mass join queues one alive per member on every member, and the
  // simulator holds N such queues).
  struct item {
    std::uint64_t id;
    std::unique_ptr<std::uint8_t[]> data;  // the key, then the message
    std::uint32_t size;                    // of the message
    std::uint16_t key_len;
    std::uint8_t transmits;  // saturates at 255: a message is sent at most that often
    broadcast_class cls;

    std::string_view key() const {
      return {reinterpret_cast<const char*>(data.get()), key_len};
    }
    const std::uint8_t* message() const { return data.get() + key_len; }
    static std::string_view key_of(const item& i) { return i.key(); }
  };
  struct order {
    bool operator()(const item& a, const item& b) const {
      if (a.transmits != b.transmits) return a.transmits < b.transmits;
      if (a.size != b.size) return a.size > b.size;
      return a.id > b.id;  // newest first
    }
  };
  using set_t = std::set<item, order>;
  struct lane {
    set_t items;
    std::map<std::size_t, std::size_t> sizes;  // message size -> how many: the smallest bounds take()
    std::uint64_t dropped = 0;
    std::size_t bound = default_max_per_class;
  };
  struct where {
    broadcast_class cls;
    set_t::iterator it;
  };

  lane& lane_of(broadcast_class cls) { return lanes_[static_cast<std::size_t>(cls)]; }
  const lane& lane_of(broadcast_class cls) const { return lanes_[static_cast<std::size_t>(cls)]; }
  /// Greedy pass over one class in its order: take what fits in `limit` - `used`.
  void pick(broadcast_class cls, std::size_t overhead, std::size_t limit, std::size_t& used,
            std::size_t max_count, std::vector<where>& taken);
  void erase(broadcast_class cls, set_t::iterator it);
  static void count_size(lane& l, std::size_t size, int delta);

  std::array<lane, broadcast_class_count> lanes_;
  // Keyed messages by key, viewing each item's own key (a set node does not move, also not
  // when take() extracts and reinserts it). Each queued message costs its set node, its
  // encoding and a slot here: a mass join queues one alive per member on every member.
  name_index<const item, &item::key_of> by_key_;
  std::uint64_t next_id_ = 1;
};

}  // namespace swim
