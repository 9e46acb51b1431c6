#pragma once
// Protocol configuration and timing profiles. The lan/wan/local profiles carry
// memberlist 0.2.2's values (config.go); `heartbeat(ms)` scales the lan
// profile from a probe interval, for gce-cache-cluster's `heartbeat` key.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "swim/address.hpp"
#include "swim/bytes.hpp"
#include "swim/identity_pool.hpp"
#include "swim/time.hpp"

namespace swim {

/// Timings and fan-outs; names follow memberlist's Config fields.
struct timing {
  duration probe_interval = milliseconds(1000);
  duration probe_timeout = milliseconds(500);
  duration gossip_interval = milliseconds(200);
  int gossip_nodes = 3;
  int indirect_checks = 3;
  int retransmit_mult = 4;
  int suspicion_mult = 4;
  int suspicion_max_timeout_mult = 6;
  duration push_pull_interval = seconds(30);
  /// Bytes per second each member may spend sending its full state in periodic push-pulls:
  /// the period grows beyond memberlist's log2 scaling once the state (sent about twice per
  /// period) would exceed it, so anti-entropy costs the same per member at any N. 0 keeps
  /// memberlist's scaling alone. Not a memberlist setting.
  std::size_t push_pull_budget = 128;
  duration gossip_to_the_dead_time = seconds(30);
  duration tcp_timeout = seconds(10);
  int awareness_max_multiplier = 8;
  bool disable_tcp_pings = false;
  /// memberlist DeadNodeReclaimTime; 0 = a dead node's address never changes until reaped.
  duration dead_node_reclaim_time = duration::zero();
  /// Ping our ring successor (the next live member by name) this often, besides the probes,
  /// so that every member is pinged by its predecessor at least this often: a member whose
  /// process died on a live host draws an ICMP port unreachable at once (node::on_unreachable),
  /// instead of waiting for a random prober. The ping rides on a probe's wakeup where it can.
  /// 0 turns it off. Not a memberlist setting.
  duration successor_watch = milliseconds(1000);
};

/// memberlist DefaultLANConfig (what `serf agent` runs).
timing lan_timing();
/// memberlist DefaultWANConfig.
timing wan_timing();
/// memberlist DefaultLocalConfig.
timing local_timing();
/// The lan profile scaled so that probe_interval = `probe_ms` (gce-cache-cluster's
/// `heartbeat`, default 250): every interval and timeout scales by probe_ms/1000,
/// with floors so that loopback and LAN round trips still fit.
timing heartbeat_timing(int probe_ms);
/// Timing by profile name: "lan", "wan", "local"; nullopt for anything else.
std::optional<timing> timing_for_profile(std::string_view name);

/// Everything a node needs to start.
struct config {
  std::string name;        ///< unique node name (memberlist Name)
  address advertise;       ///< IP and port peers reach us at (sent in alive)
  bytes meta;              ///< node meta (Serf tags); <= 512 bytes
  timing t = lan_timing();
  std::size_t udp_buffer_size = 1400;  ///< gossip packet budget (memberlist UDPBufferSize)
  bool enable_compression = true;      ///< compress stream frames and, when smaller, packets
  /// Send the Serf leave intent before the memberlist dead-self, so that Serf
  /// agents show us as "left" rather than "failed" (docs/wire.md §9.4).
  bool serf_compat = true;
  /// Gossip encryption keys (16, 24 or 32 bytes each), primary first; empty: plaintext.
  std::vector<bytes> keys;
  /// With keys: drop what does not decrypt (memberlist GossipVerifyIncoming). false accepts
  /// plaintext too, to move a running cluster to encryption without a split.
  bool verify_incoming = true;
  /// With keys: encrypt what we send (memberlist GossipVerifyOutgoing). false sends plaintext.
  bool verify_outgoing = true;
  /// New members one push-pull may add; the states beyond it are skipped (counted), while
  /// states about members we know are always merged (docs/wire.md §6.2).
  std::size_t max_push_pull_new_members = 10000;
  /// Members the table may hold in all, ourselves and not-yet-reaped dead ones included; an
  /// alive about a new member beyond it is refused (counted).
  std::size_t max_members = 20000;
  /// Where the member table keeps names, addresses and meta. Null: the node keeps its own.
  /// Nodes driven by one thread may share one pool (the simulator does), so each member's
  /// identity is held once for all their tables (swim/identity_pool.hpp).
  std::shared_ptr<identity_pool> identities;
};

}  // namespace swim
