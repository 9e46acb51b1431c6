#include "agent/flap_damping.hpp"

#include <algorithm>
#include <cmath>

#include "agent/member_decay.hpp"

namespace agent {
namespace {

using fsec = std::chrono::duration<double>;

}  // namespace

double flap_damping_options::ceiling() const {
  if (half_life.count() <= 0) return reuse;
  return reuse * std::exp2(fsec(max_suppress).count() / fsec(half_life).count());
}

double flap_damping::decayed(const entry& e, clock::time_point now) const {
  return agent::decayed<clock>(e.penalty, e.at, now, opt_.half_life);
}

const flap_damping::entry* flap_damping::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

bool flap_damping::observe(std::string_view name, swim::member_state st, clock::time_point now) {
  const bool grey_newly = grey_.observe(name, st, now);
  const bool live = is_live(st);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    // First sight: nothing to damp, whatever the state (a member first heard of as dead
    // was never seen up).
    entry e;
    e.live = live;
    e.at = now;
    entries_.emplace(std::string(name), e);
    return grey_newly;
  }
  entry& e = it->second;
  const bool was_live = e.live;
  e.live = live;
  if (!was_live || live || st != swim::member_state::dead) return grey_newly;

  // A down transition: removed at once (the caller publishes it), and penalised.
  e.flaps++;
  flaps_total_++;
  e.penalty = std::min(decayed(e, now) + opt_.penalty, opt_.ceiling());
  e.at = now;
  const bool newly = !e.suppressed && e.penalty >= opt_.suppress;
  if (e.suppressed || newly) {
    // The figure falls to `reuse` this long after now.
    e.reuse_at = now + time_to_decay<clock::duration>(e.penalty, opt_.reuse, opt_.half_life);
  }
  if (newly) {
    e.suppressed = true;
    suppressed_++;
  }
  return newly;
}

bool flap_damping::update(clock::time_point now) {
  bool any = grey_.update(now);
  if (suppressed_ == 0) return any;
  for (auto& [name, e] : entries_) {
    if (e.suppressed && now >= e.reuse_at) {
      e.suppressed = false;
      suppressed_--;
      any = true;
    }
  }
  return any;
}

std::optional<flap_damping::clock::time_point> flap_damping::next_reuse() const {
  std::optional<clock::time_point> at = grey_.next_release();
  if (suppressed_ == 0) return at;
  for (const auto& [name, e] : entries_)
    if (e.suppressed && (!at || e.reuse_at < *at)) at = e.reuse_at;
  return at;
}

bool flap_damping::suppressed(std::string_view name) const {
  const entry* e = find(name);
  return (e != nullptr && e->suppressed) || grey_.held(name);
}

std::size_t flap_damping::suppressed_count() const {
  if (grey_.held_count() == 0) return suppressed_;
  std::size_t n = 0;
  for (const auto& [name, e] : entries_) n += (e.suppressed || grey_.held(name)) ? 1 : 0;
  return n;
}

flap_record flap_damping::record(std::string_view name) const {
  flap_record r;
  if (const entry* e = find(name)) {
    r.flaps = e->flaps;
    r.suppressed = e->suppressed;
  }
  r.grey = grey_.held(name);
  r.suppressed = r.suppressed || r.grey;
  return r;
}

double flap_damping::penalty(std::string_view name, clock::time_point now) const {
  const entry* e = find(name);
  return e == nullptr ? 0 : decayed(*e, now);
}

void flap_damping::prune(const std::function<bool(std::string_view)>& known,
                         clock::time_point now) {
  std::erase_if(entries_, [&](const auto& kv) {
    const entry& e = kv.second;
    if (known(kv.first)) return false;
    grey_.forget(kv.first);  // gone from the table: its suspicions no longer count
    return !e.suppressed && decayed(e, now) < 1;
  });
}

}  // namespace agent
