#pragma once
// Getting into the cluster: the static join list (resolved through the system
// resolver, retried with back-off until a seed answers), joins asked for on the
// control socket, and discovery candidates gossip does not know yet. Outcomes
// come from the node (delegate::on_join_result), one per address joined;
// nothing here polls.
//
// Partition heal: each side of a split declares the other dead and no probe or
// push-pull crosses again, so with a static join list nothing would merge the
// halves once the network is back. While fewer members are live than the most
// seen, the joiner re-resolves the join list and joins the seeds gossip does not
// hold live, every 10-30 s (rejoin_policy decides; GCE discovery does the same
// with its candidates).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "swim/address.hpp"

namespace boost::asio {
class io_context;
}

namespace agent {

/// When to join the static list again to heal a partition. Sans-I/O: fed the number of
/// live members with `now`, it says when a re-join is due.
///   - the target is the most members seen live since start, less one for each member that
///     left gracefully since (a leave is not a partition);
///   - while fewer are live, a re-join is due `min_interval`-`max_interval` (uniformly
///     random) after the drop was seen, then again at the same spacing;
///   - once as many are live as the target, nothing is due.
class rejoin_policy {
 public:
  using clock = std::chrono::steady_clock;

  struct options {
    std::chrono::milliseconds min_interval{std::chrono::seconds(10)};
    std::chrono::milliseconds max_interval{std::chrono::seconds(30)};
  };

  explicit rejoin_policy(options o, std::uint64_t seed = 1) : opt_(o), rng_(seed) {}

  /// `live` members (alive or suspect, self included) at `now`.
  void members(std::size_t live, clock::time_point now);
  /// A member left gracefully: one fewer to expect (call before members()).
  void member_left();
  /// True when a re-join is due at `now`; the next one is then scheduled.
  bool due(clock::time_point now);
  /// When the next re-join is due; nullopt while no member is missing.
  std::optional<clock::time_point> next_at() const { return next_; }

  /// The most live members seen (less graceful leaves), and the live count last reported.
  std::size_t target() const { return target_; }
  std::size_t live() const { return live_; }

 private:
  clock::duration jitter();

  options opt_;
  std::mt19937_64 rng_;
  std::size_t target_ = 0;
  std::size_t live_ = 0;
  std::optional<clock::time_point> next_;
};

/// What the joiner asks of the agent (always on the io_context thread).
struct joiner_hooks {
  /// Start a push-pull join with each address (swim::asio::driver::join).
  std::function<void(const std::vector<swim::address>&)> join;
  /// A join succeeded (every time one does).
  std::function<void()> joined;
  /// The addresses of members gossip holds alive or suspect (partition heal skips them).
  std::function<std::vector<swim::address>()> known;
};

class joiner {
 public:
  /// `default_port` completes addresses given without one; a control-socket join waits at
  /// most `control_timeout` for its answers.
  joiner(boost::asio::io_context& io, std::uint16_t default_port,
         std::chrono::milliseconds control_timeout, joiner_hooks hooks);
  ~joiner();
  joiner(const joiner&) = delete;
  joiner& operator=(const joiner&) = delete;

  /// Join through `seeds`; until one answers, retry after 1 s, doubling up to 30 s.
  void join_seeds(std::vector<host_port> seeds);
  /// A new join list (SIGHUP); the next retry uses it.
  void set_seeds(std::vector<host_port> seeds);
  /// A join asked for on the control socket: each of `addresses` is "HOST" or "HOST:PORT"
  /// (an IP literal, IPv6 in brackets before a port, or a DNS name, resolved asynchronously
  /// and every address of it joined). `reply(ok, message)` runs once every address answered
  /// or failed, or at the timeout; the message names the names that did not resolve.
  void join_addresses(const std::vector<std::string>& addresses,
                      std::function<void(bool ok, std::string message)> reply);
  /// Join the discovery candidates ("IP:port") that are not in `known` (the addresses of
  /// members gossip holds alive or suspect): new VMs, or the other side of a partition.
  /// At most three at a time, picked at random, a failed one replaced by another
  /// (agent/candidate_picker.hpp).
  void join_candidates(const std::vector<std::string>& candidates,
                       const std::vector<swim::address>& known);
  /// The node's report for one address (delegate::on_join_result).
  void on_join_result(const swim::address& seed, bool ok);
  /// Live members now (alive or suspect, self included), after a member event; `left` when
  /// the event was a graceful leave. Drives the partition heal (rejoin_policy).
  void members_changed(std::size_t live, bool left);
  /// Cancel retries and pending replies (at shutdown).
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace agent
