// swim::node: SWIM + Lifeguard, as memberlist 0.2.2 runs it.
//
// Design
// ------
// The node is one single-threaded state machine. memberlist runs the same
// protocol with goroutines, tickers and seven mutexes; here every timer is a
// time_point the driver learns from next_deadline(), and every "blocking"
// step of memberlist's probeNode() is a phase of `probe_state`.
//
// Rounds. Every probe_interval (a fixed grid, like Go's time.Ticker) the node
// probes the next member of its probe list, which is shuffled at the end of
// each round (randomized round-robin: worst-case first detection 2N-1
// periods, SWIM §4.3). Self and dead/left members are skipped. New members are
// inserted at a random position, so a join does not delay everyone's probe.
//
// Probe. ping(seq) → wait probe_timeout → indirect pings through up to
// indirect_checks alive members (asking for a nack when they speak protocol
// >= 4) and a TCP ping through the transport (protocol >= 3) → wait until
// probe_interval × (health + 1) after the start. Any ack with the sequence
// number, direct or relayed, is success; TCP alone is success with a warning
// counter. A failure raises local health by the missing nacks (or by 1 when no
// nacks were asked for) and suspects the target. A ping to a suspect member
// carries the suspicion (Lifeguard "buddy system"), so it can refute at once.
//
// Suspicion (Lifeguard). The timer starts at max = suspicion_max_timeout_mult
// × min, min = suspicion_mult × max(1, log10 n) × probe_interval, and shrinks
// toward min with each independent confirmation (k = suspicion_mult - 2).
// Expiry declares the member dead and gossips it.
//
// Incarnations. Only a member raises its own incarnation: to refute a suspect
// or dead about itself, or to publish new meta. A restarted member starts at 1
// and out-bids the incarnation the cluster remembers, which it learns from
// push-pull state (dead/suspect about itself) or from gossip.
//
// Dissemination. Updates go into a transmit-limited queue and ride on every
// ping/ack/indirect/nack (piggyback) and on a separate gossip timer (gossip_nodes
// random members every gossip_interval, recently dead members included).
// Push-pull (TCP) exchanges full state on join and every push_pull_interval,
// scaled up for n > 32, and further once the full state outgrows
// timing::push_pull_budget (a divergence, below).
//
// Divergences from memberlist 0.2.2 (all invisible on the wire)
// -------------------------------------------------------------
// - Left members are reaped like dead ones after gossip_to_the_dead_time (as
//   memberlist >= 0.3.1 does); 0.2.2 keeps them forever, so state grows.
// - A Vsn shorter than 6 bytes never crashes us: alive messages with one keep
//   the stored versions, and push-pull states with one fail verification.
// - An alive with incarnation 0 about an unknown member is ignored, instead of
//   leaving a phantom dead entry behind.
// - Datagrams are compressed only when they are at least compress_min_bytes
//   long (below that LZW plus its 13-byte frame never wins); Go tries every one.
// - The CRC header is added when the destination is a known member with
//   protocol max >= 5, whether or not the caller passed the member (Go only
//   finds it for gossip, buddy pings and for members named by their IP). Go
//   verifies it when present.
// - An ack to a pinger we hold as suspect or dead carries that accusation (the
//   buddy system applied to acks too), so a member that resumes from a pause
//   refutes on its first probe instead of at its next push-pull. Go members
//   that receive it refute the same way.
// - The periodic push-pull's period also grows with the size of our full state,
//   so that sending it (about twice per period) stays within push_pull_budget
//   bytes per second (128 by default): memberlist's log2 scaling lets
//   anti-entropy grow as n / log n per member (memberlist#243: 2-3 cores per
//   node at 2,500 nodes). The period is max(memberlist's, 2 x our last state
//   frame / budget): memberlist's while the state frame is under 64 bytes per
//   second of it, e.g. up to ~250 members with short names and no tags.
// - After a successful join the first periodic push-pull comes within one to two
//   probe intervals rather than after a random part of push_pull_interval, so a
//   member that gossip happened to miss during a mass join is repaired in
//   seconds (infection-style gossip leaves ~n^-(2λ-2) pairs uninformed). When
//   many join at once that exchange comes while the burst's alives are still
//   spreading, so a member whose table grew after it makes a second one once
//   the table has been quiet for a probe interval (impl::repair_pending): N
//   members joining one seed at once all know all in 4.1 / 6.4 / 17.6 virtual s
//   at N = 250 / 500 / 1000 instead of 4.6 / 10.7 / 27.5 (swim-sim-bench).
// - A suspect or dead about us at an incarnation we already out-bid means the
//   accuser missed our refutation; memberlist ignores it, we answer the accuser
//   directly with our current alive (at most once per accuser per probe
//   interval). With the buddy pings and the accusations in acks, any direct
//   contact in either direction now repairs a stale suspicion before its timer
//   declares a live member dead. A refutation also goes straight to the accuser
//   (besides being gossiped): the accuser's timer is the one sure to be running.
// - A suspicion heard from another member is passed on (re-gossiped, so the
//   accused hears it and refutes, and each new accuser, so the accusers' timers
//   get their confirmations) but not taken: the accused stays alive here (event
//   `accused`) until our own probe of it fails too. A few members, about
//   suspicion_mult of them, check it with a probe at the next tick, enough for
//   the Lifeguard confirmations; accusations and deaths from members we do not
//   hold alive are ignored. memberlist marks the accused suspect everywhere, so
//   one sick member gets healthy ones suspected in every table (wire.md §7.5).
// - A death our timer declares goes straight to up to 64 live members as well as
//   into the gossip queue: infection-style gossip misses a member now and then.
// - First-hand evidence before a death (docs/wire.md §7.6): a suspicion timer
//   declares a death only when our own probes of the member since the suspicion
//   began failed K times in a row (K = 1..4, from how many of our own recent
//   suspicions were refuted, i.e. how lossy the network has been); otherwise it
//   holds the death back, probes again and waits for the refutation, at most
//   three times the maximum timeout. A heard dead about a suspect that answered
//   our probe after the suspicion began is not applied. memberlist lets any
//   member that missed a refutation declare a live member dead.
// - Accusers that are the problem (docs/wire.md §7.6): at our worst health we do
//   not accuse; a member whose accusations keep proving wrong (>= 3 and >= 4x the
//   cluster's average) is not listened to, and one failed probe of it removes it.
// - Every successor_watch (1 s on lan, 500 ms on the 250 ms profile) we ping our
//   ring successor (the next live member by name) besides the probes, in the same
//   wakeup as a probe where we can, so a member killed on a live host draws an
//   ICMP port unreachable from its predecessor within one watch interval; an
//   unanswered watch ping gets the successor probed at once (lan) or at the
//   next tick. The gossip timer sleeps while nothing is queued, and an ack
//   timer whose ack came is dropped at once, so an idle member wakes only for
//   its probe grid and the datagrams it receives.
// - Fast evidence (docs/wire.md §7.1): an ICMP port unreachable from a member's
//   own address (the driver reads IP_RECVERR) triggers a TCP connect to it; a
//   refused connect declares the member dead at once and the dead is sent to up
//   to 64 members directly. memberlist ignores both signals.
// - Serf compatibility: after a successful join we gossip a Serf join intent,
//   and leave() gossips a Serf leave intent before dead{self}, so Serf agents
//   show this node "left" rather than "failed". A Serf leave intent about a
//   member we hold dead (serf force-leave, or our force_leave) records it left
//   and is gossiped on once, as Serf does; memberlist itself ignores intents.
//
// Hardening against forged input (docs/wire.md §4, §7.5, §7.6)
// ------------------------------------------------------------
// - Inflation is bounded per datagram, not per compressed part: all the LZW
//   payloads of one datagram (nested ones included) share
//   wire::limits::max_inflated_total (4 MiB). memberlist bounds nothing, and a
//   per-part limit alone lets one 64 KiB compound of small bombs inflate ~15
//   times that. A stream frame has a single compress layer, bounded by
//   max_stream_frame.
// - The top of the incarnation range. memberlist refutes with accused + 1 in
//   uint32, so one forged suspect/dead at 0xFFFFFFFF wraps the victim to 0 and
//   it stays dead. Here our incarnation saturates (refute and set_meta stop at
//   0xFFFFFFFF, counted as incarnation_saturated) and an accusation at the top
//   about us is still refuted, at the top. A suspect/dead at 0xFFFFFFFF about
//   another member that we only heard (gossip, push-pull) is ignored
//   (top_accusations_ignored), since nothing could ever refute it; at the top
//   only our own probes and timers accuse (origin::ours), and an alive at the
//   top clears such a suspect/dead (ties go to the alive there). A member that
//   really fails at the top is still declared dead by each member on its own.
// - Lifeguard confirmations come from members, not from names: a heard suspect
//   confirms a running suspicion only when From is a member we hold alive and
//   neither the accused nor ourselves (may_confirm; confirmations_ignored counts
//   the rest). memberlist counts any new From, so k forged suspects from made-up
//   names cut the timeout to its minimum. Our own failed probe still confirms.
// - A known name moves to another address only when its old address is silent,
//   whatever the member's state (a re-created VM: same name, new IP, is in
//   everywhere about a probe interval after its claim; memberlist reports a
//   conflict until the old entry is reaped). memberlist moves a left member at
//   once, so a forged leave (dead{X, From: X}) plus an alive from elsewhere
//   hijacks a live member. Here such an alive is
//   held (check_old_address) while the old address is pinged with the member's
//   name (twice, probe_timeout apart); an ack keeps the member where it is and
//   counts a conflict, one probe interval of silence lets the move happen.
// - Bounded state: one push-pull adds at most cfg.max_push_pull_new_members
//   (10,000) new members, the later new ones are skipped rather than the whole
//   exchange (states about known members still merge), and the table holds at
//   most cfg.max_members (20,000); refusals are counted
//   (push_pull_new_members_refused, members_refused_table_full). memberlist
//   takes whatever a push-pull (up to its 20 MiB frame) claims.
// - Streams arriving in pieces are parsed in linear time: read_stream(data,
//   parser) with one wire::stream_parser per connection resumes a plain
//   push-pull after its last complete node state instead of parsing the buffer
//   again from the start after every read (docs/wire.md §6.1).

#include "swim/node.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <deque>
#include <queue>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "swim/awareness.hpp"
#include "swim/broadcast_queue.hpp"
#include "swim/encryption.hpp"
#include "swim/serf.hpp"
#include "swim/suspicion.hpp"
#include "swim/tags.hpp"

namespace swim {
namespace {

constexpr std::size_t compound_header_overhead = 2;  // memberlist compoundHeaderOverhead
constexpr std::size_t compound_overhead = 2;         // per part: its uint16 length
constexpr std::size_t compress_min_bytes = 256;
constexpr std::uint32_t max_incarnation = 0xFFFFFFFF;  // the top: nothing out-bids it
constexpr std::size_t push_pull_scale_threshold = 32;
constexpr std::size_t max_compound_parts = 255;

bool is_dead_or_left(member_state s) {
  return s == member_state::dead || s == member_state::left;
}

/// memberlist pushPullScale: the interval times ceil(log2 n - log2 32) + 1 above 32 members.
duration push_pull_scale(duration interval, std::size_t n) {
  if (n <= push_pull_scale_threshold) return interval;
  double multiplier = std::ceil(std::log2(static_cast<double>(n)) -
                                std::log2(static_cast<double>(push_pull_scale_threshold))) +
                      1.0;
  return duration(static_cast<std::int64_t>(multiplier) * interval.count());
}

bytes vsn_bytes(const std::array<std::uint8_t, 6>& v) { return bytes(v.begin(), v.end()); }

}  // namespace

// ---------------------------------------------------------------------------

struct node::impl {
  /// What a member needs only while it is suspected, accused or checked. Allocated on first
  /// use and freed when the member is plainly alive again (entry::settle), so a quiet member
  /// costs its entry alone: the table is N entries in each of N simulated members
  /// (docs/simulator.md, "Scale").
  struct doubts {
    std::unique_ptr<suspicion> susp;  // non-null while suspect
    time_point hold_until{};     // a death we held back is re-checked then
    std::optional<time_point> port_check_at;  // our last TCP check after a port unreachable
    // A suspicion of this (alive) member heard from another member, passed on but not taken
    // until our own probe fails too (see suspect_node).
    bool heard_pending = false;
    std::uint32_t heard_inc = 0;
    time_point heard_since{};
    std::vector<std::string> heard_accusers;  // distinct members we heard it from
    std::optional<dead> doubted_death;  // declared by a member we did not hold alive
  };

