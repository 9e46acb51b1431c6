#pragma once
// Transmit-limited broadcast queue (memberlist: queue.go TransmitLimitedQueue).
// Each update is piggybacked on outgoing packets until it has been sent
// retransmit_limit times. Order: fewest transmissions first; within a tier the
// largest message that still fits, ties to the newest. A keyed update replaces
// any queued update with the same key (one pending alive/suspect/dead per member).

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "swim/bytes.hpp"

namespace swim {

/// memberlist retransmitLimit: mult * ceil(log10(n + 1)).
int retransmit_limit(int retransmit_mult, std::size_t n);

/// The gossip queue of one node.
class broadcast_queue {
 public:
  /// Queue a complete encoded message. A non-empty `key` invalidates a queued message with
  /// the same key. Returns an id for `pending`.
  std::uint64_t push(std::string key, bytes message);

  /// Messages for one packet: each costs `overhead` + its size, all within `limit` bytes,
  /// at most `max_count`. Each taken message counts one transmission and is dropped once it
  /// reaches `transmit_limit`.
  std::vector<bytes> take(std::size_t overhead, std::size_t limit, int transmit_limit,
                          std::size_t max_count = 255);

  /// True while the message `id` is still queued.
  bool pending(std::uint64_t id) const { return by_id_.count(id) != 0; }
  /// Number of queued messages.
  std::size_t size() const { return items_.size(); }
  /// Drop everything.
  void clear();

 private:
  struct item {
    std::uint64_t id;
    int transmits;
    std::string key;
    bytes message;
  };
  struct order {
    bool operator()(const item& a, const item& b) const {
      if (a.transmits != b.transmits) return a.transmits < b.transmits;
      if (a.message.size() != b.message.size()) return a.message.size() > b.message.size();
      return a.id > b.id;  // newest first
    }
  };
  using set_t = std::set<item, order>;

  void erase(set_t::iterator it);

  void count_size(std::size_t size, int delta);

  set_t items_;
  std::map<std::size_t, std::size_t> sizes_;  // message size -> how many: the smallest bounds take()
  std::unordered_map<std::uint64_t, set_t::iterator> by_id_;
  std::unordered_map<std::string, std::uint64_t> by_key_;
  std::uint64_t next_id_ = 1;
};

}  // namespace swim
