#include "discovery/schedule.hpp"

#include <algorithm>
#include <cstdint>

namespace discovery {

using namespace std::chrono;

milliseconds interval_delay(milliseconds interval, int failures, std::mt19937_64& rng,
                            milliseconds failure_max) {
  interval = std::max(interval, milliseconds(1));
  const milliseconds cap = std::max(interval, failure_max);
  milliseconds d = interval;
  for (int i = 0; i < failures && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  std::uniform_real_distribution<double> f(0.9, 1.1);
  return std::max(milliseconds(1),
                  milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * f(rng))));
}

milliseconds watch_backoff(int failures, std::mt19937_64& rng) {
  const milliseconds cap = seconds(30);
  milliseconds step = seconds(1);
  for (int i = 1; i < failures && step < cap; ++i) step *= 2;
  step = std::min(step, cap);
  std::uniform_int_distribution<std::int64_t> half(0, step.count() / 2);
  return milliseconds(step.count() - step.count() / 2 + half(rng));
}

}  // namespace discovery