  /// A member plus the bookkeeping the protocol needs.
  struct entry {
    member m;
    // First-hand evidence from our own probes (docs/wire.md §7.6, "first-hand evidence").
    time_point last_ack{};       // it answered one of our probes (UDP, indirect or TCP)
    time_point last_failure{};   // one of our probes of it failed
    std::uint64_t intent_ltime = 0;  // newest Serf join/leave intent about it (Serf statusLTime)
    int failures_in_row = 0;     // our probes of it that failed since it last answered
    bool suspected_by_us = false;  // the running suspicion is ours (suspicion_history)
    std::unique_ptr<doubts> d;   // null while nothing is in doubt

    /// The doubts, created on first use.
    doubts& doubt() {
      if (!d) d = std::make_unique<doubts>();
      return *d;
    }
    suspicion* susp() const { return d ? d->susp.get() : nullptr; }
    bool heard_pending() const { return d && d->heard_pending; }
    /// A heard suspicion at incarnation `inc` is pending.
    bool heard_pending_at(std::uint32_t inc) const {
      return d && d->heard_pending && d->heard_inc == inc;
    }
    time_point hold_until() const { return d ? d->hold_until : time_point{}; }
    bool has_doubted_death() const { return d && d->doubted_death.has_value(); }
    /// Free the doubts once none is left: no suspicion, heard suspicion, doubted death or
    /// recent port check.
    void settle() {
      if (d && !d->susp && !d->heard_pending && !d->doubted_death && !d->port_check_at) d.reset();
    }
  };

  /// What an outstanding ack sequence number is for.
  struct ack_handler {
    enum class kind : std::uint8_t { probe, relay, addr_check, leave, watch } k = kind::probe;
    time_point deadline;
    // relay (we are the intermediary of an indirect ping)
    address requester;
    std::uint32_t requester_seq = 0;
    bool want_nack = false;
    std::string member;  // watch: the successor pinged (found by name, not by a table walk)
  };

  /// memberlist probeNode(), as phases.
  struct probe_state {
    bool active = false;
    bool indirect = false;        // probe_timeout passed, indirect phase running
    std::string target;
    std::uint32_t seq = 0;
    time_point start, timeout_at, end_at;
    int expected_nacks = 0;
    int nacks = 0;
    bool tcp_ok = false;
  };

  enum class stream_kind : std::uint8_t { push_pull, push_pull_join, tcp_ping, user, port_check };
  struct pending_stream {
    stream_kind k;
    std::uint32_t seq = 0;  // tcp_ping
    address to;             // push_pull_join: the seed, for on_join_result
  };

  /// Where an accusation comes from: our own probe, timer or leave, or a message (gossip or
  /// push-pull) that anyone could have forged.
  enum class origin : std::uint8_t { ours, heard };

  enum class timer_kind : std::uint8_t { ack, suspicion, addr_check };
  struct timer {
    time_point at;
    std::uint64_t order;
    timer_kind k;
    std::uint32_t seq;  // ack
    std::string name;   // suspicion
    bool operator>(const timer& o) const {
      if (at != o.at) return at > o.at;
      return order > o.order;
    }
  };

  impl(config c, transport& t, delegate& d, std::uint64_t seed, time_point now)
      : cfg(std::move(c)), out(t), events(d), rng(seed), health(cfg.t.awareness_max_multiplier) {
    if (auto why = meta_error(cfg.meta)) throw std::invalid_argument("node meta: " + *why);
    if (cfg.name.empty()) throw std::invalid_argument("node name must not be empty");
    std::string key_problem;
    auto k = keyring::make(cfg.keys, &key_problem);
    if (!k) throw std::invalid_argument("gossip encryption: " + key_problem);
    ring = std::move(*k);
    // Random phases, like memberlist's staggered tickers, so members don't beat in step.
    next_probe_at = now + random_stagger(cfg.t.probe_interval);
    next_gossip_at = now + random_stagger(cfg.t.gossip_interval);
    next_push_pull_at = now + random_stagger(cfg.t.push_pull_interval);
    if (cfg.t.successor_watch > duration::zero())
      next_watch_at = now + random_stagger(cfg.t.successor_watch);
    seq_no = static_cast<std::uint32_t>(rng());  // unpredictable across restarts
    // memberlist setAlive: an alive about ourselves, processed as a bootstrap.
    alive_node(self_alive(next_incarnation(), cfg.meta), now, /*bootstrap=*/true);
  }

  // ---- state ----
  config cfg;
  transport& out;
  delegate& events;
  std::mt19937_64 rng;
  keyring ring;  // gossip keys, primary first; empty: plaintext
  awareness health;
  broadcast_queue queue;
  node_stats st;

  std::vector<std::unique_ptr<entry>> nodes;          // probe order
  // By name; each key views its entry's own m.name, which never changes.
  std::unordered_map<std::string_view, entry*> node_map;
  std::size_t probe_index = 0;
  static constexpr std::size_t announce_fanout = 64;  // direct sends of a death we declare
  std::uint32_t incarnation = 0;
  std::uint32_t seq_no = 0;
  std::uint64_t ltime = 1;  // Serf Lamport clock (member intents)
  std::deque<time_point> force_leaves;  // our recent force_leave intents (rate limit)

  time_point next_probe_at, next_gossip_at, next_push_pull_at, next_watch_at;

  /// After a join, a second anti-entropy push-pull once our table has stopped growing, if it
  /// grew after the early one. Gossip leaves a few pairs uninformed when many join at once
  /// (each update goes out retransmit_mult * log10(n) times to random members); the early
  /// exchange one to two probe intervals after the join comes while the burst's alives are
  /// still spreading, and the next periodic one is minutes away at a thousand members.
  /// Waiting for a quiet table puts the second one after the burst (docs/simulator.md,
  /// "Scale"). A join into a settled cluster adds nothing after the early exchange.
  bool repair_pending = false;
  time_point repair_not_before{}, repair_at_latest{};
  time_point last_new_member{};  // when a member we did not know was added
  /// How long the table must not have grown before the repair: a probe interval, at least
  /// 500 ms.
  duration repair_quiet() const { return std::max<duration>(cfg.t.probe_interval, milliseconds(500)); }
  time_point repair_due() const {
    return std::min(repair_at_latest, std::max(repair_not_before, last_new_member) + repair_quiet());
  }
  probe_state probe;
  bool probe_tick_pending = false;  // a grid tick passed during a long probe (Go ticker buffer)

  std::unordered_map<std::uint32_t, ack_handler> acks;
  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers;
  std::uint64_t timer_order = 0;

  std::unordered_map<stream_id, pending_stream> streams;
  stream_id next_stream = 1;

  bool leaving = false;
  bool leave_reported = false;  // on_leave_complete sent
  static constexpr std::size_t leave_acks_needed = 2;
  int leave_gossip_rounds = 0;  // gossip rounds since the leave began
  std::unordered_map<std::uint32_t, std::string> leave_pings;  // ping seq -> peer
  std::set<std::string> leave_acked;                            // peers that acknowledged
  bytes leave_dead, leave_intent;                               // what each round sends
  std::uint64_t leave_broadcast = 0;
  std::unordered_map<std::string, time_point> stale_answers;  // accuser -> last direct answer

  /// A reaped dead or left member, remembered for tombstone_time so that a stale alive at its
  /// old address and incarnation (from a member that missed the death) cannot bring it back.
  struct tombstone {
    std::uint32_t incarnation = 0;
    address addr;
    time_point until;
    time_point answered;  // last dead sent back to a stale claim
  };
  std::unordered_map<std::string, tombstone> tombstones;
  static constexpr std::size_t max_tombstones = 4096;
  duration tombstone_time() const {
    return std::max(10 * cfg.t.gossip_to_the_dead_time, 3 * push_pull_period());
  }

  /// Bytes of the last full-state frame we sent (push-pull request or reply), sealed.
  std::size_t state_frame_bytes = 0;
  /// The time between our periodic push-pulls: memberlist's interval scaled by log2 n, or
  /// longer when our full state, sent about twice per period (once as the initiator, once
  /// as the peer of someone else's), would exceed timing::push_pull_budget bytes per second.
  /// With the period growing as the state does, anti-entropy costs each member the same
  /// bytes and merge work per second at any N.
  duration push_pull_period() const {
    duration d = push_pull_scale(cfg.t.push_pull_interval, nodes.size());
    if (cfg.t.push_pull_budget > 0 && state_frame_bytes > 0) {
      const auto need = std::chrono::microseconds(
          static_cast<std::int64_t>(2'000'000.0 * static_cast<double>(state_frame_bytes) /
                                    static_cast<double>(cfg.t.push_pull_budget)));
      d = std::max(d, std::chrono::duration_cast<duration>(need));
    }
    return d;
  }
  /// A full-state frame as sent, its size noted for push_pull_period().
  bytes state_frame(bool join) {
    bytes f = stream_frame(wire::encode(local_state(join)));
    state_frame_bytes = f.size();
    return f;
  }

  /// A suspicion taken from someone else, to verify with our own probe.
  struct pending_verify {
    std::string name;
    time_point since;  // the suspicion's state_change, to skip it once it changed
    time_point due;
    bool any_live = false;  // probe it while it is live (a missed watch ping, an ignored death)
  };
  time_point last_watch_probe{};  // the last probe a missed watch ping asked for
  std::deque<pending_verify> verify;  // in due order: one interval after each suspicion

  /// An alive that would move a known member to another address, held until the old address
  /// has had a probe interval to answer a ping naming the member.
  struct addr_check {
    alive claim;       // the highest-incarnation claim heard meanwhile
    address old_addr;
    time_point until;
    bool repinged = false;
  };
  std::unordered_map<std::string, addr_check> addr_checks;
  std::unordered_map<std::uint32_t, std::string> addr_check_pings;  // ping seq -> member
  static constexpr std::size_t max_addr_checks = 256;
  static constexpr std::size_t max_pending_verifications = 1024;
  bool join_intent_sent = false;

  // ---- small helpers ----

  /// True once the leave has been fully gossiped or nobody is left to tell.
  /// True once enough peers acknowledged our leave (leave_acks_needed) or nobody is left to
  /// tell; the gossiped copy keeps spreading after that.
  bool leave_complete() const {
    if (!leaving) return false;
    const std::size_t live_peers = static_cast<std::size_t>(
        std::count_if(nodes.begin(), nodes.end(), [&](const auto& e) {
          return e->m.name != cfg.name && !is_dead_or_left(e->m.state);
        }));
    if (live_peers == 0) return true;
    // Acknowledged peers stay alive in our table, so they are among live_peers. Acknowledged,
    // we also give gossip retransmit_mult rounds (or until the leave's transmits are spent) to
    // carry it beyond the peers we told: the process exits once this is true.
    return leave_acked.size() >= std::min(leave_acks_needed, live_peers) &&
           (leave_gossip_rounds >= cfg.t.retransmit_mult || !queue.pending(leave_broadcast));
  }

  /// Acknowledged leave: send the leave (Serf intent and dead{self}) straight to a few live
  /// peers, each with a ping whose ack acknowledges it; the ones that do not answer within a
  /// probe interval are asked again or replaced (ack_expired). A late ack still counts.
  std::size_t leave_asks_in_flight() const {
    return static_cast<std::size_t>(
        std::count_if(leave_pings.begin(), leave_pings.end(),
                      [&](const auto& kv) { return acks.count(kv.first) != 0; }));
  }

