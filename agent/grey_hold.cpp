#include "agent/grey_hold.hpp"

#include <algorithm>
#include <functional>

#include "agent/member_decay.hpp"

namespace agent {

double grey_hold::decayed(const entry& e, clock::time_point now) const {
  return agent::decayed<clock>(e.score, e.at, now, opt_.half_life);
}

std::size_t grey_hold::live_count() const {
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(), [](const auto& kv) { return is_live(kv.second.state); }));
}

std::optional<double> grey_hold::median_of_others(const entry* except,
                                                  clock::time_point now) const {
  scratch_.clear();
  for (const auto& [name, e] : entries_)
    if (&e != except && is_live(e.state)) scratch_.push_back(decayed(e, now));
  if (scratch_.size() < std::max<std::size_t>(opt_.min_members, 1)) return std::nullopt;
  auto mid = scratch_.begin() + static_cast<std::ptrdiff_t>(scratch_.size() / 2);
  std::nth_element(scratch_.begin(), mid, scratch_.end());
  return *mid;
}

std::optional<double> grey_hold::rank_of_others(const entry* except, std::size_t k,
                                                clock::time_point now) const {
  scratch_.clear();
  for (const auto& [name, e] : entries_)
    if (&e != except && !e.held && is_live(e.state)) scratch_.push_back(decayed(e, now));
  if (k == 0 || scratch_.size() < k) return std::nullopt;
  auto at = scratch_.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(scratch_.begin(), at, scratch_.end(), std::greater<>());
  return *at;
}

bool grey_hold::observe(std::string_view name, swim::member_state st, clock::time_point now) {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    entry e;
    e.state = st;
    e.at = now;
    entries_.emplace(std::string(name), e);
    return false;
  }
  entry& e = it->second;
  // A suspicion (alive -> suspect) or a death (from live) counts; a return to life (from
  // dead or left) is where a member that kept failing would slip back into the list.
  const bool was_live = is_live(e.state), live = is_live(st);
  const bool counted = (st == swim::member_state::suspect && e.state == swim::member_state::alive) ||
                       (st == swim::member_state::dead && was_live);
  const bool returned = live && !was_live;
  e.state = st;
  return score_and_hold(e, counted, returned, now);
}

bool grey_hold::accused(std::string_view name, clock::time_point now) {
  auto it = entries_.find(name);
  if (it == entries_.end()) it = entries_.emplace(std::string(name), entry{}).first;
  if (!is_live(it->second.state)) return false;
  return score_and_hold(it->second, true, false, now);
}

bool grey_hold::score_and_hold(entry& e, bool counted, bool returned, clock::time_point now) {
  if (opt_.min_suspicions <= 0 || (!counted && !returned)) return false;
  if (counted) {
    e.score = decayed(e, now) + 1;
    e.at = now;
  }
  // A return from a death needs half the score: the member was accused enough to die, and
  // a member that dies again soon after would be removed twice (one crash and restart scores
  // 2 and is listed again at once).
  const double needed = returned ? opt_.min_suspicions / 2 : opt_.min_suspicions;
  if (e.held || decayed(e, now) < needed) return false;
  const auto median = median_of_others(&e, now);
  if (!median || decayed(e, now) < opt_.ratio * *median) return false;
  const auto cap = std::max<std::size_t>(
      1, static_cast<std::size_t>(opt_.max_fraction * static_cast<double>(live_count())));
  if (held_ >= cap) return false;
  // An outlier, not the top of a spread: under uniform loss the accusations of the most
  // accused members are a noisy tail, close to each other. The member must score at least
  // outlier_factor times the (cap + 1)-th highest of the other members not held, so that up
  // to `cap` sick members are still held together.
  if (const auto next = rank_of_others(&e, cap + 1, now);
      next && decayed(e, now) < opt_.outlier_factor * *next)
    return false;
  e.held = true;
  held_++;
  holds_total_++;
  return true;
}

bool grey_hold::update(clock::time_point now) {
  if (held_ == 0) return false;
  bool any = false;
  for (auto& [name, e] : entries_) {
    if (!e.held) continue;
    const double s = decayed(e, now);
    bool release = s < opt_.release;
    if (!release) {
      const auto median = median_of_others(&e, now);
      release = median && s < opt_.ratio / 2 * *median;
    }
    if (release) {
      e.held = false;
      held_--;
      any = true;
    }
  }
  return any;
}

std::optional<grey_hold::clock::time_point> grey_hold::next_release() const {
  std::optional<clock::time_point> at;
  if (held_ == 0) return at;
  for (const auto& [name, e] : entries_) {
    if (!e.held) continue;
    // Rounded up, so the check at that moment finds the score below `release`.
    const auto when = e.at + time_to_decay<clock::duration>(e.score, opt_.release, opt_.half_life) +
                      std::chrono::milliseconds(1);
    if (!at || when < *at) at = when;
  }
  return at;
}

bool grey_hold::held(std::string_view name) const {
  auto it = entries_.find(name);
  return it != entries_.end() && it->second.held;
}

double grey_hold::score(std::string_view name, clock::time_point now) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? 0 : decayed(it->second, now);
}

void grey_hold::forget(std::string_view name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  if (it->second.held) held_--;
  entries_.erase(it);
}

}  // namespace agent
