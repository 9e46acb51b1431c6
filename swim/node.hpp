#pragma once
// swim::node: SWIM with the Lifeguard extensions, speaking memberlist 0.2.2.
// Sans-I/O: no sockets, clock, threads or global randomness. A driver calls the
// entry points with `now`, delivers packets and stream results, and calls
// tick() when next_deadline() is reached. Output goes to the injected
// transport; events go to the delegate. The design preamble is in node.cpp.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "swim/address.hpp"
#include "swim/broadcast_queue.hpp"
#include "swim/bytes.hpp"
#include "swim/config.hpp"
#include "swim/delegate.hpp"
#include "swim/keyring.hpp"
#include "swim/member.hpp"
#include "swim/time.hpp"
#include "swim/transport.hpp"
#include "swim/wire.hpp"

namespace swim {

/// Counters a node keeps; the agent exports them as metrics.
struct node_stats {
  std::uint64_t packets_in = 0, packets_out = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::uint64_t streams_in = 0, streams_out = 0;
  std::uint64_t probes = 0, probe_failures = 0;
  std::uint64_t indirect_probes = 0, tcp_fallback_pings = 0;
  std::uint64_t suspicions_raised = 0;   ///< we suspected someone
  std::uint64_t refutations = 0;         ///< we refuted a suspicion/death about us
  std::uint64_t deaths_declared = 0;     ///< our suspicion timers that expired
  std::uint64_t deaths_held = 0;         ///< expiries held back for want of first-hand evidence
  std::uint64_t deaths_refused = 0;      ///< heard deaths of a member that answered our probe
  /// Our record of wrong suspicions forgotten after a clean run of probes (docs/wire.md §7.6).
  std::uint64_t suspicion_history_cleared = 0;
  std::uint64_t port_unreachables = 0;   ///< ICMP port unreachable from a member's address
  std::uint64_t connections_refused = 0; ///< TCP connects to a member's address refused
  std::uint64_t deaths_by_refusal = 0;   ///< members declared dead on a refused connect
  std::uint64_t accusations_discounted = 0;  ///< heard suspects from an accuser often wrong
  std::uint64_t deaths_of_discounted = 0;    ///< such an accuser failed our probe: removed
  std::uint64_t suspicions_withheld = 0;     ///< our probe failed while our health was worst
  std::uint64_t push_pulls = 0;          ///< push-pull exchanges completed (both directions)
  std::uint64_t joins = 0;               ///< join push-pulls that succeeded
  /// Push-pulls started after our join because the table kept growing, or after a wave of
  /// new members (docs/wire.md §7.8).
  std::uint64_t repair_push_pulls = 0;
  std::uint64_t push_pull_failures = 0;
  std::uint64_t broadcasts_queued = 0;
  std::uint64_t conflicts = 0;
  std::uint64_t ignored_pings = 0;       ///< pings for another node name
  std::uint64_t accusations_in_acks = 0; ///< acks that told a suspect/dead pinger so
  std::uint64_t stale_accusations_answered = 0;  ///< direct alives sent to stale accusers
  std::uint64_t refutations_sent_direct = 0;     ///< refutations also sent to the accuser
  std::uint64_t suspicions_verified = 0;         ///< suspicions from others re-checked by a probe
  /// Suspicions of members we hold alive, heard from others: passed on, not taken until our
  /// own probe failed too (the accused stays alive here meanwhile).
  std::uint64_t suspicions_passed_on = 0;
  /// Heard suspicions from a member we do not hold alive (suspect, dead, unknown), ignored.
  std::uint64_t accusations_ignored = 0;
  /// Pings to our ring successor between probes (timing::successor_watch).
  std::uint64_t successor_watches = 0;
  // Forged-input defences (docs/wire.md §7.5-7.6):
  /// Refutations or meta changes that found our incarnation at 0xFFFFFFFF (it never wraps).
  std::uint64_t incarnation_saturated = 0;
  /// Heard suspect/dead about another member at 0xFFFFFFFF, ignored (nothing could refute it).
  std::uint64_t top_accusations_ignored = 0;
  /// Heard suspects not counted as Lifeguard confirmations: From is not a member we hold
  /// alive, or is ourselves or the accused.
  std::uint64_t confirmations_ignored = 0;
  /// Alives that would move a left (or reclaimable dead) member to another address, held
  /// while its old address was pinged; an answer keeps it there and counts a conflict.
  std::uint64_t address_checks = 0;
  /// Alive states about new members a push-pull brought beyond max_push_pull_new_members.
  std::uint64_t push_pull_new_members_refused = 0;
  /// Alives that would bring back a reaped member at its old address and incarnation (stale
  /// news from a member that missed its death), refused.
  std::uint64_t resurrections_refused = 0;
  /// Alives about new members refused because the table held max_members.
  std::uint64_t members_refused_table_full = 0;
  /// Dropped input by reason, indexed by wire::error.
  std::array<std::uint64_t, static_cast<std::size_t>(wire::error::count_)> drops{};
};

/// One SWIM/Lifeguard member. Not thread-safe: one driver thread owns it.
class node {
 public:
  /// Create a node that knows only itself. `seed` feeds its private PRNG.
  node(config cfg, transport& out, delegate& events, std::uint64_t seed, time_point now);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // ---- driver entry points ----