  void send_leave_round(time_point now) {
    const std::size_t in_flight = leave_asks_in_flight();
    if (in_flight >= leave_acks_needed + 1) return;  // enough in flight
    // Every candidate, then a random few: random picks alone (kRandomNodes) can miss the only
    // peer of a two-member cluster, and a round that asks nobody arms no retry. Alive peers
    // first; suspect ones (live, and maybe only slow) when no alive peer is left to ask.
    std::vector<entry*> alive_peers, suspect_peers;
    for (const auto& e : nodes) {
      if (e->m.name == cfg.name || leave_acked.count(e->m.name) != 0) continue;
      if (std::any_of(leave_pings.begin(), leave_pings.end(), [&](const auto& kv) {
            return kv.second == e->m.name && acks.count(kv.first) != 0;
          }))
        continue;
      if (e->m.state == member_state::alive) alive_peers.push_back(e.get());
      if (e->m.state == member_state::suspect) suspect_peers.push_back(e.get());
    }
    std::vector<entry*>& peers = alive_peers.empty() ? suspect_peers : alive_peers;
    for (std::size_t i = peers.size(); i > 1; --i) std::swap(peers[i - 1], peers[random_offset(i)]);
    if (peers.size() > leave_acks_needed + 1 - in_flight)
      peers.resize(leave_acks_needed + 1 - in_flight);
    for (entry* peer : peers) {
      ping p = make_ping(peer->m.name, next_seq());
      const time_point deadline = now + cfg.t.probe_interval;
      acks[p.seq_no] = ack_handler{ack_handler::kind::leave, deadline, {}, 0, false, {}};
      add_timer(deadline, timer_kind::ack, p.seq_no, {});
      leave_pings[p.seq_no] = peer->m.name;
      // The Serf leave intent first, as the gossip sends it, so Serf shows "left", not "failed".
      std::vector<bytes> parts{wire::encode(p)};
      if (!leave_intent.empty()) parts.push_back(leave_intent);
      parts.push_back(leave_dead);
      raw_send_packet(peer->m.addr, peer, wire::make_compound(parts));
    }
  }

  /// Report the end of a leave once. Called at the end of every entry point that can spend
  /// the leave's transmits (gossip, piggybacking) or remove the last peer.
  void check_leave_complete() {
    if (leave_reported || !leave_complete()) return;
    leave_reported = true;
    events.on_leave_complete();
  }

  duration random_stagger(duration d) {
    if (d.count() <= 0) return duration::zero();
    return duration(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(d.count())));
  }
  std::size_t random_offset(std::size_t n) { return n == 0 ? 0 : rng() % n; }
  std::uint32_t next_seq() { return ++seq_no; }
  /// Our next incarnation. It saturates at the top of the range instead of wrapping to 0,
  /// which every peer would take as older than what it holds.
  std::uint32_t next_incarnation() {
    if (incarnation == max_incarnation) {
      st.incarnation_saturated++;
      return incarnation;
    }
    return ++incarnation;
  }

  entry* self_entry() { return node_map.at(cfg.name); }

  /// Members other than us, the recently dead and left included: only the odds of checking a
  /// heard suspicion use it (a count of the live ones would cost O(n) per suspicion).
  std::size_t num_others() const { return nodes.empty() ? 0 : nodes.size() - 1; }

  entry* lookup(std::string_view name) {
    auto it = node_map.find(name);
    return it == node_map.end() ? nullptr : it->second;
  }

  /// The next member after us by name, wrapping around, that is alive or suspect. The answer
  /// is cached: it stays right while the member stays live and nobody becomes live (alive or
  /// suspect from dead, left or unknown), which clears the cache, so the O(N) walk runs only
  /// after a join instead of at every watch ping (steady-state CPU per member flat in N).
  std::string successor_cache;
  bool successor_cached = false;
  entry* ring_successor() {
    if (successor_cached) {
      if (entry* s = lookup(successor_cache); s != nullptr && !is_dead_or_left(s->m.state)) return s;
    }
    entry* next = nullptr;   // smallest name above ours
    entry* first = nullptr;  // smallest name overall (wrap-around)
    for (auto& e : nodes) {
      if (e->m.name == cfg.name || is_dead_or_left(e->m.state)) continue;
      if (e->m.name > cfg.name && (next == nullptr || e->m.name < next->m.name)) next = e.get();
      if (first == nullptr || e->m.name < first->m.name) first = e.get();
    }
    entry* found = next != nullptr ? next : first;
    successor_cached = found != nullptr;
    if (found != nullptr) successor_cache = found->m.name;
    return found;
  }

  /// The member at `a` that is alive or suspect (a dead one may share a re-used address).
  entry* lookup_by_address(const address& a) {
    for (auto& e : nodes)
      if (e->m.addr == a && !is_dead_or_left(e->m.state)) return e.get();
    return nullptr;
  }

  void add_timer(time_point at, timer_kind k, std::uint32_t seq, std::string name) {
    timers.push(timer{at, timer_order++, k, seq, std::move(name)});
  }
  /// The handler an ack timer (seq, at) still stands for; acks.end() once its ack came or the
  /// sequence number waits with another deadline.
  std::unordered_map<std::uint32_t, ack_handler>::iterator waiting_ack(std::uint32_t seq,
                                                                       time_point at) {
    auto it = acks.find(seq);
    return it != acks.end() && it->second.deadline == at ? it : acks.end();
  }
  /// Drop ack timers at the top of the heap whose ack came (ack_expired would ignore them),
  /// so next_deadline() does not wake us for nothing.
  void drop_answered_timers() {
    while (!timers.empty() && timers.top().k == timer_kind::ack &&
           waiting_ack(timers.top().seq, timers.top().at) == acks.end())
      timers.pop();
  }

  void drop(wire::error e) { st.drops[static_cast<std::size_t>(e)]++; }

  // ---- encryption (docs/wire.md §5.5, §6.1) ----

  /// We encrypt what we send: a keyring, and verify_outgoing.
  bool encrypt_out() const { return !ring.empty() && cfg.verify_outgoing; }
  /// Room a datagram must leave for encryption: memberlist reserves it whenever a keyring exists.
  std::size_t encryption_reserve() const { return ring.empty() ? 0 : encryption::overhead; }

  /// The last layer of a stream frame we send.
  bytes seal_frame(bytes frame) const {
    return encrypt_out() ? encryption::seal_stream(ring, frame, encryption::random_nonce()) : frame;
  }

  bytes self_addr_bytes() const {
    auto v = cfg.advertise.ip_bytes();
    return bytes(v.begin(), v.end());
  }

  void emit(const member& m, member_event ev) { events.on_member_event(m, ev); }

  // ---- sending ----

  /// Final step for a datagram: compress when it helps, CRC for members that verify it.
  void raw_send_packet(const address& to, const entry* dest, bytes msg) {
    if (cfg.enable_compression && msg.size() >= compress_min_bytes) {
      bytes c = wire::compress(msg);
      if (c.size() < msg.size()) msg = std::move(c);
    }
    if (dest != nullptr && dest->m.pmax() >= 5) msg = wire::add_crc(msg);
    if (encrypt_out()) msg = encryption::seal_packet(ring, msg, encryption::random_nonce());
    st.packets_out++;
    st.bytes_out += msg.size();
    out.send_packet(to, std::move(msg));
  }

  /// memberlist sendMsg: piggyback queued broadcasts on `msg` when they fit.
  void send_msg(const address& to, const entry* dest, bytes msg) {
    std::size_t budget = cfg.udp_buffer_size - encryption_reserve();
    std::size_t used = msg.size() + compound_header_overhead;
    std::vector<bytes> extra;
    if (budget > used)
      extra = queue.take(compound_overhead, budget - used, transmit_limit(),
                         max_compound_parts - 1);
    if (extra.empty()) {
      raw_send_packet(to, dest, std::move(msg));
      return;
    }
    extra.insert(extra.begin(), std::move(msg));
    raw_send_packet(to, dest, wire::make_compound(extra));
  }

  int transmit_limit() const { return retransmit_limit(cfg.t.retransmit_mult, nodes.size()); }

  void broadcast(const std::string& key, bytes msg) {
    st.broadcasts_queued++;
    // User messages (Serf events and intents) have their own share of each packet.
    const bool user = !msg.empty() && msg[0] == static_cast<std::uint8_t>(message_type::user);
    queue.push(user ? broadcast_class::user : broadcast_class::membership, key, std::move(msg));
  }

  address addr_from(const bytes& ip, std::uint16_t port) const {
    auto a = address::from_ip_bytes(ip, port == 0 ? cfg.advertise.port : port);
    return a ? *a : address{};
  }

  /// An alive about ourselves at incarnation `inc` (our address, our Vsn).
  alive self_alive(std::uint32_t inc, bytes meta) const {
    return alive{inc, cfg.name, self_addr_bytes(), cfg.advertise.port, std::move(meta),
                 default_vsn()};
  }

  ping make_ping(const std::string& target, std::uint32_t seq) {
    ping p;
    p.seq_no = seq;
    p.node = target;
    p.source_addr = self_addr_bytes();
    p.source_port = cfg.advertise.port;
    p.source_node = cfg.name;
    return p;
  }

  // ---- probing (memberlist state.go probe / probeNode) ----

  void probe_tick(time_point now) {
    if (probe.active) {
      // Go's ticker buffers one tick while probeNode runs; the next probe starts right after.
      probe_tick_pending = true;
      return;
    }
    start_probe(now);
  }

  void start_probe(time_point now) {
    // A suspicion learned from others is verified first, once, by probing the suspect
    // ourselves (the ping carries the suspicion): a live suspect answers with its alive even
    // if gossip never brought us its refutation, and a dead one earns our confirmation.
    while (!verify.empty() && verify.front().due <= now) {
      pending_verify v = std::move(verify.front());
      verify.pop_front();
      entry* e = lookup(v.name);
      if (e != nullptr && ((v.any_live && !is_dead_or_left(e->m.state)) ||
                           (e->m.state == member_state::suspect && e->m.state_change == v.since) ||
                           (e->m.state == member_state::alive &&
                            e->heard_pending_at(e->m.incarnation) &&
                            e->d->heard_since == v.since))) {
        st.suspicions_verified++;
        probe_node(*e, now);
        return;
      }
    }
    std::size_t checks = 0;
    while (true) {
      if (checks >= nodes.size()) return;  // nobody to probe
      if (probe_index >= nodes.size()) {
        reset_nodes(now);
        probe_index = 0;
        checks++;
        continue;
      }
      entry* e = nodes[probe_index].get();
      probe_index++;
      if (e->m.name == cfg.name || is_dead_or_left(e->m.state)) {
        checks++;
        continue;
      }
      probe_node(*e, now);
      return;
    }
  }

  /// memberlist resetNodes: reap long-dead members, reshuffle the probe order.
  void reset_nodes(time_point now) {
    auto reap = [&](const std::unique_ptr<entry>& e) {
      return e->m.name != cfg.name && is_dead_or_left(e->m.state) &&
             now - e->m.state_change > cfg.t.gossip_to_the_dead_time;
    };
    for (auto it = tombstones.begin(); it != tombstones.end();)
      it = now >= it->second.until ? tombstones.erase(it) : std::next(it);
    std::vector<std::unique_ptr<entry>> keep;
    keep.reserve(nodes.size());
    for (auto& e : nodes) {
      if (reap(e)) {
        if (tombstones.size() < max_tombstones)
          tombstones[e->m.name] = tombstone{e->m.incarnation, e->m.addr, now + tombstone_time(), {}};
        node_map.erase(e->m.name);
        emit(e->m, member_event::reaped);
      } else {
        keep.push_back(std::move(e));
      }
    }
    nodes = std::move(keep);
    std::shuffle(nodes.begin(), nodes.end(), rng);
  }

  /// The successor watch: one ping to our ring successor (carrying its suspicion, as probes
  /// do), unless our probe is on it right now (or started this tick). An ack is first-hand
  /// evidence that it lives; a missing one gets it probed (ack_expired); a port unreachable
  /// for it reaches on_unreachable.
  void watch_successor(time_point now) {
    entry* succ = ring_successor();
    if (succ == nullptr || (probe.active && probe.target == succ->m.name)) return;
    st.successor_watches++;
    ping p = make_ping(succ->m.name, next_seq());
    const time_point deadline = now + cfg.t.probe_timeout;
    acks[p.seq_no] =
        ack_handler{ack_handler::kind::watch, deadline, succ->m.addr, 0, false, succ->m.name};
    add_timer(deadline, timer_kind::ack, p.seq_no, {});
    if (succ->m.state == member_state::alive) {
      send_msg(succ->m.addr, succ, wire::encode(p));
    } else {
      suspect s{succ->m.incarnation, succ->m.name, cfg.name};
      raw_send_packet(succ->m.addr, succ, wire::make_compound({wire::encode(p), wire::encode(s)}));
    }
  }

