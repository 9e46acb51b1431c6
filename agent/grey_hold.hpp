#pragma once
// Holding a grey member out of the peer list, sans-I/O. A member with heavy
// inbound loss (a bad NIC, a saturated host) is not dead: it answers some probes
// and refutes every suspicion it hears of, so at the gossip level it goes
// alive -> suspect -> alive over and over and is never removed. For a cache that
// routes keys to it, that member is worse than a dead one.
//
// The caller reports each member's state with `now`. Every alive -> suspect
// transition, and every death, adds 1 to the member's suspicion score, which
// decays exponentially with `half_life`. A member is held when, at such a
// transition or when it comes back to life, its score reaches `min_suspicions`
// and `ratio` times the median score of the other live members (a member that
// keeps dying and coming back is held at its come-back). It is re-admitted
// when its score decays below `release`, or below ratio/2 times that median (a
// loss that now hits everyone is not this member's fault).
//
// Comparing with the cluster is what keeps uniform loss from holding anybody:
// under 30 % loss of every packet all members are suspected about equally often,
// and none is an outlier. At most `max_fraction` of the live members (at least
// one) are held at once, and nobody is held while fewer than `min_members` other
// live members give a median. Self is never held (the caller does not report it).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "swim/member.hpp"

namespace agent {

/// Grey-failure hold parameters ([publish] grey_* in docs/config.md).
struct grey_hold_options {
  /// Decayed suspicions needed before a member can be held; 0 turns the hold off. Since a
  /// member suspects another only when its own probe fails too (swim::member_event::accused),
  /// uniform 30 % loss scores a member up to ~12 by chance, a grey member ~30 at lan timings.
  double min_suspicions = 14;
  /// ... and this many times the median of the other live members.
  double ratio = 4;
  /// ... and this many times the score of the (k + 1)-th most suspected other member that is
  /// not held, k being the most members held at once: an outlier, not the top of a spread
  /// (0: no such check).
  double outlier_factor = 2;
  /// A held member is re-admitted when its score decays below this.
  double release = 2;
  /// Decay of the score.
  std::chrono::milliseconds half_life{std::chrono::seconds(30)};
  /// Other live members needed for a median.
  std::size_t min_members = 5;
  /// Most live members held at once (at least one).
  double max_fraction = 0.1;
};

class grey_hold {
 public:
  using clock = std::chrono::steady_clock;

  explicit grey_hold(grey_hold_options o = {}) : opt_(o) {}

  /// Member `name` is in state `st` at `now`. Returns true when this held the member.
  bool observe(std::string_view name, swim::member_state st, clock::time_point now);
  /// Another member accused `name` (its state here did not change): counts like a suspicion.
  /// Returns true when this held the member.
  bool accused(std::string_view name, clock::time_point now);
  /// Re-admit the held members whose score fell low enough by `now`. Returns true when some
  /// member was re-admitted.
  bool update(clock::time_point now);
  /// When the next held member is due to be re-admitted (its score below `release`).
  std::optional<clock::time_point> next_release() const;

  bool held(std::string_view name) const;
  /// The member's decayed suspicion score at `now` (0 when unknown).
  double score(std::string_view name, clock::time_point now) const;

  /// Members held now.
  std::size_t held_count() const { return held_; }
  /// Times a member was held, since start (never decreases).
  std::uint64_t holds_total() const { return holds_total_; }

  /// Forget `name` (no longer in the member table); a held member is released.
  void forget(std::string_view name);

  const grey_hold_options& options() const { return opt_; }

 private:
  struct entry {
    swim::member_state state = swim::member_state::alive;
    double score = 0;  ///< at `at`
    clock::time_point at{};
    bool held = false;
  };
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  double decayed(const entry& e, clock::time_point now) const;
  /// Add one accusation (when `counted`) and hold the member if its score stands out.
  bool score_and_hold(entry& e, bool counted, bool returned, clock::time_point now);
  /// The median score of the live members other than `except` (nullopt: too few of them).
  std::optional<double> median_of_others(const entry* except, clock::time_point now) const;
  /// The k-th highest score of the live members not held, other than `except` (nullopt:
  /// fewer of them).
  std::optional<double> rank_of_others(const entry* except, std::size_t k, clock::time_point now) const;
  std::size_t live_count() const;

  grey_hold_options opt_;
  std::unordered_map<std::string, entry, hash, std::equal_to<>> entries_;
  std::size_t held_ = 0;
  std::uint64_t holds_total_ = 0;
  mutable std::vector<double> scratch_;
};

}  // namespace agent
