#include "swim/broadcast_queue.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace swim {

int retransmit_limit(int retransmit_mult, std::size_t n) {
  auto node_scale = static_cast<int>(std::ceil(std::log10(static_cast<double>(n) + 1.0)));
  return retransmit_mult * node_scale;
}

std::uint64_t broadcast_queue::push(broadcast_class cls, std::string_view key, bytes message) {
  if (!key.empty()) {
    if (const item* old = by_key_.find(key)) erase(old->cls, lane_of(old->cls).items.find(*old));
  }
  // A key too long for the item's length field (names are far shorter) is not coalesced.
  if (key.size() > UINT16_MAX) key = {};
  lane& l = lane_of(cls);
  const std::uint64_t id = next_id_++;
  auto data = std::make_unique_for_overwrite<std::uint8_t[]>(key.size() + message.size());
  std::copy(key.begin(), key.end(), data.get());
  std::copy(message.begin(), message.end(), data.get() + key.size());
  const auto size = static_cast<std::uint32_t>(message.size());
  count_size(l, size, 1);
  auto [it, inserted] = l.items.insert(
      item{id, std::move(data), size, static_cast<std::uint16_t>(key.size()), 0, cls});
  (void)inserted;  // ids are unique, so the insert always succeeds
  if (it->key_len != 0) by_key_.insert(&*it);
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
    const std::size_t cost = overhead + it->size;
    if (used + cost > limit) continue;
    used += cost;
    taken.push_back(where{cls, it});
  }
}

std::vector<bytes> broadcast_queue::take(std::size_t overhead, std::size_t limit,
                                         int transmit_limit, std::size_t max_count) {
  std::vector<bytes> out;
  if (size() == 0 || limit <= overhead || max_count == 0) return out;
  // The user share: while user messages wait, membership first fills only the room left
  // after a quarter of it, or after the next user message when that is larger.
  std::size_t reserve = 0;
  if (const lane& u = lane_of(broadcast_class::user); !u.items.empty())
    reserve = std::min(limit, std::max(limit / user_share_divisor,
                                       overhead + u.items.begin()->size));
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
    item& i = node.value();
    out.emplace_back(i.message(), i.message() + i.size);
    if (i.transmits < UINT8_MAX) i.transmits++;
    if (i.transmits >= std::min(transmit_limit, static_cast<int>(UINT8_MAX))) {
      count_size(l, i.size, -1);
      if (i.key_len != 0) by_key_.erase(i.key());
      continue;
    }
    // The same node goes back, at its new place: the key index's pointer stays good.
    l.items.insert(std::move(node));
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
  count_size(l, it->size, -1);
  if (it->key_len != 0) by_key_.erase(it->key());
  l.items.erase(it);
}

void broadcast_queue::clear() {
  for (lane& l : lanes_) {
    l.items.clear();
    l.sizes.clear();
  }
  by_key_.clear();
}

bool broadcast_queue::pending(std::uint64_t id) const {
  for (const lane& l : lanes_)
    for (const item& i : l.items)
      if (i.id == id) return true;
  return false;
}

}  // namespace swim
