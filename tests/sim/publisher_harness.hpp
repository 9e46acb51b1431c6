#pragma once
// agent::publisher driven by a simulated node on virtual time, as agent::daemon drives it:
// member_changed on every event of the observer's node, one timer at due_at(), publish()
// when it fires. What one subscriber of that agent would receive.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/publisher.hpp"
#include "scenario.hpp"

namespace sim_test {

using pclock = agent::publisher::clock;

inline pclock::time_point to_pub(time_point t) { return pclock::time_point(t.time_since_epoch()); }
inline time_point to_sim(pclock::time_point t) {
  return time_point(std::chrono::ceil<duration>(t.time_since_epoch()));
}

/// One subscriber of member `observer`'s agent.
class subscriber {
 public:
  subscriber(cluster& c, std::size_t observer, const agent::publisher_options& o)
      : c_(c), obs_(observer), p_(o) {
    publish();  // the current list: what the subscriber holds before anything happens
  }

  void on_event(const swim::sim::event_record& r) {
    if (r.observer != obs_ || r.subject == cluster::unknown_subject) return;
    const auto m = c_.at(obs_).find(c_.name(r.subject));
    if (!m) return;  // reaped: it left the list long ago
    if (r.ev == member_event::dead || r.ev == member_event::left) dead_at_[m->name] = c_.now();
    if (r.ev == member_event::accused)
      p_.member_accused(*m, to_pub(c_.now()));
    else
      p_.member_changed(*m, to_pub(c_.now()));
    arm();
  }

  /// Every peer list published, in order (names only: what a hash ring sees).
  const std::vector<std::set<std::string>>& lists() const { return lists_; }
  /// Distinct peer lists published after the first one.
  std::size_t distinct_after_first() const {
    std::set<std::set<std::string>> seen(lists_.begin() + 1, lists_.end());
    seen.erase(lists_.front());
    return seen.size();
  }
  /// How long after the observer's dead event each removed member left the published list.
  const std::map<std::string, duration>& removal_delays() const { return delay_; }
  std::size_t snapshots() const { return snapshots_; }
  /// Times the observer's grey hold held a member out (agent/grey_hold.hpp).
  std::uint64_t holds() const { return p_.damping().grey().holds_total(); }
  /// The observer's grey score of `name` now (agent/grey_hold.hpp).
  double grey_score(const std::string& name) const {
    return p_.damping().grey().score(name, to_pub(c_.now()));
  }

 private:
  void arm() {
    auto at = p_.due_at();
    if (!at || at == armed_) return;
    armed_ = at;
    const std::uint64_t gen = ++gen_;
    c_.loop().at(to_sim(*at), [this, gen] {
      if (gen != gen_) return;  // re-armed meanwhile
      armed_.reset();
      publish();
    });
  }

  void publish() {
    swim::node& n = c_.at(obs_);
    if (p_.publish(n.self(), n.members(), to_pub(c_.now()))) {
      snapshots_++;
      std::set<std::string> names;
      for (const auto& peer : p_.last()->peers) names.insert(peer.name);
      if (lists_.empty() || names != lists_.back()) {
        if (!lists_.empty())
          for (const auto& gone : lists_.back())
            if (!names.count(gone) && dead_at_.count(gone))
              delay_[gone] = c_.now() - dead_at_[gone];
        lists_.push_back(std::move(names));
      }
    }
    arm();
  }

  cluster& c_;
  std::size_t obs_;
  agent::publisher p_;
  std::optional<pclock::time_point> armed_;
  std::uint64_t gen_ = 0;
  std::vector<std::set<std::string>> lists_;
  std::map<std::string, time_point> dead_at_;
  std::map<std::string, duration> delay_;
  std::size_t snapshots_ = 0;
};

/// The agent's defaults for a profile: coalesce 50 ms, cap 1 s, burst_hold 16 probe intervals.
inline agent::publisher_options defaults(const swim::timing& t) {
  agent::publisher_options o;
  o.burst_hold = agent::default_burst_hold(t.probe_interval);
  return o;
}

}  // namespace sim_test
