#pragma once
// Time for the sans-I/O core. The core never reads a clock: every entry point
// takes `now`. A driver maps its own clock (steady_clock, or a simulator's
// virtual clock starting at zero) onto this time_point.

#include <chrono>

namespace swim {

/// Resolution of all protocol time: microseconds.
using duration = std::chrono::microseconds;
/// A point on the driver's monotonic clock (epoch is the driver's choice).
using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

using std::chrono::milliseconds;
using std::chrono::seconds;

/// Milliseconds as a double, for logs and figures.
inline double to_ms(duration d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace swim