  void probe_node(entry& target, time_point now) {
    st.probes++;
    duration interval = health.scale(cfg.t.probe_interval);
    ping p = make_ping(target.m.name, next_seq());
    probe = probe_state{};
    probe.active = true;
    probe.target = target.m.name;
    probe.seq = p.seq_no;
    probe.start = now;
    probe.timeout_at = now + cfg.t.probe_timeout;
    probe.end_at = now + interval;
    acks[p.seq_no] = ack_handler{ack_handler::kind::probe, probe.end_at, {}, 0, false, {}};
    add_timer(probe.end_at, timer_kind::ack, p.seq_no, {});

    if (target.m.state == member_state::alive) {
      send_msg(target.m.addr, &target, wire::encode(p));
    } else {
      // Buddy system: the suspicion rides along so the target can refute at once.
      suspect s{target.m.incarnation, target.m.name, cfg.name};
      raw_send_packet(target.m.addr, &target,
                      wire::make_compound({wire::encode(p), wire::encode(s)}));
    }
  }

  void probe_timeout(time_point now) {
    entry* target = lookup(probe.target);
    probe.indirect = true;
    if (target == nullptr) return;  // reaped meanwhile; the handler expiry ends the probe
    // Indirect pings through random alive members.
    auto peers = k_random_nodes(static_cast<std::size_t>(cfg.t.indirect_checks), [&](const entry& e) {
      return e.m.name == cfg.name || e.m.name == target->m.name ||
             e.m.state != member_state::alive;
    });
    indirect_ping_req ind;
    ind.seq_no = probe.seq;
    ind.target = bytes(target->m.addr.ip_bytes().begin(), target->m.addr.ip_bytes().end());
    ind.port = target->m.addr.port;
    ind.node = target->m.name;
    ind.source_addr = self_addr_bytes();
    ind.source_port = cfg.advertise.port;
    ind.source_node = cfg.name;
    for (entry* peer : peers) {
      ind.nack = peer->m.pmax() >= 4;
      if (ind.nack) probe.expected_nacks++;
      st.indirect_probes++;
      send_msg(peer->m.addr, peer, wire::encode(ind));
    }
    // TCP fallback: the same ping over a stream, until the end of this probe.
    if (!cfg.t.disable_tcp_pings && target->m.pmax() >= 3) {
      ping p = make_ping(target->m.name, probe.seq);  // same SeqNo as the UDP probe
      stream_id id = next_stream++;
      streams[id] = pending_stream{stream_kind::tcp_ping, probe.seq, target->m.addr};
      st.tcp_fallback_pings++;
      st.streams_out++;
      out.send_stream(id, target->m.addr, seal_frame(wire::encode(p)), true, probe.end_at);
    }
    (void)now;
  }

  /// The probe ends: success (any ack, or TCP) or failure (suspect the target).
  void finish_probe(bool acked, time_point now) {
    if (!probe.active) return;
    probe_state done = probe;
    probe = probe_state{};
    acks.erase(done.seq);
    if (acked || done.tcp_ok) {
      health.apply_delta(-1);
      if (entry* t = lookup(done.target)) {
        t->last_ack = now;
        t->failures_in_row = 0;
      }
    } else {
      int delta = 0;
      if (done.expected_nacks > 0) {
        if (done.nacks < done.expected_nacks) delta += done.expected_nacks - done.nacks;
      } else {
        delta += 1;
      }
      health.apply_delta(delta);
      st.probe_failures++;
      if (entry* t = lookup(done.target)) {
        t->last_failure = now;
        t->failures_in_row++;
        if (t->m.state == member_state::suspect && t->failures_in_row < evidence_needed(*t, now) &&
            verify.size() < max_pending_verifications)
          verify.push_front({t->m.name, t->m.state_change, now});  // again at the next tick
        if (discounted(t->m.name, now) && t->m.name != cfg.name) {
          // A member whose accusations we discount, and that now fails our own probe: the
          // sick one of a grey failure. Remove it now; its refutations would outrun any
          // suspicion, and flap damping keeps it out of subscribers' lists while it flaps.
          st.deaths_of_discounted++;
          dead_node(dead{t->m.incarnation, t->m.name, cfg.name}, now, origin::ours);
        } else if (health.score() >= cfg.t.awareness_max_multiplier - 1 &&
                   !(t->heard_pending_at(t->m.incarnation) && !t->d->heard_accusers.empty()) &&
                   !t->has_doubted_death()) {
          // Our own health is at its worst (probes fail and the relays' nacks do not reach
          // us): we are the likely problem, so we do not accuse on our own (Lifeguard's local
          // health, taken one step further). Others accusing it, or holding it dead, and our
          // probe failing too is another matter.
          st.suspicions_withheld++;
        } else {
          suspect s{t->m.incarnation, t->m.name, cfg.name};
          st.suspicions_raised++;
          suspect_node(s, now, origin::ours);
        }
      }
    }
    if (probe_tick_pending) {
      probe_tick_pending = false;
      start_probe(now);
    }
  }

  /// Up to k distinct members that pass the filter, chosen uniformly; every one of them when
  /// there are at most k (k_random_nodes' bounded random picks miss a few at k near n).
  template <class Filter>
  std::vector<entry*> sample_nodes(std::size_t k, Filter skip) {
    std::vector<entry*> all;
    for (auto& e : nodes)
      if (!skip(*e)) all.push_back(e.get());
    if (all.size() > k) {
      for (std::size_t i = 0; i < k; ++i) std::swap(all[i], all[i + random_offset(all.size() - i)]);
      all.resize(k);
    }
    return all;
  }

  template <class Filter>
  std::vector<entry*> k_random_nodes(std::size_t k, Filter skip) {
    // memberlist kRandomNodes: up to 3n random picks, skipping filtered and duplicate members.
    std::vector<entry*> picked;
    std::size_t n = nodes.size();
    for (std::size_t i = 0; i < 3 * n && picked.size() < k; ++i) {
      entry* e = nodes[random_offset(n)].get();
      if (skip(*e)) continue;
      if (std::find(picked.begin(), picked.end(), e) != picked.end()) continue;
      picked.push_back(e);
    }
    return picked;
  }

  // ---- gossip and push-pull ----

  void gossip(time_point now) {
    if (leaving) ++leave_gossip_rounds;
    auto targets = k_random_nodes(static_cast<std::size_t>(cfg.t.gossip_nodes), [&](const entry& e) {
      if (e.m.name == cfg.name) return true;
      switch (e.m.state) {
        case member_state::alive:
        case member_state::suspect: return false;
        case member_state::dead: return now - e.m.state_change > cfg.t.gossip_to_the_dead_time;
        default: return true;
      }
    });
    std::size_t avail = cfg.udp_buffer_size - compound_header_overhead - encryption_reserve();
    for (entry* e : targets) {
      auto msgs = queue.take(compound_overhead, avail, transmit_limit(), max_compound_parts);
      if (msgs.empty()) return;
      if (msgs.size() == 1)
        raw_send_packet(e->m.addr, e, std::move(msgs.front()));
      else
        raw_send_packet(e->m.addr, e, wire::make_compound(msgs));
    }
  }

  void periodic_push_pull(time_point now) {
    auto peers = k_random_nodes(1, [&](const entry& e) {
      return e.m.name == cfg.name || e.m.state != member_state::alive;
    });
    if (peers.empty()) return;
    start_push_pull(peers.front()->m.addr, false, now);
  }

  push_pull local_state(bool join) const {
    push_pull pp;
    pp.join = join;
    pp.states.reserve(nodes.size());
    for (const auto& e : nodes) {
      push_node_state s;
      s.name = e->m.name;
      s.addr = bytes(e->m.addr.ip_bytes().begin(), e->m.addr.ip_bytes().end());
      s.port = e->m.addr.port;
      s.meta = e->m.meta;
      s.incarnation = e->m.incarnation;
      s.state = e->m.state;
      s.vsn = vsn_bytes(e->m.vsn);
      pp.states.push_back(std::move(s));
    }
    return pp;
  }

  /// A stream frame as sent: compressed when enabled (memberlist compresses streams even when
  /// that makes them longer), then encrypted.
  bytes stream_frame(bytes frame) const {
    return seal_frame(cfg.enable_compression ? wire::compress(frame) : std::move(frame));
  }

  void start_push_pull(const address& to, bool join, time_point now) {
    stream_id id = next_stream++;
    streams[id] = pending_stream{join ? stream_kind::push_pull_join : stream_kind::push_pull, 0, to};
    st.streams_out++;
    out.send_stream(id, to, state_frame(join), true, now + cfg.t.tcp_timeout);
  }

  /// memberlist verifyProtocol: every version in range of every live member's min/max.
  bool verify_protocol(const std::vector<push_node_state>& remote) const {
    std::uint8_t max_pmin = 0, min_pmax = 255, max_dmin = 0, min_dmax = 255;
    auto widen = [&](const std::uint8_t* v) {
      max_pmin = std::max(max_pmin, v[0]);
      min_pmax = std::min(min_pmax, v[1]);
      max_dmin = std::max(max_dmin, v[3]);
      min_dmax = std::min(min_dmax, v[4]);
    };
    for (const auto& r : remote) {
      if (r.vsn.size() != 6) {
        if (!r.vsn.empty()) return false;  // a short Vsn: reject, never index past it
        continue;
      }
      if (r.state == member_state::alive) widen(r.vsn.data());
    }
    for (const auto& e : nodes)
      if (e->m.state == member_state::alive) widen(e->m.vsn.data());
    auto in_range = [&](std::uint8_t pcur, std::uint8_t dcur) {
      return pcur >= max_pmin && pcur <= min_pmax && dcur >= max_dmin && dcur <= min_dmax;
    };
    for (const auto& r : remote) {
      if (r.vsn.size() != 6) return false;  // an empty Vsn counts as version 0: incompatible
      if (!in_range(r.vsn[2], r.vsn[5])) return false;
    }
    for (const auto& e : nodes)
      if (!in_range(e->m.vsn[2], e->m.vsn[5])) return false;
    return true;
  }

  /// memberlist mergeState: remote alive → alive, left → dead from itself, dead/suspect →
  /// suspect from us (a remote death is only a suspicion here).
  bool merge_remote(const push_pull& pp, time_point now) {
    if (!verify_protocol(pp.states)) {
      st.push_pull_failures++;
      return false;
    }
    std::size_t added = 0;  // new members this push-pull brought (max_push_pull_new_members)
    for (const auto& r : pp.states) {
      switch (r.state) {
        case member_state::alive: {
          // Known members always merge; new ones only up to the push-pull's share, so one
          // exchange (forged or not) cannot flood the table. The rest come by gossip or later.
          const bool known = lookup(r.name) != nullptr;
          if (!known && added >= cfg.max_push_pull_new_members) {
            st.push_pull_new_members_refused++;
            break;
          }
          alive a{r.incarnation, r.name, r.addr, r.port, r.meta, r.vsn};
          alive_node(a, now, false);
          if (!known && lookup(r.name) != nullptr) added++;
          break;
        }
        case member_state::left:
          dead_node(dead{r.incarnation, r.name, r.name}, now, origin::heard);
          break;
        case member_state::dead:
        case member_state::suspect:
          // In our name, yet second-hand: it confirms nothing and is no evidence of our own.
          suspect_node(suspect{r.incarnation, r.name, cfg.name}, now, origin::heard);
          if (r.state == member_state::dead) {
            // A death the peer holds: taken once our own probe of the member fails too.
            entry* e = lookup(r.name);
            if (e != nullptr && e->heard_pending_at(r.incarnation) &&
                e->m.state == member_state::alive)
              e->d->doubted_death = dead{r.incarnation, r.name, cfg.name};
          }
          break;
      }
    }
    st.push_pulls++;
    if (!pp.user_state.empty()) events.on_remote_state(pp.user_state);
    return true;
  }

  // ---- state changes (memberlist state.go aliveNode / suspectNode / deadNode / refute) ----

