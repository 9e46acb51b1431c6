#pragma once
// The check of the local cache ([cache] check): what to probe, read from the
// config's URL, and the state machine that turns probe outcomes into "up" or
// "down". Sans-I/O: agent/cache_probe.* runs one probe, agent/cache_checker.*
// runs them on a timer and marks this node in its tags (peerlib::protocol::cache_tag),
// and every agent's publisher leaves members marked down out of its peer lists.
//
// States: a node with a check starts `starting`, which counts as down (out of
// every list: no traffic to a cache that has not answered yet). Its first
// passing check brings it up at once, so an agent restarted beside a running
// cache costs one check, not check_successes intervals. From then on it takes
// check_failures failures in a row to go down and check_successes passes in a
// row to come back up. A start that keeps failing goes from `starting` to
// `down` after check_failures failures (still out of the lists; only the name changes).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agent {

/// How a check probes the cache.
enum class check_kind {
  tcp,   ///< tcp://HOST:PORT: a TCP connect that succeeds
  http,  ///< http://HOST[:PORT][/PATH]: a GET answered with a 2xx status
  exec,  ///< exec:COMMAND: `/bin/sh -c COMMAND` that exits 0
};

/// A parsed [cache] check.
struct check_target {
  check_kind kind = check_kind::tcp;
  std::string host;        ///< tcp, http: a DNS name or IP literal (no brackets)
  std::uint16_t port = 0;  ///< tcp, http (80 when an http URL has none)
  std::string path;        ///< http: path and query, "/" when the URL has none
  std::string command;     ///< exec: the shell command

  /// "tcp://127.0.0.1:11211", "http://127.0.0.1:8080/healthz", "exec:COMMAND".
  std::string to_string() const;
};

/// Parse `tcp://HOST:PORT`, `http://HOST[:PORT][/PATH]` or `exec:COMMAND` (IPv6 hosts in
/// brackets). nullopt, with the reason in `why`, for anything else.
std::optional<check_target> parse_check_target(std::string_view text, std::string* why = nullptr);

/// Where the check stands.
enum class cache_state {
  starting,  ///< no check has passed since the agent started (counts as down)
  up,        ///< listed
  down,      ///< check_failures checks in a row failed: out of every peer list
};

/// "starting", "up" or "down".
std::string_view to_string(cache_state s);

/// Probe outcomes to a state, with thresholds. Pure: no clock, no I/O.
class cache_health {
 public:
  using clock = std::chrono::steady_clock;

  /// `failures` in a row take an up cache down, `successes` in a row bring it back (both >= 1).
  cache_health(unsigned failures, unsigned successes);

  /// One probe's outcome at `now`. Returns true when up() changed.
  bool result(bool ok, clock::time_point now);

  cache_state state() const { return state_; }
  /// True when the node belongs in peer lists.
  bool up() const { return state_ == cache_state::up; }
  /// When state() last changed; nullopt while starting.
  std::optional<clock::time_point> since() const { return since_; }

  unsigned failures_in_a_row() const { return failures_in_a_row_; }
  unsigned successes_in_a_row() const { return successes_in_a_row_; }
  std::uint64_t passed() const { return passed_; }            ///< checks that passed since start
  std::uint64_t failed() const { return failed_; }            ///< checks that failed since start
  std::uint64_t transitions() const { return transitions_; }  ///< changes of up()

 private:
  unsigned failures_;
  unsigned successes_;
  cache_state state_ = cache_state::starting;
  std::optional<clock::time_point> since_;
  unsigned failures_in_a_row_ = 0;
  unsigned successes_in_a_row_ = 0;
  std::uint64_t passed_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t transitions_ = 0;
};

/// This agent's check as /metrics reports it (agent/cache_checker.hpp fills it).
struct cache_check_stats {
  bool configured = false;                    ///< [cache] check is set
  std::string target;                         ///< its URL
  cache_state state = cache_state::starting;  ///< where it stands
  std::uint64_t passed = 0;                   ///< checks that passed since start
  std::uint64_t failed = 0;                   ///< checks that failed since start
  std::uint64_t transitions = 0;              ///< times this node was listed or unlisted
};

}  // namespace agent
