#include "agent/publisher.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "agent/snapshot.hpp"

namespace agent {
namespace {

publisher_options with_coalesce(publisher::clock::duration coalesce) {
  publisher_options o;
  o.coalesce = std::chrono::duration_cast<std::chrono::milliseconds>(coalesce);
  return o;
}

/// True when a peer of `before` is missing from `after` (both sorted by name).
bool removes_peer(const peerlib::snapshot& before, const peerlib::snapshot& after) {
  auto a = after.peers.begin();
  for (const auto& p : before.peers) {
    while (a != after.peers.end() && a->name < p.name) ++a;
    if (a == after.peers.end() || a->name != p.name) return true;
  }
  return false;
}

}  // namespace

publisher::publisher(clock::duration coalesce) : publisher(with_coalesce(coalesce)) {}

publisher::publisher(const publisher_options& o) : opt_(o), damping_(o.damping) {}

std::optional<publisher::clock::time_point> publisher::changed(clock::time_point now,
                                                               std::string_view who) {
  return touch(now, who);
}

std::optional<publisher::clock::time_point> publisher::touch(clock::time_point now,
                                                             std::string_view who) {
  const auto before = due_at();
  // Recent changes about other members are still arriving: the window is a burst's. (One
  // member's suspicion and then its death are one failure, not a burst.)
  const bool burst = last_change_ && now - *last_change_ < opt_.coalesce_max &&
                     (who.empty() || who != last_subject_);
  last_change_ = now;
  last_subject_ = who;
  if (!opened_) {
    opened_ = now;
    due_ = now + opt_.coalesce;
    holding_ = false;
  } else if (holding_) {
    // Maybe a suspicion resolved: look again soon (publish() holds again if not).
    due_ = std::min(*due_, now + opt_.coalesce);
  }
  if (burst && !holding_) due_ = std::max(*due_, *opened_ + opt_.coalesce_max);
  const auto after = due_at();
  if (after == before) return std::nullopt;
  return after;
}

std::optional<publisher::clock::time_point> publisher::member_changed(const swim::member& m,
                                                                     clock::time_point now) {
  if (m.name != self_) damping_.observe(m.name, m.state, now);
  return touch(now, m.name);
}

std::optional<publisher::clock::time_point> publisher::member_accused(const swim::member& m,
                                                                      clock::time_point now) {
  if (m.name == self_ || !damping_.accused(m.name, now)) return std::nullopt;
  return touch(now, m.name);  // newly held: publish without it
}

std::optional<publisher::clock::time_point> publisher::due_at() const {
  auto at = due_;
  if (auto reuse = damping_.next_reuse(); reuse && (!at || *reuse < *at)) at = reuse;
  return at;
}

std::shared_ptr<const std::string> publisher::publish(const swim::member& self,
                                                      const std::vector<swim::member>& members,
                                                      clock::time_point now) {
  self_ = self.name;
  // Transitions no event reported (the node's events are the usual source), then the
  // re-admissions due by now.
  for (const auto& m : members)
    if (m.name != self.name) damping_.observe(m.name, m.state, now);
  damping_.update(now);
  if (local_mode_ && std::any_of(members.begin(), members.end(), [&](const swim::member& m) {
        return m.name != self.name && (m.state == swim::member_state::alive ||
                                        m.state == swim::member_state::suspect);
      }))
    local_mode_ = false;
  auto snap = build_snapshot(self, members, version_ + 1, local_mode_,
                             [&](const swim::member& m) { return damping_.suppressed(m.name); });

  // A peer leaves the list while a failure is still unfolding (other members are suspect, or
  // a peer left a published list less than burst_hold ago): the deaths of one failure reach
  // us spread over seconds, so gather them, within burst_hold of the window's opening.
  const bool removes = last_ && removes_peer(*last_, snap);
  if (opened_ && removes && opt_.burst_hold.count() > 0 && now < *opened_ + opt_.burst_hold &&
      ((last_removal_ && *opened_ - *last_removal_ < opt_.burst_hold) ||
       std::any_of(members.begin(), members.end(), [&](const swim::member& m) {
         return m.state == swim::member_state::suspect && m.name != self.name &&
                !damping_.suppressed(m.name);
       }))) {
    holding_ = true;
    due_ = *opened_ + opt_.burst_hold;
    return nullptr;
  }
  opened_.reset();
  due_.reset();
  holding_ = false;

  if (damping_.size() > members.size()) {
    // Records of members the table forgot (reaped), once their penalty has decayed.
    std::unordered_set<std::string_view> names;
    names.reserve(members.size());
    for (const auto& m : members) names.insert(m.name);
    damping_.prune([&](std::string_view n) { return names.count(n) != 0; }, now);
  }

  if (last_ && same_view(*last_, snap)) return nullptr;
  if (removes) last_removal_ = now;
  version_++;
  line_ = std::make_shared<const std::string>(peerlib::protocol::encode_snapshot(snap));
  last_ = std::move(snap);
  return line_;
}

std::shared_ptr<const std::string> publisher::current(const swim::member& self,
                                                      const std::vector<swim::member>& members,
                                                      clock::time_point now) {
  if (!line_) publish(self, members, now);
  return line_;
}

publisher_options publisher_options_for(const publish_config& p,
                                        std::chrono::microseconds probe_interval) {
  publisher_options o;
  o.coalesce_max = p.coalesce_max;
  o.burst_hold = p.burst_hold.value_or(default_burst_hold(probe_interval));
  o.damping.half_life = p.flap_half_life;
  o.damping.suppress = p.flap_suppress;
  o.damping.reuse = p.flap_reuse;
  o.damping.max_suppress = p.flap_max_suppress;
  o.damping.grey.min_suspicions = p.grey_suspicions;
  o.damping.grey.ratio = p.grey_ratio;
  o.damping.grey.half_life = p.grey_half_life;
  return o;
}

}  // namespace agent