  /// `old_addr_silent`: the alive comes from an address check whose ping went unanswered.
  void alive_node(const alive& a, time_point now, bool bootstrap, bool old_addr_silent = false) {
    if (leaving && a.node == cfg.name) return;
    if (a.vsn.size() >= 3 && (a.vsn[0] == 0 || a.vsn[1] == 0 || a.vsn[0] > a.vsn[1])) return;
    auto addr = address::from_ip_bytes(a.addr, a.port == 0 ? cfg.advertise.port : a.port);
    if (!addr) {
      drop(wire::error::bad_field);
      return;
    }

    entry* e = lookup(a.node);
    bool updates_node = false;
    bool is_new = false;
    if (e == nullptr) {
      if (a.incarnation == 0 && a.node != cfg.name) return;  // would leave a phantom entry
      if (auto t = tombstones.find(a.node); t != tombstones.end() && a.node != cfg.name) {
        if (now < t->second.until && t->second.addr == *addr && a.incarnation <= t->second.incarnation) {
          // A member we reaped, at its old address and incarnation: stale news from a member
          // that missed the death (memberlist#312). Only the member itself revives it, with a
          // higher incarnation: tell that address it is dead here (a restarted agent refutes).
          st.resurrections_refused++;
          if (now - t->second.answered >= cfg.t.probe_interval) {
            t->second.answered = now;
            send_msg(*addr, nullptr, wire::encode(dead{t->second.incarnation, a.node, cfg.name}));
          }
          return;
        }
        tombstones.erase(t);
      }
      if (nodes.size() >= cfg.max_members && a.node != cfg.name) {
        st.members_refused_table_full++;
        return;
      }
      auto fresh = std::make_unique<entry>();
      fresh->m.name = a.node;
      fresh->m.addr = *addr;
      fresh->m.meta = a.meta;
      fresh->m.state = member_state::dead;  // so the join below is reported as one
      fresh->m.state_change = now;
      if (a.vsn.size() >= 6) std::copy_n(a.vsn.begin(), 6, fresh->m.vsn.begin());
      e = fresh.get();
      node_map[std::string_view(e->m.name)] = e;
      // Insert at a random offset so the new member's first probe is not delayed a round.
      std::size_t n = nodes.size();
      std::size_t offset = random_offset(n + 1);
      nodes.push_back(std::move(fresh));
      std::swap(nodes[offset], nodes[n]);
      is_new = true;
      last_new_member = now;
    } else if (!(e->m.addr == *addr)) {
      bool can_reclaim = cfg.t.dead_node_reclaim_time > duration::zero() &&
                         now - e->m.state_change > cfg.t.dead_node_reclaim_time;
      if (e->m.state == member_state::left || (e->m.state == member_state::dead && can_reclaim)) {
        // A leave or a death is only a claim too: the name moves only if its old address
        // stays silent to a ping naming it (check_old_address); a member still there keeps it.
        if (!old_addr_silent) {
          check_old_address(*e, a, now);
          return;
        }
        updates_node = true;
      } else if (!old_addr_silent) {
        // A live (or recently dead) member claimed from another address: a re-created VM
        // (same name, new IP) or a forgery. Ask the old address, with the member's name: an
        // answer keeps the member where it is and counts a conflict (old_address_answered);
        // one probe interval of silence moves the name, so a re-created VM replaces its old
        // self within seconds instead of after the old entry is reaped.
        check_old_address(*e, a, now);
        return;
      } else {
        updates_node = true;
      }
    }

    bool is_local = a.node == cfg.name;
    // Nothing out-bids an accusation at the top of the range, and there only our own probes
    // and timers accuse (suspect_node, dead_node): an alive at the top clears them.
    bool clears_at_top = a.incarnation == max_incarnation && e->m.incarnation == max_incarnation &&
                         (e->m.state == member_state::suspect || e->m.state == member_state::dead);
    if (a.incarnation <= e->m.incarnation && !is_local && !updates_node && !is_new &&
        !clears_at_top)
      return;
    if (a.incarnation < e->m.incarnation && is_local) return;

    if (e->susp() != nullptr && e->m.state == member_state::suspect && !is_local)
      note_wrong_accusers(*e->susp(), now);  // it was alive after all
    if (e->d) e->d->susp.reset();
    member_state old_state = e->m.state;
    bytes old_meta = e->m.meta;
    address old_addr = e->m.addr;

    if (!bootstrap && is_local) {
      bytes versions = vsn_bytes(e->m.vsn);
      if (a.incarnation == e->m.incarnation && a.meta == e->m.meta && a.vsn == versions) return;
      refute(*e, a.incarnation);
      return;  // our own state is not changed by someone else's alive about us
    }
    broadcast(a.node, wire::encode(a));
    if (a.vsn.size() >= 6) std::copy_n(a.vsn.begin(), 6, e->m.vsn.begin());
    e->m.incarnation = a.incarnation;
    e->m.meta = a.meta;
    e->m.addr = *addr;
    if (e->d) {
      // A suspicion heard at an older incarnation is refuted by this one: nothing reads it.
      if (e->d->heard_pending && e->d->heard_inc < a.incarnation) e->d->heard_pending = false;
      e->settle();
    }
    if (e->m.state != member_state::alive) {
      if (e->m.state != member_state::suspect) successor_cached = false;  // a new live member
      e->m.state = member_state::alive;
      e->m.state_change = now;
    }
    if (is_local) return;  // no events about ourselves
    if (old_state == member_state::dead || old_state == member_state::left)
      emit(e->m, member_event::join);
    else if (old_state == member_state::suspect) {
      note_suspicion_outcome(*e, /*was_false=*/true);
      emit(e->m, member_event::refuted);
    }
    else if (old_meta != e->m.meta || !(old_addr == e->m.addr))
      emit(e->m, member_event::update);
  }

  void report_conflict(const entry& e, const address& addr, const bytes& meta) {
    st.conflicts++;
    member other = e.m;
    other.addr = addr;
    other.meta = meta;
    events.on_conflict(e.m, other);
  }

  // ---- address checks: a known name moves only when its old address is silent ----

  /// Hold `a` (a known, left or reclaimable member at a new address) and ping the old
  /// address with the member's name: now, again after probe_timeout, and decide one
  /// probe_interval from now (old_address_answered, addr_check_due).
  void check_old_address(const entry& e, const alive& a, time_point now) {
    if (auto it = addr_checks.find(a.node); it != addr_checks.end()) {
      if (a.incarnation > it->second.claim.incarnation) it->second.claim = a;
      return;
    }
    if (addr_checks.size() >= max_addr_checks) return;  // later gossip or push-pull retries
    addr_check& c = addr_checks[a.node];
    c.claim = a;
    c.old_addr = e.m.addr;
    c.until = now + cfg.t.probe_interval;
    st.address_checks++;
    ping_old_address(a.node, c, now);
    if (cfg.t.probe_timeout < cfg.t.probe_interval)
      add_timer(now + cfg.t.probe_timeout, timer_kind::addr_check, 0, a.node);
    add_timer(c.until, timer_kind::addr_check, 0, a.node);
  }

  void ping_old_address(const std::string& name, const addr_check& c, time_point now) {
    (void)now;
    ping p = make_ping(name, next_seq());
    ack_handler h;
    h.k = ack_handler::kind::addr_check;
    h.deadline = c.until;
    acks[p.seq_no] = h;
    addr_check_pings[p.seq_no] = name;
    add_timer(c.until, timer_kind::ack, p.seq_no, {});
    raw_send_packet(c.old_addr, lookup(name), wire::encode(p));
  }

  /// The old address answered a ping naming the member: it is still there, so the claim to
  /// another address is a conflict, and the member stays where it is.
  void old_address_answered(const std::string& name) {
    auto it = addr_checks.find(name);
    if (it == addr_checks.end()) return;
    addr_check c = std::move(it->second);
    addr_checks.erase(it);
    const entry* e = lookup(name);
    auto addr = address::from_ip_bytes(c.claim.addr,
                                       c.claim.port == 0 ? cfg.advertise.port : c.claim.port);
    if (e != nullptr && addr) report_conflict(*e, *addr, c.claim.meta);
  }

  void addr_check_due(const std::string& name, time_point now) {
    auto it = addr_checks.find(name);
    if (it == addr_checks.end()) return;  // answered already
    if (now < it->second.until) {
      if (!it->second.repinged) {
        it->second.repinged = true;
        ping_old_address(name, it->second, now);
      }
      return;
    }
    // Silent for a whole probe interval: the name may move (if it still may, see alive_node).
    alive claim = std::move(it->second.claim);
    addr_checks.erase(it);
    alive_node(claim, now, false, /*old_addr_silent=*/true);
  }

  /// Someone accuses us at an incarnation we already out-bid: it missed our refutation.
  /// Tell it directly (at most once per accuser per probe interval), since gossip has
  /// evidently not reached it and its suspicion timer would otherwise declare us dead.
  void answer_stale_accusation(const std::string& accuser, time_point now) {
    entry* to = lookup(accuser);
    if (to == nullptr || to->m.name == cfg.name || is_dead_or_left(to->m.state)) return;
    auto [it, fresh] = stale_answers.try_emplace(accuser, now);
    if (!fresh && now - it->second < cfg.t.probe_interval) return;
    it->second = now;
    if (stale_answers.size() > 4096) stale_answers.clear();  // bounded; only a rate limit
    entry* me = self_entry();
    st.stale_accusations_answered++;
    raw_send_packet(to->m.addr, to, wire::encode(self_alive(me->m.incarnation, me->m.meta)));
  }

  /// True when a heard accusation at the top of the range about another member must be
  /// ignored: no alive could ever out-bid it (refute saturates), so only first-hand evidence
  /// counts there. The accused itself still hears it, and refutes at the top.
  bool unanswerable(std::uint32_t incarnation, const entry& e, origin from) {
    if (from == origin::ours || incarnation != max_incarnation || e.m.name == cfg.name)
      return false;
    st.top_accusations_ignored++;
    return true;
  }

  /// Anyone can write any From: a heard suspect confirms a running suspicion only when it
  /// names a member we hold alive, other than the accused and ourselves (our own evidence
  /// comes first-hand, origin::ours; a push-pull's states are heard in our name).
  bool may_confirm(const suspect& s) {
    if (s.from == cfg.name || s.from == s.node) return false;
    const entry* c = lookup(s.from);
    return c != nullptr && c->m.state == member_state::alive;
  }

  /// A suspicion of a member we hold alive, heard from another member (gossip or push-pull):
  /// passed on, so that the accused hears it and refutes and the accusers' timers get their
  /// confirmations, but not taken. We suspect a member only when our own probe of it fails
  /// too, so one sick member (inbound loss, one-way reachability) cannot make healthy members
  /// suspect each other, and uniform loss raises a suspicion only where a probe failed. A few
  /// members (suspicion_mult of the cluster, at random) check it with a probe, enough for the
  /// Lifeguard confirmations that bring a dead member's timers down to their minimum; the
  /// others do not spend probes on it. Accusations from members we do not hold alive are
  /// ignored (a member we suspect is the likely problem; a forged From is nobody).
  void pass_on_heard_suspicion(entry& e, const suspect& s, time_point now) {
    if (s.from == cfg.name) {
      // A push-pull's state held it suspect or dead (merged in our name, as memberlist does):
      // news from a member that may have lost sight of it, e.g. across a healed partition.
      // The accused is told directly (it refutes, and its alive reaches those that hold it
      // dead), and we probe it ourselves; we suspect it only if that fails. Nothing is
      // gossiped in our name.
      if (e.heard_pending() && e.d->heard_inc >= s.incarnation) return;
      doubts& h = e.doubt();
      h.heard_pending = true;
      h.heard_inc = s.incarnation;
      h.heard_since = now;
      h.heard_accusers.clear();
      send_msg(e.m.addr, &e, wire::encode(s));
      if (verify.size() < max_pending_verifications) verify.push_back({s.node, now, now});
      return;
    }
    if (!may_confirm(s)) {
      st.accusations_ignored++;
      return;
    }
    if (e.heard_pending() && e.d->heard_inc >= s.incarnation) {
      // Heard already: pass on each new accuser up to the confirmations a timer can use.
      auto& accusers = e.d->heard_accusers;
      if (e.d->heard_inc != s.incarnation ||
          static_cast<int>(accusers.size()) > cfg.t.suspicion_mult - 2 ||
          std::find(accusers.begin(), accusers.end(), s.from) != accusers.end())
        return;
      accusers.push_back(s.from);
      broadcast(s.node, wire::encode(s));
      return;
    }
    doubts& h = e.doubt();
    h.heard_pending = true;
    h.heard_inc = s.incarnation;
    h.heard_since = now;
    h.heard_accusers.assign(1, s.from);
    st.suspicions_passed_on++;
    broadcast(s.node, wire::encode(s));
    emit(e.m, member_event::accused);
    const double checkers = static_cast<double>(cfg.t.suspicion_mult);
    const double others = static_cast<double>(std::max<std::size_t>(1, num_others()));
    if (std::uniform_real_distribution<double>(0, 1)(rng) < checkers / others &&
        verify.size() < max_pending_verifications)
      verify.push_back({s.node, now, now});
  }

