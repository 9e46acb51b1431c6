#pragma once
// consul-template's `wait = MIN:MAX` as a sans-I/O object: after a change, act
// once nothing changed for `min`, and at the latest `max` after the first change
// of the burst. The caller reports changes with `now`, arms one timer at
// due_at(), and calls take(now) when it fires. Used by each [render.NAME].

#include <chrono>
#include <optional>

namespace agent {

class debounce {
 public:
  using clock = std::chrono::steady_clock;

  /// `min` <= `max` (0:0 acts at once: due_at() is the change itself).
  debounce(clock::duration min, clock::duration max) : min_(min), max_(max < min ? min : max) {}

  /// Something changed at `now`. Returns the new due_at().
  clock::time_point changed(clock::time_point now);
  /// When to act, if a change is pending.
  std::optional<clock::time_point> due_at() const;
  /// True when a change is pending and due at `now`; it is then no longer pending.
  bool take(clock::time_point now);
  /// A change is pending.
  bool pending() const { return first_.has_value(); }

 private:
  clock::duration min_, max_;
  std::optional<clock::time_point> first_;  ///< first change of the pending burst
  clock::time_point last_{};                ///< latest change
};

}  // namespace agent
