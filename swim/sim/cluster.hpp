#pragma once
// A cluster of real swim::nodes on the simulated network and virtual clock.
// Each member is a node plus the glue a production driver would be: it calls
// tick() when next_deadline() comes, reads stream frames with
// node::read_stream, and re-reads next_deadline() after every entry point.
// One cluster seed fans out to every node's PRNG and to the network's, so a
// run is reproduced exactly by its seed (SIM_SEED).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "swim/address.hpp"
#include "swim/config.hpp"
#include "swim/delegate.hpp"
#include "swim/member.hpp"
#include "swim/node.hpp"
#include "swim/sim/event_loop.hpp"
#include "swim/sim/network.hpp"
#include "swim/time.hpp"

namespace swim::sim {

/// The seed in the SIM_SEED environment variable (decimal or 0x hex), else `fallback`.
std::uint64_t seed_from_env(std::uint64_t fallback);
/// A well-mixed 64-bit value derived from `x` (splitmix64).
std::uint64_t mix_seed(std::uint64_t x);

/// How a cluster is built.
struct cluster_options {
  std::uint64_t seed = 1;      ///< the one seed of the run (use seed_from_env)
  timing t = lan_timing();     ///< protocol timings of every node
  bool serf_compat = false;    ///< pure memberlist behaviour unless a test wants Serf's leave intent
  bool enable_compression = true;
  network_options net{};       ///< delay, jitter, loss
  bool log_joins = true;       ///< record join events too (O(N^2) at bootstrap; off in large benches)
  duration leave_timeout = seconds(5);  ///< shut a leaving member down after this at the latest
  /// Adjusts member `index`'s node configuration before each boot (e.g. gossip keys).
  std::function<void(std::size_t index, config&)> configure;
};

/// One membership event as an observer saw it.
struct event_record {
  time_point at;
  std::uint32_t observer = 0;  ///< member index of the node that raised it
  std::uint32_t subject = 0;   ///< member index of the node it is about (npos-like when unknown)
  member_event ev = member_event::join;
  std::uint32_t incarnation = 0;
};

/// Lifecycle of a simulated member as the cluster drives it.
enum class member_status : std::uint8_t {
  idle,     ///< created, not started (never happens after start())
  running,  ///< processing
  paused,   ///< SIGSTOP: no processing, traffic to it dropped
  leaving,  ///< leave() called; still running until the leave is gossiped
  left,     ///< left and shut down
  crashed,  ///< crashed (silently: its datagrams vanish, connections are refused)
};

/// N simulated members. Not thread-safe.
class cluster {
 public:
  /// An empty cluster.
  explicit cluster(cluster_options opt = {});
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  /// The run's seed (print it on failure).
  std::uint64_t seed() const { return opt_.seed; }
  /// The options the cluster was built with.
  const cluster_options& options() const { return opt_; }
  /// The virtual clock.
  event_loop& loop() { return loop_; }
  /// The network, for filters and counters.
  network& net() { return net_; }
  /// Current virtual time.
  time_point now() const { return loop_.now(); }
  /// Virtual time elapsed since the cluster was built.
  duration elapsed() const { return loop_.now() - time_point{}; }

  // ---- membership control ----

  /// Create `n` more members (each knows only itself) and start them; returns the first new index.
  std::size_t start(std::size_t n);
  /// Member `i` joins through `seed_index` (push-pull join).
  void join(std::size_t i, std::size_t seed_index);
  /// Every running member except the seed joins through `seed_index`, all at once.
  void join_all(std::size_t seed_index);
  /// Crash member `i` silently (its host is gone: no answers at all).
  void crash(std::size_t i);
  /// Kill member `i`'s process on a host that stays up: its kernel answers datagrams with
  /// ICMP port unreachable and connects with resets (network::kill).
  void kill(std::size_t i);
  /// Stop processing member `i` (SIGSTOP).
  void pause(std::size_t i);
  /// Resume member `i`: what arrived meanwhile is gone; its overdue timers fire now.
  void resume(std::size_t i);
  /// Replace a crashed (or running) member by a new node with the same name and
  /// address: incarnation starts again, memory is lost. It does not join by itself.
  void restart(std::size_t i);
  /// Re-create member `i`'s VM: it crashes silently, and a new member with the same name and
  /// a new address (127.1.x.y, then 127.3.x.y, ...) starts, knowing only itself. Returns the new member's index;
  /// its name now maps to it (index_of, events).
  std::size_t recreate(std::size_t i);
  /// Start a graceful leave of member `i`; it shuts down once the leave is gossiped.
  void leave(std::size_t i);