  void suspect_node(const suspect& s, time_point now, origin from) {
    entry* e = lookup(s.node);
    if (e == nullptr) return;
    if (s.incarnation < e->m.incarnation) {
      if (e->m.name == cfg.name && !leaving) answer_stale_accusation(s.from, now);
      return;
    }
    if (unanswerable(s.incarnation, *e, from)) return;
    if (from == origin::heard && discounted(s.from, now)) {
      st.accusations_discounted++;
      return;
    }
    if (suspicion* running = e->susp()) {
      // Independent confirmations shorten the timer; only new ones are re-gossiped.
      if (from == origin::heard && !may_confirm(s)) {
        st.confirmations_ignored++;
        return;
      }
      if (running->confirm(s.from, now)) {
        broadcast(s.node, wire::encode(s));
        add_timer(running->deadline(), timer_kind::suspicion, 0, s.node);
      }
      return;
    }
    if (e->m.state != member_state::alive) return;
    if (e->m.name == cfg.name) {
      refute(*e, s.incarnation, s.from);
      return;
    }
    if (from == origin::heard) {
      pass_on_heard_suspicion(*e, s, now);
      return;
    }
    broadcast(s.node, wire::encode(s));
    e->m.incarnation = s.incarnation;
    if (is_dead_or_left(e->m.state)) successor_cached = false;  // live again (ring_successor)
    e->m.state = member_state::suspect;
    e->m.state_change = now;
    e->suspected_by_us = s.from == cfg.name;

    // k confirmations expected, none when the cluster is too small to give them.
    int k = cfg.t.suspicion_mult - 2;
    std::size_t n = nodes.size();
    if (static_cast<int>(n) - 2 < k) k = 0;
    duration min = suspicion_min_timeout(cfg.t.suspicion_mult, n, cfg.t.probe_interval);
    duration max = min * cfg.t.suspicion_max_timeout_mult;
    doubts& h = e->doubt();
    h.susp = std::make_unique<suspicion>(s.from, k, min, max, now);
    if (h.heard_pending && h.heard_inc == s.incarnation) {
      // Those we heard it from before our own probe failed confirm it now.
      for (const auto& who : h.heard_accusers) {
        const entry* c = lookup(who);
        if (who != s.from && c != nullptr && c->m.state == member_state::alive) h.susp->confirm(who, now);
      }
    }
    h.heard_pending = false;
    h.heard_accusers.clear();
    if (h.doubted_death && h.doubted_death->incarnation == e->m.incarnation) {
      // A death we doubted for its declarer, now that our own probe failed too.
      const dead d = *h.doubted_death;
      h.doubted_death.reset();
      emit(e->m, member_event::suspect);
      dead_node(d, now, origin::heard);
      return;
    }
    h.doubted_death.reset();
    add_timer(h.susp->deadline(), timer_kind::suspicion, 0, s.node);
    // Our own probe failed already when we raised it; either way we gather first-hand
    // evidence one interval in, and then at every probe tick until it answers or has failed
    // evidence_needed() times (hold_death), well before the minimum timeout.
    if (verify.size() < max_pending_verifications)
      verify.push_back({s.node, now, now + cfg.t.probe_interval});
    emit(e->m, member_event::suspect);
  }

  /// A death we declared on our own evidence goes straight to up to announce_fanout live
  /// (alive or suspect) members, besides being gossiped: infection-style gossip leaves a few members uninformed
  /// for a push-pull interval (at n = 50, 10 deaths at once miss one member in about half the
  /// runs), and each would keep the dead member in its peer list meanwhile.
  void announce_dead(const dead& d) {
    const bytes msg = wire::encode(d);
    auto targets = sample_nodes(announce_fanout, [&](const entry& x) {
      return x.m.name == cfg.name || x.m.name == d.node || is_dead_or_left(x.m.state);
    });
    for (entry* t : targets) send_msg(t->m.addr, t, msg);
  }

  void suspicion_expired(const std::string& name, time_point now) {
    entry* e = lookup(name);
    if (e == nullptr || e->susp() == nullptr || e->m.state != member_state::suspect) return;
    if (e->susp()->deadline() > now) return;  // moved; a newer timer entry exists
    if (e->hold_until() > now) return;        // held back; a newer timer entry exists
    if (hold_death(*e, now)) return;
    st.deaths_declared++;
    const dead d{e->m.incarnation, e->m.name, cfg.name};
    dead_node(d, now, origin::ours);
    announce_dead(d);
  }

  /// First-hand evidence before a death (a divergence from memberlist, docs/wire.md §7.6):
  /// a suspicion timer declares a member dead only when our own latest probe of it since
  /// the suspicion began failed. Under heavy loss the refutation misses some members; each
  /// of them would otherwise declare a live member dead on hearsay. When we have not probed
  /// it since, or it answered us, we hold the death back, probe it (the ping carries the
  /// suspicion, so a live member refutes to us at once) and look again one probe interval
  /// later. Held back at most until the suspicion's maximum timeout. Returns true when held.
  bool hold_death(entry& e, time_point now) {
    const time_point since = e.m.state_change;
    const duration limit = suspicion_max_for(nodes.size());
    const duration waited = now - since;
    // Our latest first-hand evidence is a failure, repeated as often as our recent record of
    // wrong suspicions asks (evidence_needed): the timer's verdict stands.
    const int needed = evidence_needed(e, now);
    if (needed <= 1) return false;  // our suspicions have been right: memberlist's rule
    const bool failing = e.last_failure >= since && e.last_failure > e.last_ack;
    if (failing && e.failures_in_row >= needed) return false;
    // Otherwise it answered us, or we have not probed it enough yet: likely a live member whose
    // refutation we missed (its refutation comes with the reply to our next probe, which
    // carries the suspicion), and if it really failed, members that saw it fail declare it
    // and we follow their gossip. Give up waiting only at three times the maximum.
    if (waited >= 3 * limit) return false;
    st.deaths_held++;
    const time_point until =
        std::min(now + health.scale(cfg.t.probe_interval) + cfg.t.probe_timeout, since + 3 * limit);
    e.doubt().hold_until = until;
    add_timer(until, timer_kind::suspicion, 0, e.m.name);
    if (verify.size() < max_pending_verifications) verify.push_front({e.m.name, since, now});
    return true;
  }

  // ---- accusers that accuse wrongly (a divergence, docs/wire.md §7.6) ----
  // A member with a sick NIC or a starved CPU (inbound loss, one-way reachability) fails its
  // probes of healthy members and accuses them one after another. Per member we count, over
  // the last accuser_window, the accusations it made that proved wrong (the accused
  // refuted). A member singled out (at least 3, and at least 4 times the cluster's average
  // per member: under uniform loss everyone is wrong about as often, so nobody is singled
  // out) is taken as sick: its accusations are discounted, and one failed probe of ours
  // removes it.
  static constexpr std::size_t max_tracked_accusers = 4096;

  /// Timestamps per member name within a sliding window, and their total.
  struct window_counts {
    std::unordered_map<std::string, std::deque<time_point>> by_name;
    std::size_t total = 0;
    time_point last_full_prune{};

    void prune(std::deque<time_point>& q, time_point now, duration window) {
      while (!q.empty() && now - q.front() > window) {
        q.pop_front();
        --total;
      }
    }
    void add(const std::string& who, time_point now, duration window) {
      auto it = by_name.find(who);
      if (it == by_name.end()) {
        if (by_name.size() >= max_tracked_accusers) return;
        it = by_name.emplace(who, std::deque<time_point>{}).first;
      }
      prune(it->second, now, window);
      it->second.push_back(now);
      ++total;
    }
    /// At least 3 in the window, and at least 4 times the average over `members`.
    bool singled_out(const std::string& who, time_point now, duration window, std::size_t members) {
      if (now - last_full_prune > window / 4) {  // keep the average honest
        last_full_prune = now;
        for (auto& [name, q] : by_name) prune(q, now, window);
      }
      auto it = by_name.find(who);
      if (it == by_name.end()) return false;
      prune(it->second, now, window);
      const double mine = static_cast<double>(it->second.size());
      const double average = static_cast<double>(total) / static_cast<double>(std::max<std::size_t>(1, members));
      return mine >= 3 && mine >= 4 * average;
    }
  };
  window_counts wrong_accusations;  // accusations a member made that proved wrong
  std::unordered_map<std::string, time_point> sick_until;

  duration accuser_window() const { return suspicion_max_for(nodes.size()) * 2; }

  void note_wrong_accusers(const suspicion& s, time_point now) {
    for (const auto& who : s.accusers())
      if (who != cfg.name) wrong_accusations.add(who, now, accuser_window());
  }

  /// True when `who` looks like the sick member of a grey failure (see above).
  bool discounted(const std::string& who, time_point now) {
    if (auto d = sick_until.find(who); d != sick_until.end()) {
      if (now < d->second) return true;
      sick_until.erase(d);
    }
    if (!wrong_accusations.singled_out(who, now, accuser_window(), nodes.size())) return false;
    // Once singled out, it stays so for a whole window, however quiet its record gets
    // meanwhile (we stop taking its accusations, so nothing new proves it wrong).
    if (sick_until.size() < max_tracked_accusers) sick_until[who] = now + accuser_window();
    return true;
  }

  /// Failed probes in a row, ours, that let our timer declare a death (hold_death): one on a
  /// clean network, more when our own probes of live members fail often (packet loss), so
  /// that a member that missed a refutation does not declare a live member dead on the
  /// strength of a few lost packets.
  int evidence_needed(const entry& e, time_point now) {
    // A member whose own accusations we discount (a sick NIC, a starved CPU) is the problem:
    // one failed probe of ours is evidence enough to remove it (and flap damping keeps it out
    // of published lists while it keeps coming back).
    if (discounted(e.m.name, now)) return 1;
    const int wrong = std::popcount(suspicion_history & 0xffffu);
    if (wrong == 0) return 1;  // our recent suspicions were right (crashes, partitions): none
    if (wrong <= 2) return 2;
    if (wrong <= 5) return 3;
    return 4;                  // most were wrong: heavy loss
  }
  /// How our own last 16 suspicions ended: 1 = the member refuted (we were wrong, most
  /// likely because of packet loss), 0 = it died or left.
  std::uint32_t suspicion_history = 0;

  void note_suspicion_outcome(entry& e, bool was_false) {
    if (!e.suspected_by_us) return;
    e.suspected_by_us = false;
    suspicion_history = (suspicion_history << 1) | (was_false ? 1u : 0u);
  }

  /// The Lifeguard maximum suspicion timeout at cluster size n.
  duration suspicion_max_for(std::size_t n) const {
    return suspicion_min_timeout(cfg.t.suspicion_mult, n, cfg.t.probe_interval) *
           cfg.t.suspicion_max_timeout_mult;
  }

  void dead_node(const dead& d, time_point now, origin from) {
    entry* e = lookup(d.node);
    if (e == nullptr) return;
    if (d.incarnation < e->m.incarnation) {
      if (e->m.name == cfg.name && !leaving) answer_stale_accusation(d.from, now);
      return;
    }
    if (unanswerable(d.incarnation, *e, from)) return;
    if (from == origin::heard && d.node != d.from && d.from != cfg.name && e->m.name != cfg.name &&
        e->m.state == member_state::alive) {
      // A death of a member we hold alive, declared by a member we suspect (or hold dead):
      // the likely problem is the declarer (a sick NIC, one-way reachability), as with its
      // accusations. (When we suspect the member ourselves, the death stands.)
      const entry* by = lookup(d.from);
      if (by != nullptr && by->m.state != member_state::alive) {
        // Not taken; checked with our own probe at the next tick instead, so a real death
        // is still found when the declarer only looked suspect to us for a moment.
        st.accusations_ignored++;
        e->doubt().doubted_death = d;  // taken if our own probe fails too (suspect_node)
        if (verify.size() < max_pending_verifications) verify.push_front({d.node, now, now, true});
        return;
      }
    }
    if (from == origin::heard && d.node != d.from && e->m.name != cfg.name &&
        ((e->m.state == member_state::suspect && e->last_ack > e->m.state_change) ||
         (e->m.state == member_state::alive && e->heard_pending_at(d.incarnation) &&
          e->last_ack > e->d->heard_since))) {
      // It answered our own probe after the suspicion began: the death is hearsay from a
      // member that missed the refutation. Keep it suspect; our timer and probes decide.
      st.deaths_refused++;
      return;
    }
    if (e->d) {
      e->d->susp.reset();
      e->settle();
    }
    if (is_dead_or_left(e->m.state)) return;
    if (e->m.name == cfg.name) {
      if (!leaving) {
        refute(*e, d.incarnation, d.from);
        return;
      }
      leave_broadcast = queue.push(d.node, wire::encode(d));
      st.broadcasts_queued++;
    } else {
      broadcast(d.node, wire::encode(d));
    }
    e->m.incarnation = d.incarnation;
    e->m.state = d.node == d.from ? member_state::left : member_state::dead;
    e->m.state_change = now;
    if (e->m.name != cfg.name) {
      note_suspicion_outcome(*e, /*was_false=*/false);
      emit(e->m, e->m.state == member_state::left ? member_event::left : member_event::dead);
    }
  }

