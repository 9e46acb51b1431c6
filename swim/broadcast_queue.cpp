#include "swim/broadcast_queue.hpp"

#include <cmath>

namespace swim {

int retransmit_limit(int retransmit_mult, std::size_t n) {
  auto node_scale = static_cast<int>(std::ceil(std::log10(static_cast<double>(n) + 1.0)));
  return retransmit_mult * node_scale;
}

std::uint64_t broadcast_queue::push(std::string key, bytes message) {
  if (!key.empty()) {
    if (auto k = by_key_.find(key); k != by_key_.end()) {
      if (auto old = by_id_.find(k->second); old != by_id_.end()) erase(old->second);
    }
  }
  std::uint64_t id = next_id_++;
  count_size(message.size(), 1);
  auto [it, inserted] = items_.insert(item{id, 0, key, std::move(message)});
  (void)inserted;  // ids are unique, so the insert always succeeds
  by_id_.emplace(id, it);
  if (!key.empty()) by_key_[key] = id;
  return id;
}

std::vector<bytes> broadcast_queue::take(std::size_t overhead, std::size_t limit,
                                         int transmit_limit, std::size_t max_count) {
  std::vector<bytes> out;
  if (items_.empty() || limit <= overhead) return out;
  std::vector<set_t::iterator> taken;
  std::size_t used = 0;
  // No message left to look at is smaller than this, so once the room left is below it
  // the walk can stop instead of visiting the whole queue.
  const std::size_t smallest = overhead + sizes_.begin()->first;
  // Iteration order is exactly memberlist's preference; the greedy pass takes, in each
  // tier, the largest messages that still fit.
  for (auto it = items_.begin(); it != items_.end() && taken.size() < max_count; ++it) {
    if (limit - used < smallest) break;
    std::size_t cost = overhead + it->message.size();
    if (used + cost > limit) continue;
    used += cost;
    taken.push_back(it);
  }
  out.reserve(taken.size());
  for (auto it : taken) {
    auto node = items_.extract(it);
    out.push_back(node.value().message);
    node.value().transmits++;
    if (node.value().transmits >= transmit_limit) {
      count_size(node.value().message.size(), -1);
      by_id_.erase(node.value().id);
      if (!node.value().key.empty()) {
        auto k = by_key_.find(node.value().key);
        if (k != by_key_.end() && k->second == node.value().id) by_key_.erase(k);
      }
      continue;
    }
    auto res = items_.insert(std::move(node));
    by_id_[res.position->id] = res.position;
  }
  return out;
}

void broadcast_queue::count_size(std::size_t size, int delta) {
  if (delta > 0) {
    sizes_[size]++;
  } else if (auto it = sizes_.find(size); it != sizes_.end() && --it->second == 0) {
    sizes_.erase(it);
  }
}

void broadcast_queue::erase(set_t::iterator it) {
  count_size(it->message.size(), -1);
  by_id_.erase(it->id);
  if (!it->key.empty()) {
    auto k = by_key_.find(it->key);
    if (k != by_key_.end() && k->second == it->id) by_key_.erase(k);
  }
  items_.erase(it);
}

void broadcast_queue::clear() {
  items_.clear();
  sizes_.clear();
  by_id_.clear();
  by_key_.clear();
}

}  // namespace swim
