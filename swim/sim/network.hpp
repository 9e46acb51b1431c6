#pragma once
// An in-memory network on virtual time. Each simulated host gets its own
// swim::transport; sends become events on the loop, filtered by per-host and
// per-link rules (loss, one-way cuts, partitions, delay and jitter), as
// tarantool's fakenet filters do, but keyed by address with no fixed table and
// no globals. Streams model one TCP exchange: connect, request, optional reply,
// with refusal from a crashed host and silence (until the deadline) from a
// paused or cut-off one. Nothing here knows the wire format: an endpoint
// receives raw datagrams and frames.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "swim/address.hpp"
#include "swim/bytes.hpp"
#include "swim/sim/event_loop.hpp"
#include "swim/time.hpp"
#include "swim/transport.hpp"

namespace swim::sim {

/// What a simulated host does with traffic (the cluster adapts a swim::node to it).
class endpoint {
 public:
  virtual ~endpoint() = default;
  /// A datagram arrived.
  virtual void on_packet(const address& from, bytes datagram) = 0;
  /// A stream request frame arrived; return the reply frame, if any.
  virtual std::optional<bytes> on_stream(const address& from, bytes frame) = 0;
  /// The outcome of one of our send_stream calls: the reply frame, or nothing.
  virtual void on_stream_result(stream_id id, std::optional<bytes> reply) = 0;
  /// What the kernel tells a sender about a host whose process is gone (network::kill):
  /// an ICMP port unreachable for a datagram, or a refused connect.
  enum class unreachable_kind : std::uint8_t { port, refused };
  /// `to` answered our traffic with `k` (the host is up, nothing listens there).
  virtual void on_unreachable(const address& to, unreachable_kind k) { (void)to; (void)k; }
};

/// Lifecycle of a simulated host.
enum class host_state : std::uint8_t {
  up,      ///< receives and processes
  paused,  ///< receives nothing, processes nothing (SIGSTOP); backlog dropped on resume
  down,    ///< crashed: datagrams vanish, connections are refused
};

/// Traffic a host sent and received (payload bytes; no IP/UDP/TCP headers).
struct host_stats {
  std::uint64_t packets_sent = 0, bytes_sent = 0;
  std::uint64_t packets_received = 0, bytes_received = 0;
  std::uint64_t packets_dropped = 0;  ///< sent by this host and lost or filtered
  std::uint64_t streams_sent = 0, stream_bytes_sent = 0;  ///< requests and replies written
  std::uint64_t streams_failed = 0;   ///< our exchanges that ended without success
};

/// Delay, loss and reachability model shared by every link unless overridden.
struct network_options {
  duration delay = std::chrono::microseconds(200);   ///< one-way base latency
  duration jitter = std::chrono::microseconds(200);  ///< uniform extra latency in [0, jitter]
  double loss = 0.0;                                 ///< loss on every link, both ways
  /// Loss also hits TCP segments: each lost SYN costs `syn_rto` (doubling), each
  /// lost data segment `data_rto` (doubling), as a real stack retransmits.
  bool loss_affects_streams = true;
  duration syn_rto = seconds(1);
  duration data_rto = milliseconds(200);
};

/// The simulated network. Not thread-safe; owned by one simulation.
class network {
 public:
  /// A network driving events on `loop`; `seed` feeds its private PRNG.
  network(event_loop& loop, std::uint64_t seed, network_options opt = {});
  ~network();
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  /// Register (or re-register after a crash) the host at `a`; it starts up.
  /// The returned transport stays valid for the network's lifetime.
  transport& attach(const address& a, endpoint& ep);
  /// Crash the host silently: in-flight results to it are discarded, its datagrams vanish and
  /// connects to it fail without telling why (a host that is gone, or firewalled).
  void crash(const address& a);
  /// Kill the process on a host that stays up (kill -9, OOM): as crash, but the kernel answers
  /// every datagram with an ICMP port unreachable and every connect with a reset, which the
  /// sender learns through endpoint::on_unreachable (subject to loss on the way back).
  void kill(const address& a);
  /// Pause the host: traffic reaching it is dropped, stream results are held.
  void pause(const address& a);
  /// Resume a paused host: held stream results are reported (as failures when past their deadline).
  void resume(const address& a);
  /// State of the host at `a` (down when unknown).
  host_state state(const address& a) const;

  // ---- filters ----

  /// Loss probability on every link, both ways.
  void set_loss(double p) { opt_.loss = p; }
  /// Extra loss on everything `a` sends.
  void set_loss_out(const address& a, double p);
  /// Extra loss on everything `a` receives.
  void set_loss_in(const address& a, double p);
  /// Extra loss on the one-way link from -> to.
  void set_link_loss(const address& from, const address& to, double p);
  /// Drop everything from -> to (one way; streams need both ways).
  void cut(const address& from, const address& to);
  /// Undo cut(from, to).
  void uncut(const address& from, const address& to);
  /// Split hosts into groups that cannot reach each other; unlisted hosts form group 0.
  void partition(const std::vector<std::vector<address>>& groups);
  /// Remove every partition.
  void heal();
  /// Base delay and jitter on every link.
  void set_delay(duration base, duration jitter);

  // ---- figures ----

  /// Counters of the host at `a` (zeros when unknown).
  host_stats stats(const address& a) const;
  /// Counters summed over every host.
  host_stats total() const;
  /// Reset every host's counters (e.g. after a warm-up).
  void reset_stats();

 private:
  class host_transport;
  struct stream_state;
  struct host {
    endpoint* ep = nullptr;
    host_state st = host_state::down;
    std::uint64_t generation = 0;  ///< bumped on attach and crash; stale events check it
    bool killed = false;           ///< down, but its kernel answers (network::kill)
    double loss_in = 0, loss_out = 0;
    std::uint32_t group = 0;
    host_stats stats;
    std::unique_ptr<host_transport> tr;
    /// Stream outcomes that reached this host while paused.
    std::vector<std::pair<std::shared_ptr<stream_state>, std::optional<bytes>>> held;
  };
  struct link_rule {
    double loss = 0;
    bool blocked = false;
  };
  using link_key = std::pair<address, address>;

  host* find(const address& a);
  const host* find(const address& a) const;
  void send_packet(const address& from, const address& to, bytes packet);
  void send_stream(const address& from, stream_id id, const address& to, bytes frame,
                   bool expect_reply, time_point deadline);
  /// Report a stream outcome once; later reports of the same exchange are ignored.
  void finish(const std::shared_ptr<stream_state>& s, std::optional<bytes> reply);
  /// Tell `from` (after the way back) that `to` answered with `k` (a killed process's host).
  void unreachable(const address& from, const address& to, endpoint::unreachable_kind k);
  bool reachable(const address& from, const address& to) const;
  double loss(const address& from, const address& to) const;
  bool roll(double p);
  duration one_way();
  /// Extra time a TCP segment needs when each try is lost with `p`.
  duration retransmit_delay(double p, duration rto);

  event_loop& loop_;
  network_options opt_;
  std::mt19937_64 rng_;
  std::unordered_map<address, host, address_hash> hosts_;
  std::map<link_key, link_rule> links_;
  bool partitioned_ = false;
};

}  // namespace swim::sim
