#pragma once
// Route-flap damping for members (RFC 2439, as BGP routers do it), sans-I/O:
// the caller reports each member's liveness with `now` and asks which members
// to hold out of the peer list.
//
//   - every down transition (alive or suspect -> dead) adds `penalty` (1000) to
//     the member's figure of merit, which decays exponentially with `half_life`;
//   - a down transition that brings it to `suppress` or above marks the member
//     suppressed; a suppressed member is held out of the peer list, even while it
//     is alive, until the figure decays below `reuse`;
//   - the figure never exceeds reuse x 2^(max_suppress / half_life), so a member
//     that stopped flapping is re-admitted at most `max_suppress` after its last
//     down transition (RFC 2439 §4.2, "maximum hold down time").
//
// A down transition is never delayed (a crash is removed at once), and one crash
// and come-back is never suppressed (1000 < suppress): only a member that failed
// again before the first failure's penalty decayed is held out when it returns.
// A graceful leave is not a flap. Self is never damped (the caller does not
// report it).
//
// The damping also holds a grey member out (agent/grey_hold.hpp): one suspected
// far more often than the rest, which never dies at the gossip level because it
// refutes every suspicion. suppressed() answers for both reasons.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/grey_hold.hpp"
#include "swim/member.hpp"

namespace agent {

/// Damping parameters ([publish] flap_* in docs/config.md).
struct flap_damping_options {
  double penalty = 1000;                                        ///< added per down transition
  std::chrono::milliseconds half_life{std::chrono::seconds(60)};  ///< decay of the penalty
  double suppress = 1500;                                       ///< suppress at or above
  double reuse = 750;                                           ///< re-admit below
  /// Longest hold after the last down transition; 0 turns damping off.
  std::chrono::milliseconds max_suppress{std::chrono::minutes(5)};
  /// Holding a member suspected far more often than the others (grey failure).
  grey_hold_options grey;

  /// The most a penalty may reach: reuse x 2^(max_suppress / half_life).
  double ceiling() const;
};

/// What the damping knows of one member.
struct flap_record {
  std::uint64_t flaps = 0;  ///< down transitions seen (alive or suspect -> dead)
  bool suppressed = false;  ///< held out of the peer list (if alive): flapping or grey
  bool grey = false;        ///< held because it is suspected far more often than the others
};

class flap_damping {
 public:
  using clock = std::chrono::steady_clock;

  explicit flap_damping(flap_damping_options o = {}) : opt_(o), grey_(o.grey) {}

  /// Member `name` is in state `st` at `now` (alive and suspect are live; dead is a down
  /// transition from live, left is not). Returns true when this suppressed the member.
  bool observe(std::string_view name, swim::member_state st, clock::time_point now);
  /// Another member accused `name` (grey_hold::accused). Returns true when this held it.
  bool accused(std::string_view name, clock::time_point now) { return grey_.accused(name, now); }
  /// Re-admit every suppressed member whose penalty fell below `reuse` by `now`. Returns
  /// true when some member was re-admitted.
  bool update(clock::time_point now);
  /// When the next suppressed member is due to be re-admitted, if any is suppressed.
  std::optional<clock::time_point> next_reuse() const;

  /// True when `name` is suppressed (update() first for the current answer).
  bool suppressed(std::string_view name) const;
  /// The member's record; flaps 0 and not suppressed when unknown.
  flap_record record(std::string_view name) const;
  /// The member's penalty at `now` (0 when unknown).
  double penalty(std::string_view name, clock::time_point now) const;

  /// Down transitions of every member since start (never decreases).
  std::uint64_t flaps_total() const { return flaps_total_; }
  /// Members suppressed now, for either reason (whatever their state).
  std::size_t suppressed_count() const;
  /// The grey-failure hold (scores, members held, holds since start).
  const grey_hold& grey() const { return grey_; }
  /// Members with a record.
  std::size_t size() const { return entries_.size(); }

  /// Forget members `known` says are no longer in the member table, once their penalty
  /// decayed below 1 and they are not suppressed.
  void prune(const std::function<bool(std::string_view)>& known, clock::time_point now);

  const flap_damping_options& options() const { return opt_; }

 private:
  struct entry {
    bool live = false;
    double penalty = 0;         ///< the figure of merit at `at`
    clock::time_point at{};
    bool suppressed = false;
    clock::time_point reuse_at{};  ///< while suppressed: when the figure falls below reuse
    std::uint64_t flaps = 0;
  };
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  double decayed(const entry& e, clock::time_point now) const;
  const entry* find(std::string_view name) const;

  flap_damping_options opt_;
  std::unordered_map<std::string, entry, hash, std::equal_to<>> entries_;
  std::uint64_t flaps_total_ = 0;
  std::size_t suppressed_ = 0;  ///< by flap penalty
  grey_hold grey_;
};

}  // namespace agent
