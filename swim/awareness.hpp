#pragma once
// Lifeguard local health awareness (memberlist: awareness.go). A saturating
// score: failed probes and refutations raise it, successful probes lower it;
// it stretches the probe interval so a struggling node slows its own
// accusations instead of evicting healthy peers.

#include "swim/time.hpp"

namespace swim {

/// Local health score in [0, max - 1].
class awareness {
 public:
  /// `max` is memberlist's AwarenessMaxMultiplier (8).
  explicit awareness(int max) : max_(max < 1 ? 1 : max) {}
  /// Add `delta` and clamp to [0, max - 1].
  void apply_delta(int delta);
  /// The current score; 0 is healthy.
  int score() const { return score_; }
  /// `d` scaled by (score + 1).
  duration scale(duration d) const { return d * (score_ + 1); }

 private:
  int max_;
  int score_ = 0;
};

}  // namespace swim
