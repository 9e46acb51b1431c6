#pragma once
// Start-up steps that talk to a server which may be slow or briefly gone (the GCE
// metadata server while a whole instance group boots, or during a maintenance gap) are
// retried instead of ending the agent: exponential back-off from 100 ms doubling to 5 s,
// each delay drawn uniformly from its upper half so agents that started together do not
// retry together, until a total budget ([gce] startup_timeout, 5 minutes by default) is
// spent. Each retry is logged at warn with the reason. A failure that retrying cannot
// fix (a 404, a reply that is not the metadata server's) ends the loop at once.
//
// Blocking, before the agent's io_context runs; nothing is ready (no READY=1 to systemd,
// no sockets) until the step succeeded. Under systemd each retry extends the start
// timeout (EXTEND_TIMEOUT_USEC) to cover the rest of the budget, so TimeoutStartSec does
// not end a wait the config allows.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace agent {

/// Delays between start-up attempts. Pure: elapsed time in, delay out; the RNG is seeded.
class startup_backoff {
 public:
  struct options {
    std::chrono::milliseconds initial{100};                    ///< first delay (before jitter)
    std::chrono::milliseconds max{std::chrono::seconds(5)};    ///< cap of the doubling
    std::chrono::milliseconds budget{std::chrono::minutes(5)}; ///< no attempt starts after this
  };

  explicit startup_backoff(options o, std::uint64_t seed = 1) : opt_(o), rng_(seed) {}

  /// The wait before the next attempt when `elapsed` has passed since the first began:
  /// uniform in [d/2, d] for d = initial x 2^retries capped at max, and never past the
  /// budget's end. nullopt once the budget is spent (a budget of 0: one attempt only).
  std::optional<std::chrono::milliseconds> next(std::chrono::milliseconds elapsed);
  /// Retries scheduled so far.
  int retries() const { return retries_; }

 private:
  options opt_;
  std::mt19937_64 rng_;
  int retries_ = 0;
};

/// One try of a start-up step.
struct startup_attempt {
  bool ok = false;         ///< the step succeeded
  bool transient = false;  ///< on failure: trying again may help
  std::string error;       ///< on failure: why
};

/// How retry_startup waits and tells time (tests inject virtual ones).
struct startup_retry_env {
  std::function<void(std::chrono::milliseconds)> sleep;          ///< empty: sleep_for
  std::function<std::chrono::steady_clock::time_point()> now;    ///< empty: steady_clock
  /// Before each wait, with the delay and what is left of the budget; empty: extend
  /// systemd's start timeout (notify_start_extend).
  std::function<void(std::chrono::milliseconds delay, std::chrono::milliseconds left)> on_retry;
  std::uint64_t seed = 0;  ///< 0: from std::random_device
};

/// Run `attempt` until it succeeds (nullopt), fails for good, or `budget` is spent; then
/// the error to report: the last reason, with how many attempts over how long when it was
/// retried. Each retry is logged at warn as "WHAT: REASON; retry N in D ms".
std::optional<std::string> retry_startup(std::string_view what, std::chrono::milliseconds budget,
                                         const std::function<startup_attempt()>& attempt,
                                         startup_retry_env env = {});

}  // namespace agent
