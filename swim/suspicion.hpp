#pragma once
// Lifeguard suspicion timeouts (memberlist: suspicion.go, util.go
// suspicionTimeout). A suspicion starts at `max` and shrinks toward `min` as
// independent members confirm it, so a member that many observers cannot reach
// is declared dead sooner, while a lone (possibly unhealthy) accuser waits longest.

#include <cstddef>
#include <string>
#include <vector>

#include "swim/time.hpp"

namespace swim {

/// memberlist suspicionTimeout: mult * max(1, log10(max(1, n))) * interval, the scale
/// truncated to 1/1000 as Go does.
duration suspicion_min_timeout(int suspicion_mult, std::size_t n, duration probe_interval);

/// memberlist remainingSuspicionTime: time left after `elapsed` with `n` of `k` expected
/// confirmations; the total is max - (ln(n+1)/ln(k+1))(max-min), floored to ms and >= min.
duration remaining_suspicion_time(int n, int k, duration elapsed, duration min, duration max);

/// One member's suspicion timer.
class suspicion {
 public:
  /// Started by `from` at `start`; expects `k` confirmations (0: fixed `min` timeout).
  suspicion(std::string from, int k, duration min, duration max, time_point start);

  /// Count a confirmation from `from`. True when it is new (and so worth re-gossiping);
  /// the deadline may move earlier.
  bool confirm(const std::string& from, time_point now);
  /// When the suspected member is to be declared dead.
  time_point deadline() const { return deadline_; }
  /// Confirmations so far (excluding the first accuser).
  int confirmations() const { return n_; }
  /// The first accuser, then each confirmer counted.
  const std::vector<std::string>& accusers() const { return confirmers_; }

 private:
  int k_;
  int n_ = 0;
  duration min_, max_;
  time_point start_, deadline_;
  std::vector<std::string> confirmers_;  // k is small (2 for lan), so a vector beats a set
};

}  // namespace swim