  void refute(entry& self, std::uint32_t accused, const std::string& accuser = {}) {
    // max(ours + 1, accused + 1), saturating: an accusation at 0xFFFFFFFF is answered at
    // 0xFFFFFFFF, never at 0 (which every peer would ignore as older, leaving us dead).
    if (accused > incarnation) incarnation = accused;
    std::uint32_t inc = next_incarnation();
    self.m.incarnation = inc;
    health.apply_delta(1);
    st.refutations++;
    bytes msg = wire::encode(self_alive(inc, self.m.meta));
    // The accuser is the one member sure to be running a suspicion timer on us; gossip
    // may miss it (more so under loss), so it also gets the refutation directly.
    if (entry* to = accuser.empty() ? nullptr : lookup(accuser);
        to != nullptr && to != &self && !is_dead_or_left(to->m.state)) {
      st.refutations_sent_direct++;
      raw_send_packet(to->m.addr, to, msg);
    }
    broadcast(self.m.name, std::move(msg));
  }

  // ---- inbound ----

  void handle(const address& from, const ping& p, time_point now) {
    (void)now;
    if (!p.node.empty() && p.node != cfg.name) {
      st.ignored_pings++;
      return;
    }
    address to = from;
    if (!p.source_addr.empty() && p.source_port > 0) {
      if (auto a = address::from_ip_bytes(p.source_addr, p.source_port)) to = *a;
    }
    entry* src = p.source_node.empty() ? nullptr : lookup(p.source_node);
    bytes ack = wire::encode(ack_resp{p.seq_no, {}});
    if (src != nullptr && src->m.name != cfg.name &&
        (src->m.state == member_state::suspect || src->m.state == member_state::dead)) {
      // The pinger is alive after all, yet we hold it suspect or dead: tell it in the ack so
      // it refutes now instead of after the next push-pull (a member resuming from a pause
      // otherwise stays dead for up to a push-pull interval).
      bytes accusation = src->m.state == member_state::suspect
                             ? wire::encode(suspect{src->m.incarnation, src->m.name, cfg.name})
                             : wire::encode(dead{src->m.incarnation, src->m.name, cfg.name});
      st.accusations_in_acks++;
      raw_send_packet(to, src, wire::make_compound({std::move(ack), std::move(accusation)}));
      return;
    }
    send_msg(to, src, std::move(ack));
  }

  void handle(const address& from, const indirect_ping_req& ind, time_point now) {
    auto target = address::from_ip_bytes(ind.target, ind.port == 0 ? cfg.advertise.port : ind.port);
    if (!target) {
      drop(wire::error::bad_field);
      return;
    }
    address requester = from;
    if (!ind.source_addr.empty() && ind.source_port > 0) {
      if (auto a = address::from_ip_bytes(ind.source_addr, ind.source_port)) requester = *a;
    }
    ping p = make_ping(ind.node, next_seq());
    time_point deadline = now + cfg.t.probe_timeout;
    acks[p.seq_no] =
        ack_handler{ack_handler::kind::relay, deadline, requester, ind.seq_no, ind.nack, {}};
    add_timer(deadline, timer_kind::ack, p.seq_no, {});
    send_msg(*target, lookup(ind.node), wire::encode(p));
  }

  void handle(const address&, const ack_resp& a, time_point now) {
    auto it = acks.find(a.seq_no);
    if (it == acks.end()) {
      // Late or unknown: ignored, as memberlist does; but a late acknowledgement of our
      // leave still counts (a busy peer answers late, not never).
      if (auto l = leave_pings.find(a.seq_no); l != leave_pings.end() && leaving) {
        leave_acked.insert(l->second);
        check_leave_complete();
      }
      return;
    }
    ack_handler h = it->second;
    acks.erase(it);
    drop_answered_timers();
    if (h.k == ack_handler::kind::probe) {
      if (probe.active && probe.seq == a.seq_no) finish_probe(true, now);
    } else if (h.k == ack_handler::kind::addr_check) {
      auto name = addr_check_pings.extract(a.seq_no);
      if (!name.empty()) old_address_answered(name.mapped());
    } else if (h.k == ack_handler::kind::leave) {
      if (auto l = leave_pings.find(a.seq_no); l != leave_pings.end() && leaving)
        leave_acked.insert(l->second);
      check_leave_complete();
    } else if (h.k == ack_handler::kind::watch) {
      if (entry* e = lookup(h.member); e != nullptr && e->m.addr == h.requester) {
        e->last_ack = now;
        e->failures_in_row = 0;
      }
    } else {
      send_msg(h.requester, nullptr, wire::encode(ack_resp{h.requester_seq, {}}));
    }
  }

  void handle(const address&, const nack_resp& n, time_point) {
    if (probe.active && probe.seq == n.seq_no) probe.nacks++;
  }

  void handle(const address&, const alive& a, time_point now) { alive_node(a, now, false); }
  void handle(const address&, const suspect& s, time_point now) {
    suspect_node(s, now, origin::heard);
  }
  void handle(const address&, const dead& d, time_point now) {
    dead_node(d, now, origin::heard);
  }
  void handle(const address&, const user_msg& u, time_point now) {
    user_message(u.payload, now);
  }

  void user_message(const bytes& payload, time_point now) {
    // Keep the Serf Lamport clock ahead of every intent we see, so our own intents order
    // after them (docs/wire.md §9.4).
    if (auto i = serf::decode_intent(payload)) {
      if (i->ltime >= ltime) ltime = i->ltime + 1;
      member_intent(*i, now);
    }
    events.on_user_message(payload);
  }

  /// A Serf join or leave intent about a member (serf.go handleNodeJoinIntent and
  /// handleNodeLeaveIntent, as far as a membership table goes): the newest per member counts.
  /// A leave intent about a member we hold dead means it left (serf force-leave): we record
  /// it left and gossip the intent on, once. One about ourselves while we stay is refuted
  /// with a join intent, as Serf does. Memberlist states are unchanged otherwise.
  void member_intent(const serf::intent& i, time_point now) {
    entry* e = lookup(i.node);
    if (e == nullptr || i.ltime <= e->intent_ltime) return;
    e->intent_ltime = i.ltime;
    if (i.type != serf::message_type::leave) return;
    if (e->m.name == cfg.name) {
      if (!leaving && cfg.serf_compat) send_join_intent();
      return;
    }
    if (e->m.state != member_state::dead) return;
    mark_left(*e, now);
    broadcast("_serf_leave:" + e->m.name, serf::encode_intent(i));
  }

  /// A dead member is known to be gone for good: left, as if it had left gracefully.
  void mark_left(entry& e, time_point now) {
    e.m.state = member_state::left;
    e.m.state_change = now;
    emit(e.m, member_event::left);
  }

  void ack_expired(std::uint32_t seq, time_point at, time_point now) {
    auto it = waiting_ack(seq, at);
    if (it == acks.end()) return;
    ack_handler h = it->second;
    acks.erase(it);
    if (h.k == ack_handler::kind::probe) {
      if (probe.active && probe.seq == seq) finish_probe(false, now);
    } else if (h.k == ack_handler::kind::addr_check) {
      addr_check_pings.erase(seq);  // addr_check_due decides, on its own timer
    } else if (h.k == ack_handler::kind::leave) {
      // Its entry in leave_pings stays, so a late ack still counts (bounded: one entry per
      // ask, a few per probe interval, until the leave ends).
      if (leaving && !leave_reported) send_leave_round(now);  // others, or the same again
    } else if (h.k == ack_handler::kind::watch) {
      // Silence from our successor: probe it (with indirect pings) at the next tick or now,
      // instead of waiting for the round-robin; at most once per two probe intervals, since
      // under loss a lone ping goes unanswered often and each probe takes a round-robin slot.
      entry* e = lookup(h.member);
      if (e != nullptr && e->m.addr == h.requester && !is_dead_or_left(e->m.state) &&
          e->last_ack < at - cfg.t.probe_timeout &&
          now - last_watch_probe >= 2 * cfg.t.probe_interval &&
          !(probe.active && probe.target == e->m.name) && verify.size() < max_pending_verifications) {
        last_watch_probe = now;
        verify.push_front({e->m.name, now, now, true});
        // Between probes (the last one was answered early), start it now rather than at the
        // next tick, where that may be a whole watch interval away (probes no more frequent
        // than the watch, as on lan): up to a probe interval sooner to the first suspicion of
        // a silent member. Where probes come faster than the watch the next tick is near, and
        // an extra probe under loss is one more chance of a false suspicion.
        if (!probe.active && !leaving && cfg.t.probe_interval >= cfg.t.successor_watch)
          start_probe(now);
      }
    } else if (h.want_nack) {
      send_msg(h.requester, nullptr, wire::encode(nack_resp{h.requester_seq}));
    }
  }

  void send_join_intent() {
    if (!cfg.serf_compat) return;
    serf::intent i{serf::message_type::join, ltime, cfg.name, false};
    ltime++;
    broadcast("_serf_intent", serf::encode_intent(i));
    join_intent_sent = true;
  }
};

// ---------------------------------------------------------------------------

node::node(config cfg, transport& out, delegate& events, std::uint64_t seed, time_point now)
    : p_(std::make_unique<impl>(std::move(cfg), out, events, seed, now)) {}

node::~node() = default;

void node::join(const std::vector<address>& seeds, time_point now) {
  for (const auto& s : seeds) {
    if (s == p_->cfg.advertise)
      p_->events.on_join_result(s, false);  // ourselves: nothing to learn
    else
      p_->start_push_pull(s, true, now);
  }
}

void node::on_packet(const address& from, byte_view datagram, time_point now) {
  auto& s = *p_;
  s.st.packets_in++;
  s.st.bytes_in += datagram.size();
  std::optional<bytes> plain;
  if (!s.ring.empty()) {
    wire::error why = wire::error::ok;
    plain = encryption::open(s.ring, datagram, {}, &why);
    if (plain) {
      datagram = *plain;
    } else if (s.cfg.verify_incoming) {
      s.drop(why);  // nothing that fails to decrypt reaches the member table
      return;
    }  // else: accepted as plaintext while a cluster moves to encryption
  }
  auto u = wire::unpack_packet(datagram);
  for (auto e : u.errors) s.drop(e);
  for (const auto& m : u.messages) std::visit([&](const auto& v) { s.handle(from, v, now); }, m);
  s.check_leave_complete();
}

std::optional<bytes> node::on_stream(const address& from, const wire::stream_message& msg,
                                     time_point now) {
  auto& s = *p_;
  s.st.streams_in++;
  if (const auto* p = std::get_if<ping>(&msg)) {
    if (!p->node.empty() && p->node != s.cfg.name) {
      s.st.ignored_pings++;
      return std::nullopt;  // memberlist closes without a reply
    }
    return s.stream_frame(wire::encode(ack_resp{p->seq_no, {}}));
  }
  if (const auto* pp = std::get_if<push_pull>(&msg)) {
    // Reply with our state before merging theirs, as memberlist does.
    bytes reply = s.state_frame(pp->join);
    s.merge_remote(*pp, now);
    s.check_leave_complete();
    return reply;
  }
  if (const auto* u = std::get_if<user_msg>(&msg)) {
    s.user_message(u->payload, now);
    return std::nullopt;
  }
  (void)from;
  s.drop(wire::error::unknown_type);  // an ack or error is not a request
  return std::nullopt;
}

node::stream_read node::read_stream(byte_view data) const {
  wire::stream_parser parser;
  return read_stream(data, parser);
}

