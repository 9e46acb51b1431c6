#pragma once
// What flap damping (agent/flap_damping.hpp) and the grey hold (agent/grey_hold.hpp)
// share: which states keep a member in the peer list, and figures that halve every
// half-life (RFC 2439's figure of merit).

#include <chrono>
#include <cmath>

#include "swim/member.hpp"

namespace agent {

/// Alive and suspect members are live peers; dead and left are not.
inline bool is_live(swim::member_state st) {
  return st == swim::member_state::alive || st == swim::member_state::suspect;
}

/// `value` set at `at`, halved every `half_life`, as it stands at `now` (unchanged before
/// `at`, or with no half-life).
template <class Clock>
double decayed(double value, typename Clock::time_point at, typename Clock::time_point now,
               std::chrono::milliseconds half_life) {
  using fsec = std::chrono::duration<double>;
  if (value <= 0 || now <= at || half_life.count() <= 0) return value;
  return value * std::exp2(-fsec(now - at).count() / fsec(half_life).count());
}

/// How long `value` takes to decay to `target`: half_life x log2(value / target), 0 when it
/// is there already.
template <class Duration>
Duration time_to_decay(double value, double target, std::chrono::milliseconds half_life) {
  using fsec = std::chrono::duration<double>;
  if (target <= 0 || value <= target) return Duration::zero();
  return std::chrono::duration_cast<Duration>(fsec(fsec(half_life).count() * std::log2(value / target)));
}

}  // namespace agent
