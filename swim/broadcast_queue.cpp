#include "swim/broadcast_queue.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace swim {

int retransmit_limit(int retransmit_mult, std::size_t n) {
  auto node_scale = static_cast<int>(std::ceil(std::log10(static_cast<double>(n) + 1.0)));
  return retransmit_mult * node_scale;
}

std::uint64_t broadcast_queue::push(broadcast_class cls, std::string key, bytes message) {
  if (!key.empty()) {
    if (auto k = by_key_.find(key); k != by_key_.end()) {
      if (auto old = by_id_.find(k->second); old != by_id_.end())
        erase(old->second.cls, old->second.it);
    }
  }
  lane& l = lane_of(cls);
  const std::uint64_t id = next_id_++;
  count_size(l, message.size(), 1);
  auto [it, inserted] = l.items.insert(item{id, 0, key, std::move(message)});
  (void)inserted;  // ids are unique, so the insert always succeeds
  by_id_.emplace(id, where{cls, it});
  if (!key.empty()) by_key_[std::move(key)] = id;
  // Bounded: past the bound the most-sent message of the class goes (the last in the order),
  // never the one just queued.
  if (l.items.size() > l.bound) {
    auto victim = std::prev(l.items.end());
    if (victim->id == id) victim = std::prev(victim);
    erase(cls, victim);
    l.dropped++;
  }
  return id;
}

void broadcast_queue::pick(broadcast_class cls, std::size_t overhead, std::size_t limit,
                           std::size_t& used, std::size_t max_count, std::vector<where>& taken) {
  lane& l = lane_of(cls);
  if (l.items.empty() || used >= limit) return;
  // No message of the class is smaller than this, so once the room left is below it the
  // walk can stop instead of visiting the whole queue.
  const std::size_t smallest = overhead + l.sizes.begin()->first;
  // Messages an earlier pass over this class took come in this walk's order: skip them.
  std::vector<set_t::iterator> earlier;
  for (const where& w : taken)
    if (w.cls == cls) earlier.push_back(w.it);
  std::size_t next_earlier = 0;
  for (auto it = l.items.begin(); it != l.items.end() && taken.size() < max_count; ++it) {
    if (next_earlier < earlier.size() && earlier[next_earlier] == it) {
      ++next_earlier;
      continue;
    }
    if (limit - used < smallest) break;
    const std::size_t cost = overhead + it->message.size();
    if (used + cost > limit) continue;
    used += cost;
    taken.push_back(where{cls, it});
  }
}

std::vector<bytes> broadcast_queue::take(std::size_t overhead, std::size_t limit,
                                         int transmit_limit, std::size_t max_count) {
  std::vector<bytes> out;
  if (by_id_.empty() || limit <= overhead || max_count == 0) return out;
  // The user share: while user messages wait, membership first fills only the room left
  // after a quarter of it, or after the next user message when that is larger.
  std::size_t reserve = 0;
  if (const lane& u = lane_of(broadcast_class::user); !u.items.empty())
    reserve = std::min(limit, std::max(limit / user_share_divisor,
                                       overhead + u.items.begin()->message.size()));
  std::vector<where> taken;
  std::size_t used = 0;
  pick(broadcast_class::membership, overhead, limit - reserve, used, max_count, taken);
  pick(broadcast_class::user, overhead, limit, used, max_count, taken);
  // Room the user messages left goes back to membership.
  if (reserve != 0) pick(broadcast_class::membership, overhead, limit, used, max_count, taken);
  // Membership first on the wire too (the picks above interleave the classes).
  std::stable_partition(taken.begin(), taken.end(),
                        [](const where& w) { return w.cls == broadcast_class::membership; });
  out.reserve(taken.size());
  for (const where& w : taken) {
    lane& l = lane_of(w.cls);
    auto node = l.items.extract(w.it);
    out.push_back(node.value().message);
    node.value().transmits++;
    if (node.value().transmits >= transmit_limit) {
      count_size(l, node.value().message.size(), -1);
      by_id_.erase(node.value().id);
      if (!node.value().key.empty()) {
        auto k = by_key_.find(node.value().key);
        if (k != by_key_.end() && k->second == node.value().id) by_key_.erase(k);
      }
      continue;
    }
    auto res = l.items.insert(std::move(node));
    by_id_[res.position->id] = where{w.cls, res.position};
  }
  return out;
}

void broadcast_queue::count_size(lane& l, std::size_t size, int delta) {
  if (delta > 0) {
    l.sizes[size]++;
  } else if (auto it = l.sizes.find(size); it != l.sizes.end() && --it->second == 0) {
    l.sizes.erase(it);
  }
}

void broadcast_queue::erase(broadcast_class cls, set_t::iterator it) {
  lane& l = lane_of(cls);
  count_size(l, it->message.size(), -1);
  by_id_.erase(it->id);
  if (!it->key.empty()) {
    auto k = by_key_.find(it->key);
    if (k != by_key_.end() && k->second == it->id) by_key_.erase(k);
  }
  l.items.erase(it);
}

void broadcast_queue::clear() {
  for (lane& l : lanes_) {
    l.items.clear();
    l.sizes.clear();
  }
  by_id_.clear();
  by_key_.clear();
}

}  // namespace swim
