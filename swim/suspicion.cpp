#include "swim/suspicion.hpp"

#include <algorithm>
#include <cmath>

namespace swim {

duration suspicion_min_timeout(int suspicion_mult, std::size_t n, duration probe_interval) {
  double node_scale = std::max(1.0, std::log10(std::max(1.0, static_cast<double>(n))));
  // Go: time.Duration(mult) * time.Duration(nodeScale*1000) * interval / 1000
  auto scale_milli = static_cast<std::int64_t>(node_scale * 1000);
  return duration(suspicion_mult * scale_milli * probe_interval.count() / 1000);
}

duration remaining_suspicion_time(int n, int k, duration elapsed, duration min, duration max) {
  double frac = std::log(static_cast<double>(n) + 1.0) / std::log(static_cast<double>(k) + 1.0);
  double raw = static_cast<double>(max.count()) - frac * static_cast<double>((max - min).count());
  // Floor to whole milliseconds, as memberlist does, then never below min.
  auto timeout = std::chrono::duration_cast<duration>(
      milliseconds(static_cast<std::int64_t>(std::floor(raw / 1000.0))));
  if (timeout < min) timeout = min;
  return timeout - elapsed;
}

suspicion::suspicion(std::string from, int k, duration min, duration max, time_point start)
    : k_(k), min_(min), max_(max), start_(start) {
  confirmers_.push_back(std::move(from));
  // With no confirmations expected, waiting for max would only delay detection.
  deadline_ = start + (k < 1 ? min : max);
}

bool suspicion::confirm(const std::string& from, time_point now) {
  if (n_ >= k_) return false;
  if (std::find(confirmers_.begin(), confirmers_.end(), from) != confirmers_.end()) return false;
  confirmers_.push_back(from);
  ++n_;
  duration elapsed = now - start_;
  duration remaining = remaining_suspicion_time(n_, k_, elapsed, min_, max_);
  deadline_ = remaining > duration::zero() ? now + remaining : now;
  return true;
}

}  // namespace swim
