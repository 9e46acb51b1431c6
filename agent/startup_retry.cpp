#include "agent/startup_retry.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>
#include <thread>

#include "agent/service_notify.hpp"

namespace agent {

using std::chrono::milliseconds;

std::optional<milliseconds> startup_backoff::next(milliseconds elapsed) {
  if (elapsed >= opt_.budget) return std::nullopt;
  milliseconds d = std::max(opt_.initial, milliseconds(1));
  for (int i = 0; i < retries_ && d < opt_.max; ++i) d *= 2;
  d = std::min(d, std::max(opt_.max, milliseconds(1)));
  const auto lo = (d.count() + 1) / 2;
  milliseconds wait(std::uniform_int_distribution<std::int64_t>(lo, d.count())(rng_));
  retries_++;
  return std::min(wait, opt_.budget - elapsed);
}

std::optional<std::string> retry_startup(std::string_view what, milliseconds budget,
                                         const std::function<startup_attempt()>& attempt,
                                         startup_retry_env env) {
  if (!env.sleep) env.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
  if (!env.now) env.now = [] { return std::chrono::steady_clock::now(); };
  if (!env.on_retry)
    env.on_retry = [what = std::string(what)](milliseconds, milliseconds left) {
      notify_start_extend(left + std::chrono::minutes(2), "waiting for " + what);
    };
  if (env.seed == 0) env.seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                std::random_device{}();
  startup_backoff::options o;
  o.budget = budget;
  startup_backoff backoff(o, env.seed);
  const auto start = env.now();
  int attempts = 0;
  for (;;) {
    startup_attempt a = attempt();
    attempts++;
    if (a.ok) {
      if (attempts > 1) spdlog::info("{}: ready after {} attempts", what, attempts);
      return std::nullopt;
    }
    if (!a.transient) return a.error;
    const auto elapsed = std::chrono::duration_cast<milliseconds>(env.now() - start);
    auto delay = backoff.next(elapsed);
    if (!delay) {
      if (attempts == 1) return a.error;
      return a.error + " (gave up after " + std::to_string(attempts) + " attempts over " +
             std::to_string(elapsed.count() / 1000) + " s)";
    }
    spdlog::warn("{}: {}; retry {} in {} ms", what, a.error, attempts, delay->count());
    env.on_retry(*delay, budget - elapsed);
    env.sleep(*delay);
  }
}

}  // namespace agent