  /// Push-pull join with each seed (memberlist Join). Each seed's outcome is reported through
  /// delegate::on_join_result once its stream reply (or failure) arrives.
  void join(const std::vector<address>& seeds, time_point now);
  /// A UDP datagram arrived from `from`.
  void on_packet(const address& from, byte_view datagram, time_point now);
  /// What read_stream found at the start of the bytes a stream delivered so far.
  struct stream_read {
    wire::stream_result frame;  ///< good: a whole frame; indeterminate: read more; bad: drop
    std::optional<bytes> reply;  ///< with bad: an error frame to write back before closing
  };
  /// Read one stream frame (a request, or the reply to our send_stream) from `data`,
  /// removing encryption with our keyring (docs/wire.md §6.1). Plaintext while encryption is
  /// required, or an encrypted frame without a keyring, is bad with memberlist's error reply.
  stream_read read_stream(byte_view data) const;
  /// The same for bytes that arrive in pieces: call it after every read with everything read
  /// so far and one `parser` per stream, which resumes a plain push-pull where the previous
  /// call stopped, so a large frame costs linear time in all (wire::stream_parser).
  stream_read read_stream(byte_view data, wire::stream_parser& parser) const;
  /// A complete inbound stream frame (from read_stream). Returns the reply frame to write,
  /// if any.
  std::optional<bytes> on_stream(const address& from, const wire::stream_message& msg,
                                 time_point now);
  /// Outcome of a send_stream: the parsed reply, or nullopt on failure/timeout.
  void on_stream_reply(stream_id id, const std::optional<wire::stream_message>& reply,
                       time_point now);
  /// Why a member's address could not be reached, as the kernel reports it. Both mean its host
  /// is up and nothing listens on the port: the agent is gone (killed, crashed, stopped).
  enum class unreachable : std::uint8_t {
    port_unreachable,    ///< ICMP port unreachable from that very address, for a datagram we sent
    connection_refused,  ///< our TCP connect to it was refused (RST)
  };
  /// The driver's report of `why` for our traffic to `to`. Never a lost packet, a timeout or
  /// an ICMP from another host. A port unreachable makes us check at once with a TCP connect;
  /// a refused connect to a live member's address declares it dead at once.
  void on_unreachable(const address& to, unreachable why, time_point now);
  /// Run every timer due at or before `now`.
  void tick(time_point now);
  /// When tick() must next be called.
  time_point next_deadline() const;

  // ---- control ----

  /// Start a graceful leave: Serf leave intent (if serf_compat), then dead{self, from self}.
  /// delegate::on_leave_complete reports its end.
  void leave(time_point now);
  /// True once at least two peers (all of them, when fewer are alive) acknowledged the leave,
  /// or nobody is left to tell. The leave goes straight to a few peers with a ping each, whose
  /// ack acknowledges it, and is gossiped to everyone as well.
  bool leave_done() const;
  /// Peers that acknowledged our leave so far.
  std::size_t leave_acks() const;
  /// What force_leave did.
  enum class force_leave_result : std::uint8_t {
    left,          ///< the member is left here, and the intent is being gossiped
    already_left,  ///< nothing to do (idempotent): nothing is sent
    not_failed,    ///< alive or suspect: a live member would refute it; nothing is sent
    unknown,       ///< no member of that name
    self,          ///< ourselves: leave() is the way out
    rate_limited,  ///< force_leave_burst intents already went out in the window; try later
    unsupported,   ///< config().serf_compat is off: the intent is Serf's message
  };
  /// Intents force_leave sends at most per force_leave_window probe intervals.
  static constexpr std::size_t force_leave_burst = 10;
  static constexpr int force_leave_window = 10;
  /// Mark the failed (dead) member `name` left everywhere, as `serf force-leave` does: gossip
  /// a Serf leave intent for it. Our nodes and Serf agents that hold it dead record it left
  /// and gossip the intent on once; those that already did ignore it, so it dies out.
  force_leave_result force_leave(std::string_view name, time_point now);
  /// Change our meta (tags): gossips an alive with a higher incarnation. Returns false, and
  /// changes nothing, when the meta is over meta_max_size (swim/tags.hpp).
  bool set_meta(bytes meta, time_point now);
  /// Replace the gossip keys (Serf key rotation). An empty keyring turns encryption off.
  void set_keyring(keyring ring);
  /// Change config().verify_incoming / verify_outgoing at run time (moving a running cluster
  /// from plaintext to encryption, or back, without a split).
  void set_verification(bool incoming, bool outgoing);
  /// Queue a memberlist user message (type 8 payload) for gossip, e.g. Serf events.
  void broadcast_user(bytes payload);
  /// Send a memberlist user message (type 8 payload) straight to `to` in one datagram, as
  /// memberlist's SendToAddress does for Serf's query responses and relays: compressed when
  /// that helps, encrypted with our primary key, no CRC, nothing piggybacked.
  void send_user(const address& to, bytes payload);

  // ---- inspection ----

  const config& cfg() const;
  /// The gossip keys, primary first (empty: plaintext).
  const keyring& keys() const;
  /// Ourselves as the table holds us.
  member self() const;
  /// The member called `name`, if known (any state): a copy of what the table holds.
  std::optional<member> find(std::string_view name) const;
  /// Every known member, self included, any state.
  std::vector<member> members() const;
  /// Number of members in state alive or suspect, self included.
  std::size_t num_live() const;
  /// Number of known members (memberlist's estimate of cluster size n).
  std::size_t num_known() const;
  /// Lifeguard local health score, 0 (healthy) .. awareness_max_multiplier-1.
  int health_score() const;
  const node_stats& stats() const;
  /// Pending broadcasts in the gossip queue.
  std::size_t queued_broadcasts() const;
  /// Pending broadcasts of one class (membership changes, or user messages such as Serf's).
  std::size_t queued_broadcasts(broadcast_class cls) const;
  /// Broadcasts of one class dropped because the gossip queue held its bound of that class.
  std::uint64_t dropped_broadcasts(broadcast_class cls) const;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace swim