node::stream_read node::read_stream(byte_view data, wire::stream_parser& parser) const {
  const auto& s = *p_;
  stream_read r;
  if (data.empty()) return r;  // indeterminate
  const std::size_t max_frame = wire::limits{}.max_stream_frame;
  if (data[0] == encryption::stream_type) {
    if (s.ring.empty()) {
      r.frame.status = wire::parse_status::bad;
      r.frame.err = wire::error::encrypted;
      r.reply = wire::encode(err_resp{"Remote state is encrypted and encryption is not configured"});
      return r;
    }
    auto o = encryption::open_stream(s.ring, data, max_frame);
    r.frame.status = o.status;
    r.frame.err = o.err;
    if (o.status != wire::parse_status::good) return r;
    // The sealed plaintext is one whole frame: anything else is bad, never "read more".
    r.frame = wire::parse_stream(o.frame);
    if (r.frame.status == wire::parse_status::indeterminate) {
      r.frame.status = wire::parse_status::bad;
      r.frame.err = wire::error::truncated;
    } else if (r.frame.status == wire::parse_status::good) {
      if (r.frame.consumed != o.frame.size()) {
        r.frame.status = wire::parse_status::bad;
        r.frame.err = wire::error::bad_field;
      }
      r.frame.consumed = o.consumed;
    }
    return r;
  }
  if (!s.ring.empty() && s.cfg.verify_incoming) {
    r.frame.status = wire::parse_status::bad;
    r.frame.err = wire::error::not_encrypted;
    r.reply = s.stream_frame(
        wire::encode(err_resp{"Encryption is configured but remote state is not encrypted"}));
    return r;
  }
  r.frame = parser.parse(data);  // a plain push-pull resumes after its last complete state
  return r;
}

void node::set_keyring(keyring ring) {
  p_->ring = std::move(ring);
  p_->cfg.keys = p_->ring.keys();
}

void node::set_verification(bool incoming, bool outgoing) {
  p_->cfg.verify_incoming = incoming;
  p_->cfg.verify_outgoing = outgoing;
}

const keyring& node::keys() const { return p_->ring; }

void node::on_stream_reply(stream_id id, const std::optional<wire::stream_message>& reply,
                           time_point now) {
  auto& s = *p_;
  auto it = s.streams.find(id);
  if (it == s.streams.end()) return;
  impl::pending_stream ps = it->second;
  s.streams.erase(it);
  switch (ps.k) {
    case impl::stream_kind::push_pull:
    case impl::stream_kind::push_pull_join: {
      const push_pull* pp = reply ? std::get_if<push_pull>(&*reply) : nullptr;
      const bool join = ps.k == impl::stream_kind::push_pull_join;
      if (pp == nullptr) {
        s.st.push_pull_failures++;
        if (join) s.events.on_join_result(ps.to, false);
        s.check_leave_complete();
        return;
      }
      const bool merged = s.merge_remote(*pp, now);
      if (merged && join) {
        s.st.joins++;
        if (!s.join_intent_sent) s.send_join_intent();
        // An early anti-entropy exchange, one to two probe intervals from now; and one more
        // once the table is quiet, if it grew after the first (impl::repair_pending).
        const time_point early = now + s.cfg.t.probe_interval + s.random_stagger(s.cfg.t.probe_interval);
        s.next_push_pull_at = std::min(s.next_push_pull_at, early);
        s.repair_pending = true;
        s.repair_not_before = early;
        s.repair_at_latest = now + s.cfg.t.push_pull_interval;
      }
      if (join) s.events.on_join_result(ps.to, merged);
      s.check_leave_complete();
      return;
    }
    case impl::stream_kind::tcp_ping: {
      const ack_resp* a = reply ? std::get_if<ack_resp>(&*reply) : nullptr;
      if (a != nullptr && a->seq_no == ps.seq && s.probe.active && s.probe.seq == ps.seq)
        s.probe.tcp_ok = true;
      return;
    }
    case impl::stream_kind::user:
    case impl::stream_kind::port_check: return;  // a refusal comes through on_unreachable
  }
}

void node::on_unreachable(const address& to, unreachable why, time_point now) {
  auto& s = *p_;
  impl::entry* e = s.lookup_by_address(to);
  if (why == unreachable::port_unreachable) {
    s.st.port_unreachables++;
  } else {
    s.st.connections_refused++;
  }
  if (e == nullptr || e->m.name == s.cfg.name) return;
  if (e->m.state != member_state::alive && e->m.state != member_state::suspect) return;
  if (why == unreachable::port_unreachable) {
    // Check with a TCP connect to the same port: a refusal (RST from that host) confirms.
    if (e->d && e->d->port_check_at && now - *e->d->port_check_at < s.cfg.t.probe_interval)
      return;  // one check at a time
    e->doubt().port_check_at = now;
    stream_id id = s.next_stream++;
    s.streams[id] = impl::pending_stream{impl::stream_kind::port_check, 0, to};
    s.st.streams_out++;
    s.out.send_stream(id, to, s.seal_frame(wire::encode(s.make_ping(e->m.name, s.next_seq()))),
                      true, now + s.cfg.t.probe_interval);
    return;
  }
  // The host answered our connect with a reset: nothing listens on the member's port.
  s.st.deaths_by_refusal++;
  const dead d{e->m.incarnation, e->m.name, s.cfg.name};
  s.dead_node(d, now, impl::origin::ours);
  s.announce_dead(d);
  s.check_leave_complete();
}

void node::tick(time_point now) {
  auto& s = *p_;
  // Timers first (acks, suspicions), then the probe phases, then the periodic work.
  while (!s.timers.empty() && s.timers.top().at <= now) {
    impl::timer t = s.timers.top();
    s.timers.pop();
    if (t.k == impl::timer_kind::ack)
      s.ack_expired(t.seq, t.at, now);
    else if (t.k == impl::timer_kind::addr_check)
      s.addr_check_due(t.name, now);
    else
      s.suspicion_expired(t.name, now);
  }
  if (s.probe.active && !s.probe.indirect && s.probe.timeout_at <= now) s.probe_timeout(now);
  const bool probed = s.next_probe_at <= now;
  if (probed) {
    // A fixed grid like time.Ticker; missed ticks are dropped, not queued.
    while (s.next_probe_at <= now) s.next_probe_at += s.cfg.t.probe_interval;
    s.probe_tick(now);
    // A leave that has nobody to ask right now (every peer acknowledged, asked, or not yet
    // live) tries again each probe interval until it completes or times out.
    if (s.leaving && !s.leave_reported && s.leave_asks_in_flight() == 0) s.send_leave_round(now);
  }
  if (s.next_gossip_at <= now) {
    while (s.next_gossip_at <= now) s.next_gossip_at += s.cfg.t.gossip_interval;
    s.gossip(now);
  }
  // The watch rides on a wakeup we have anyway: a probe tick sends it when it falls due
  // within half an interval (so it never waits longer than successor_watch), and after that
  // the two stay in step.
  if (const duration w = s.cfg.t.successor_watch;
      w > duration::zero() && (s.next_watch_at <= now || (probed && s.next_watch_at - now <= w / 2))) {
    s.next_watch_at = now + w;
    if (!s.leaving) s.watch_successor(now);
  }
  if (s.repair_pending && s.repair_due() <= now) {
    s.repair_pending = false;
    if (s.last_new_member > s.repair_not_before) s.next_push_pull_at = now;
  }
  if (s.next_push_pull_at <= now) {
    s.next_push_pull_at = now + s.push_pull_period();
    s.periodic_push_pull(now);
  }
  s.check_leave_complete();
  s.drop_answered_timers();
}

time_point node::next_deadline() const {
  const auto& s = *p_;
  // The gossip grid only matters while something waits to be gossiped (or a leave runs): an
  // idle member wakes for its probes alone. A broadcast queued meanwhile finds the grid point
  // passed and goes out at the next tick.
  time_point t = std::min(s.next_probe_at, s.next_push_pull_at);
  if (s.repair_pending) t = std::min(t, s.repair_due());
  if (s.queue.size() > 0 || s.leaving) t = std::min(t, s.next_gossip_at);
  if (s.cfg.t.successor_watch > duration::zero()) t = std::min(t, s.next_watch_at);
  if (!s.timers.empty()) t = std::min(t, s.timers.top().at);
  if (s.probe.active && !s.probe.indirect) t = std::min(t, s.probe.timeout_at);
  return t;
}

void node::leave(time_point now) {
  auto& s = *p_;
  if (s.leaving) return;
  s.leaving = true;
  if (s.cfg.serf_compat) {
    serf::intent i{serf::message_type::leave, s.ltime, s.cfg.name, false};
    s.ltime++;
    s.leave_intent = serf::encode_intent(i);
    s.broadcast("_serf_intent", s.leave_intent);
  }
  impl::entry* self = s.self_entry();
  const dead d{self->m.incarnation, s.cfg.name, s.cfg.name};
  s.leave_dead = wire::encode(d);
  s.dead_node(d, now, impl::origin::ours);
  s.send_leave_round(now);  // acknowledged by a few peers at once, gossiped to the rest
  s.check_leave_complete();
}

std::size_t node::leave_acks() const { return p_->leave_acked.size(); }

node::force_leave_result node::force_leave(std::string_view name, time_point now) {
  auto& s = *p_;
  impl::entry* e = s.lookup(std::string(name));
  if (e == nullptr) return force_leave_result::unknown;
  if (e->m.name == s.cfg.name) return force_leave_result::self;
  if (e->m.state == member_state::left) return force_leave_result::already_left;
  if (e->m.state != member_state::dead) return force_leave_result::not_failed;
  if (!s.cfg.serf_compat) return force_leave_result::unsupported;
  // A sliding window: at most force_leave_burst intents per force_leave_window probe
  // intervals, so a script looping over force-leave cannot flood the gossip.
  const auto window = s.cfg.t.probe_interval * force_leave_window;
  while (!s.force_leaves.empty() && now - s.force_leaves.front() >= window)
    s.force_leaves.pop_front();
  if (s.force_leaves.size() >= force_leave_burst) return force_leave_result::rate_limited;
  s.force_leaves.push_back(now);
  const serf::intent i{serf::message_type::leave, s.ltime, e->m.name, false};
  s.ltime++;
  e->intent_ltime = i.ltime;
  s.mark_left(*e, now);
  s.broadcast("_serf_leave:" + e->m.name, serf::encode_intent(i));
  return force_leave_result::left;
}

bool node::leave_done() const { return p_->leave_complete(); }

bool node::set_meta(bytes meta, time_point now) {
  auto& s = *p_;
  if (meta_error(meta)) return false;
  s.cfg.meta = meta;
  s.alive_node(s.self_alive(s.next_incarnation(), std::move(meta)), now, /*bootstrap=*/true);
  s.check_leave_complete();
  return true;
}

void node::broadcast_user(bytes payload) {
  user_msg u{std::move(payload)};
  p_->broadcast({}, wire::encode(u));
}

void node::send_user(const address& to, bytes payload) {
  // memberlist rawSendMsgPacket with no known node: no CRC header.
  p_->raw_send_packet(to, nullptr, wire::encode(user_msg{std::move(payload)}));
}

const config& node::cfg() const { return p_->cfg; }
const member& node::self() const { return p_->node_map.at(p_->cfg.name)->m; }

const member* node::find(std::string_view name) const {
  auto it = p_->node_map.find(name);
  return it == p_->node_map.end() ? nullptr : &it->second->m;
}

std::vector<member> node::members() const {
  std::vector<member> out;
  out.reserve(p_->nodes.size());
  for (const auto& e : p_->nodes) out.push_back(e->m);
  return out;
}

std::size_t node::num_live() const {
  return static_cast<std::size_t>(std::count_if(p_->nodes.begin(), p_->nodes.end(), [](const auto& e) {
    return !is_dead_or_left(e->m.state);
  }));
}

std::size_t node::num_known() const { return p_->nodes.size(); }
int node::health_score() const { return p_->health.score(); }
const node_stats& node::stats() const { return p_->st; }
std::size_t node::queued_broadcasts() const { return p_->queue.size(); }
std::size_t node::queued_broadcasts(broadcast_class cls) const { return p_->queue.size(cls); }
std::uint64_t node::dropped_broadcasts(broadcast_class cls) const { return p_->queue.dropped(cls); }

}  // namespace swim