  // ---- inspection ----

  /// Number of members ever created.
  std::size_t size() const { return members_.size(); }
  /// Member `i`'s node (valid while the member has a node: not crashed or left).
  node& at(std::size_t i);
  /// Whether member `i` currently has a node object.
  bool has_node(std::size_t i) const;
  /// Member `i`'s name ("node-<i>").
  const std::string& name(std::size_t i) const;
  /// Member `i`'s address: host_address(i, whether it is a re-created VM).
  const address& addr(std::size_t i) const;
  /// The address of host `i`: 127.(2k + recreated).x.y:7946 with y in 1..254 and k the block
  /// of 254 x 254 hosts, so every host, first started or re-created, has its own loopback-range
  /// address for the first 8 million (long churn runs start hundreds of thousands).
  static address host_address(std::size_t i, bool recreated);
  /// Lifecycle of member `i`.
  member_status status(std::size_t i) const;
  /// True while member `i` processes traffic (running or leaving).
  bool is_running(std::size_t i) const;
  /// Member index for a node name, if it is one of ours.
  std::optional<std::size_t> index_of(std::string_view name) const;
  /// How many members are running.
  std::size_t running_count() const;

  /// State of `subject` in `observer`'s table; nullopt when unknown or reaped.
  std::optional<member_state> view(std::size_t observer, std::size_t subject) const;
  /// Every running member other than `subject` sees it in `s`.
  bool all_see(std::size_t subject, member_state s) const;
  /// Every running member other than `subject` sees it dead or left, or has reaped it.
  bool all_see_gone(std::size_t subject) const;
  /// Some running member other than `subject` sees it in `s`.
  bool any_sees(std::size_t subject, member_state s) const;
  /// Every running member sees every running member alive (and nobody else as live).
  bool converged() const;

  // ---- virtual time ----

  /// Advance virtual time by `d`.
  void run_for(duration d);
  /// Advance until `pred` holds (checked every `poll`), at most `timeout`; true if it held.
  bool run_until(const std::function<bool()>& pred, duration timeout,
                 duration poll = milliseconds(10));

  // ---- recorded events ----

  /// Every membership event raised so far (joins only with log_joins).
  const std::vector<event_record>& events() const { return log_; }
  /// Events of kind `ev` about `subject` at or after `since`.
  std::size_t count_events(std::size_t subject, member_event ev, time_point since = {}) const;
  /// Time of the first event of kind `ev` about `subject` at or after `since`.
  std::optional<time_point> first_event(std::size_t subject, member_event ev,
                                        time_point since = {}) const;
  /// Time of the last event of kind `ev` about `subject` at or after `since`.
  std::optional<time_point> last_event(std::size_t subject, member_event ev,
                                       time_point since = {}) const;
  /// Called for every event as it is recorded (after logging), e.g. to count false deaths.
  std::function<void(const event_record&)> on_event;

  /// Sentinel subject for events about names that are not ours.
  static constexpr std::uint32_t unknown_subject = 0xffffffffu;

 private:
  class member_host;
  void record(std::size_t observer, const member& m, member_event ev);

  cluster_options opt_;
  event_loop loop_;
  network net_;
  std::vector<std::unique_ptr<member_host>> members_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::vector<event_record> log_;
  // Shared by every member's node (one thread drives them all): N tables of N members hold
  // each member's identity once, not N times.
  std::shared_ptr<identity_pool> identities_ = std::make_shared<identity_pool>();
};

/// "lan" or "250ms" style profile names used by the tests and the benchmark.
std::optional<timing> sim_profile(std::string_view name);

}  // namespace swim::sim
