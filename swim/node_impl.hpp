#pragma once
// swim::node::impl: the state of a node and its operations, shared by the files that
// implement them. Private to the swim target (not installed, not included by node.hpp's
// users). The design, and where it departs from memberlist, is in node.cpp's preamble.
//
//   node.cpp            the public entry points, timers, sending, packet handling
//   node_probe.cpp      probes, the successor watch, gossip rounds, ack timers
//   node_state.cpp      alive states, push-pull and merging, address checks, Serf intents
//   node_suspicion.cpp  suspicions, deaths, refutations, first-hand evidence, accusers
//   node_leave.cpp      the acknowledged graceful leave

#include "swim/node.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <deque>
#include <memory_resource>
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
#include "swim/name_index.hpp"
#include "swim/serf.hpp"
#include "swim/suspicion.hpp"
#include "swim/tags.hpp"

namespace swim {

struct node::impl {
  // ---- constants and pure helpers ----

  static constexpr std::size_t compound_header_overhead = 2;  // memberlist compoundHeaderOverhead
  static constexpr std::size_t compound_overhead = 2;         // per part: its uint16 length
  static constexpr std::size_t compress_min_bytes = 256;
  static constexpr std::uint32_t max_incarnation = 0xFFFFFFFF;  // the top: nothing out-bids it
  static constexpr std::size_t push_pull_scale_threshold = 32;
  static constexpr std::size_t max_compound_parts = 255;

  static bool is_dead_or_left(member_state s) {
    return s == member_state::dead || s == member_state::left;
  }

  /// memberlist pushPullScale: the interval times ceil(log2 n - log2 32) + 1 above 32 members.
  static duration push_pull_scale(duration interval, std::size_t n) {
    if (n <= push_pull_scale_threshold) return interval;
    double multiplier = std::ceil(std::log2(static_cast<double>(n)) -
                                  std::log2(static_cast<double>(push_pull_scale_threshold))) +
                        1.0;
    return duration(static_cast<std::int64_t>(multiplier) * interval.count());
  }

  static short_bytes vsn_bytes(const std::array<std::uint8_t, 6>& v) { return {v.begin(), v.end()}; }

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
    // What the member is known by (name, address, meta, versions), shared with every table
    // that knows it the same way (identity_pool); replaced, never changed, when it moves or
    // changes its meta (set_identity).
    // The fields are ordered to pack into 64 bytes: a simulator holds N² entries.
    identity_pool::handle id;
    std::uint32_t incarnation = 0;
    member_state state = member_state::alive;
    bool suspected_by_us = false;  // the running suspicion is ours (suspicion_history)
    // Our probes of it that failed since it last answered (saturates; see probe_failed()).
    std::uint16_t failures_in_row = 0;
    time_point state_change{};  // when `state` last changed
    // First-hand evidence from our own probes (docs/wire.md §7.6, "first-hand evidence").
    time_point last_ack{};       // it answered one of our probes (UDP, indirect or TCP)
    time_point last_failure{};   // one of our probes of it failed
    std::uint64_t intent_ltime = 0;  // newest Serf join/leave intent about it (Serf statusLTime)
    std::unique_ptr<doubts> d;   // null while nothing is in doubt

    /// Count one more failed probe in a row.
    void probe_failed() {
      if (failures_in_row < UINT16_MAX) ++failures_in_row;
    }

    /// The name the table indexes it by.
    static std::string_view key(const entry& e) { return e.id->name; }

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
  static_assert(sizeof(entry) <= 64, "entry: keep the fields packed (see the comment on its fields)");

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
      : cfg(std::move(c)),
        out(t),
        events(d),
        rng(seed),
        health(cfg.t.awareness_max_multiplier),
        pool(cfg.identities ? cfg.identities : std::make_shared<identity_pool>()) {
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
  ~impl() {
    for (entry* e : nodes) entries.free(e);
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  // ---- state ----
  config cfg;
  transport& out;
  delegate& events;
  std::mt19937_64 rng;
  keyring ring;  // gossip keys, primary first; empty: plaintext
  awareness health;
  std::shared_ptr<identity_pool> pool;  // cfg.identities, or our own
  broadcast_queue queue;
  /// The queue's bound per class follows the table: max(4096, 2 x members), the dynamic depth
  /// Serf applies to its own queues when MinQueueDepth is set (Consul sets 4096). Updates are
  /// coalesced per member, so a mass join of more than 4,096 members drops no alive for want
  /// of room; the fixed bound still holds a forged flood to twice the table (max_members).
  void size_queue() {
    const std::size_t b = std::max(broadcast_queue::default_max_per_class, 2 * nodes.size());
    queue.set_bound(broadcast_class::membership, b);
    queue.set_bound(broadcast_class::user, b);
  }
  node_stats st;

  // The entries, from a pool: no allocator header per entry (a simulator holds N² of them).
  // Every entry in `nodes` was made here and is freed here (reset_nodes, ~impl).
  class entry_store {
   public:
    entry* make() { return alloc_.new_object<entry>(); }
    void free(entry* e) { alloc_.delete_object(e); }

   private:
    // Chunks of at most 128 entries: a table's last chunk wastes 8 KiB at most.
    std::pmr::unsynchronized_pool_resource res_{std::pmr::pool_options{128, sizeof(entry)}};
    std::pmr::polymorphic_allocator<entry> alloc_{&res_};
  };
  entry_store entries;
  std::vector<entry*> nodes;  // probe order; owned through `entries`
  // By name (the entry's identity's name; set_identity re-indexes an entry it changes).
  name_index<entry, &entry::key> node_map;
  std::size_t probe_index = 0;
  static constexpr std::size_t announce_fanout = 64;  // direct sends of a death we declare
  std::uint32_t incarnation = 0;
  std::uint32_t seq_no = 0;
  std::uint64_t ltime = 1;  // Serf Lamport clock (member intents)
  std::deque<time_point> force_leaves;  // our recent force_leave intents (rate limit)

  time_point next_probe_at, next_gossip_at, next_push_pull_at, next_watch_at;

  /// After a join, more anti-entropy push-pulls while our table keeps growing. Gossip leaves a
  /// few pairs uninformed when many join at once (each update goes out retransmit_mult *
  /// log10(n) times to random members); the early exchange one to two probe intervals after
  /// the join comes while the burst's alives are still spreading, and the next periodic one
  /// is minutes away at a thousand members. So a repair exchange follows once the table has
  /// been quiet for repair_quiet, if it grew since the previous exchange began, and at the
  /// latest repair_gap after it: push_pull_interval after the join, the gap doubling at each
  /// repair, so a burst that goes on for minutes (thousands joining) is repaired while it
  /// lasts at a cost of a few exchanges. The repairs end at the first one with nothing new
  /// before it, or once the gap outgrows the periodic push-pull's period (docs/wire.md §7.8).
  /// A join into a settled cluster adds nothing after the early exchange.
  /// A settled member starts the same repairs when its table grows by many at once: a wave of
  /// members joining a running cluster (a managed instance group growing) reaches the settled
  /// members by gossip alone, each update as one small message among all of the wave's, and
  /// only the joiners' own exchanges carry the wave in bulk (note_new_member).
  bool repair_pending = false;
  // The last exchange's start (the early one's, then each repair's): the next repair comes a
  // quiet interval after it at the soonest, and only if members arrived since.
  time_point repair_not_before{};
  time_point repair_at_latest{};
  duration repair_gap{};
  time_point last_new_member{};  // when a member we did not know last entered the table
  std::size_t new_since_exchange = 0;  // members new to us since our last push-pull began
  /// A member we did not know entered the table. Once wave_size() have since our last
  /// push-pull began, repairs start as after a join, if none are pending.
  void note_new_member(time_point now);
  /// How many new members make a wave: 8, or a sixteenth of the table if more. One VM joining
  /// now and then, or a few at a time, is gossiped to all in seconds and costs no exchange.
  std::size_t wave_size() const { return std::max<std::size_t>(8, nodes.size() / 16); }
  /// How long the table must not have grown before the repair: a probe interval, at least
  /// 500 ms.
  duration repair_quiet() const { return std::max<duration>(cfg.t.probe_interval, milliseconds(500)); }
  time_point repair_due() const;
  /// At repair_due: the repair exchange if the table grew since the last one, and the next.
  void repair_tick(time_point now);
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
  duration tombstone_time() const;

  /// Bytes of the last full-state frame we sent (push-pull request or reply), sealed.
  std::size_t state_frame_bytes = 0;
  /// The time between our periodic push-pulls: memberlist's interval scaled by log2 n, or
  /// longer when our full state, sent about twice per period (once as the initiator, once
  /// as the peer of someone else's), would exceed timing::push_pull_budget bytes per second.
  /// With the period growing as the state does, anti-entropy costs each member the same
  /// bytes and merge work per second at any N.
  duration push_pull_period() const;
  /// A full-state frame as sent, its size noted for push_pull_period().
  bytes state_frame(bool join);

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
  bool leave_complete() const;

  /// Acknowledged leave: send the leave (Serf intent and dead{self}) straight to a few live
  /// peers, each with a ping whose ack acknowledges it; the ones that do not answer within a
  /// probe interval are asked again or replaced (ack_expired). A late ack still counts.
  std::size_t leave_asks_in_flight() const;

  void send_leave_round(time_point now);

  /// Report the end of a leave once. Called at the end of every entry point that can spend
  /// the leave's transmits (gossip, piggybacking) or remove the last peer.
  void check_leave_complete();

  duration random_stagger(duration d);
  std::size_t random_offset(std::size_t n) { return n == 0 ? 0 : rng() % n; }
  std::uint32_t next_seq() { return ++seq_no; }
  /// Our next incarnation. It saturates at the top of the range instead of wrapping to 0,
  /// which every peer would take as older than what it holds.
  std::uint32_t next_incarnation();

  /// Our own entry: always in the table (reset_nodes never reaps it).
  entry* self_entry() const { return node_map.find(cfg.name); }

  /// Members other than us, the recently dead and left included: the odds of checking a heard
  /// suspicion use it (the recently dead still count as members that may hear the rumour).
  std::size_t num_others() const { return nodes.empty() ? 0 : nodes.size() - 1; }

  entry* lookup(std::string_view name);

  /// The next member after us by name, wrapping around, that is alive or suspect. The answer
  /// is cached and stays right while the cached member stays live: a member that becomes live
  /// (set_state) takes its place when it comes before it on the ring (successor_candidate), so
  /// the O(N) walk runs only when the successor itself dies or leaves, not after every join
  /// (a mass join of N members would otherwise cost O(N) per join).
  std::string successor_cache;
  bool successor_cached = false;
  entry* ring_successor();
  void successor_candidate(const entry& e) {
    if (!successor_cached || e.id->name == cfg.name) return;
    // Ring order from us: names above ours first, then the wrap-around to the smallest.
    auto ring_key = [&](std::string_view n) { return std::pair{n <= cfg.name, n}; };
    if (ring_key(e.id->name) < ring_key(successor_cache)) successor_cache = e.id->name;
  }

  /// The member at `a` that is alive or suspect (a dead one may share a re-used address).
  entry* lookup_by_address(const address& a);

  void add_timer(time_point at, timer_kind k, std::uint32_t seq, std::string name);
  /// The handler an ack timer (seq, at) still stands for; acks.end() once its ack came or the
  /// sequence number waits with another deadline.
  std::unordered_map<std::uint32_t, ack_handler>::iterator waiting_ack(std::uint32_t seq,
                                                                       time_point at);
  /// Drop ack timers at the top of the heap whose ack came (ack_expired would ignore them),
  /// so next_deadline() does not wake us for nothing.
  void drop_answered_timers();

  void drop(wire::error e) { st.drops[static_cast<std::size_t>(e)]++; }

  // ---- encryption (docs/wire.md §5.5, §6.1) ----

  /// We encrypt what we send: a keyring, and verify_outgoing.
  bool encrypt_out() const { return !ring.empty() && cfg.verify_outgoing; }
  /// Room a datagram must leave for encryption: memberlist reserves it whenever a keyring exists.
  std::size_t encryption_reserve() const { return ring.empty() ? 0 : encryption::overhead; }

  /// The last layer of a stream frame we send.
  bytes seal_frame(bytes frame) const;

  bytes self_addr_bytes() const;

  void emit(const entry& e, member_event ev) { events.on_member_event(to_member(e), ev); }
  /// Members alive or suspect, ourselves included (num_live). Every change of an entry's
  /// state goes through set_state, which keeps it exact and notes when the state changed; an entry enters the table dead
  /// (alive_node) and leaves it dead or left (reset_nodes), so neither changes it.
  std::size_t live = 0;
  void set_state(entry& e, member_state s, time_point now) {
    if (is_dead_or_left(e.state) && !is_dead_or_left(s)) {
      ++live;
      successor_candidate(e);
    }
    if (!is_dead_or_left(e.state) && is_dead_or_left(s)) --live;
    e.state = s;
    e.state_change = now;
  }
  /// The public value of an entry (what events, find and members hand out).
  static member to_member(const entry& e) {
    return member{e.id->name, e.id->addr,   e.id->meta,       e.id->vsn,
                  e.incarnation, e.state, e.state_change};
  }
  /// Give `e` the identity with these fields, from the pool.
  void set_identity(entry& e, std::string_view name, const address& addr, const bytes& meta,
                    const std::array<std::uint8_t, 6>& vsn) {
    if (e.id && e.id->addr == addr && e.id->meta == meta && e.id->vsn == vsn) return;
    identity_pool::handle next = pool->intern(name, addr, meta, vsn);
    // The name index reads the name through the identity: take the entry out under the old
    // one and put it back under the new.
    const bool indexed = e.id && node_map.erase(e.id->name);
    e.id = std::move(next);
    if (indexed) node_map.insert(&e);
  }

  // ---- sending ----

  /// Final step for a datagram: compress when it helps, CRC for members that verify it.
  void raw_send_packet(const address& to, const entry* dest, bytes msg);

  /// memberlist sendMsg: piggyback queued broadcasts on `msg` when they fit.
  void send_msg(const address& to, const entry* dest, bytes msg);

  int transmit_limit() const { return retransmit_limit(cfg.t.retransmit_mult, nodes.size()); }

  void broadcast(const std::string& key, bytes msg);

  address addr_from(const bytes& ip, std::uint16_t port) const;

  /// An alive about ourselves at incarnation `inc` (our address, our Vsn).
  alive self_alive(std::uint32_t inc, bytes meta) const;

  ping make_ping(const std::string& target, std::uint32_t seq);

  // ---- probing (memberlist state.go probe / probeNode) ----

  void probe_tick(time_point now);

  void start_probe(time_point now);

  /// memberlist resetNodes: reap long-dead members, reshuffle the probe order.
  void reset_nodes(time_point now);

  /// The successor watch: one ping to our ring successor (carrying its suspicion, as probes
  /// do), unless our probe is on it right now (or started this tick). An ack is first-hand
  /// evidence that it lives; a missing one gets it probed (ack_expired); a port unreachable
  /// for it reaches on_unreachable.
  void watch_successor(time_point now);

  void probe_node(entry& target, time_point now);

  void probe_timeout(time_point now);

  /// The probe ends: success (any ack, or TCP) or failure (suspect the target).
  void finish_probe(bool acked, time_point now);

  /// Up to k distinct members that pass the filter, chosen uniformly; every one of them when
  /// there are at most k (k_random_nodes' bounded random picks miss a few at k near n).
  template <class Filter>
  std::vector<entry*> sample_nodes(std::size_t k, Filter skip) {
    std::vector<entry*> all;
    for (auto& e : nodes)
      if (!skip(*e)) all.push_back(e);
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
      entry* e = nodes[random_offset(n)];
      if (skip(*e)) continue;
      if (std::find(picked.begin(), picked.end(), e) != picked.end()) continue;
      picked.push_back(e);
    }
    return picked;
  }

  // ---- gossip and push-pull ----

  void gossip(time_point now);

  void periodic_push_pull(time_point now);

  push_pull local_state(bool join) const;

  /// A stream frame as sent: compressed when enabled (memberlist compresses streams even when
  /// that makes them longer), then encrypted.
  bytes stream_frame(bytes frame) const;

  void start_push_pull(const address& to, bool join, time_point now);

  /// memberlist verifyProtocol: every version in range of every live member's min/max.
  bool verify_protocol(const std::vector<push_node_state>& remote) const;

  /// memberlist mergeState: remote alive → alive, left → dead from itself, dead/suspect →
  /// suspect from us (a remote death is only a suspicion here).
  bool merge_remote(const push_pull& pp, time_point now);

  // ---- state changes (memberlist state.go aliveNode / suspectNode / deadNode / refute) ----

  /// `old_addr_silent`: the alive comes from an address check whose ping went unanswered.
  void alive_node(const alive& a, time_point now, bool bootstrap, bool old_addr_silent = false);

  void report_conflict(const entry& e, const address& addr, const bytes& meta);

  // ---- address checks: a known name moves only when its old address is silent ----

  /// Hold `a` (a known, left or reclaimable member at a new address) and ping the old
  /// address with the member's name: now, again after probe_timeout, and decide one
  /// probe_interval from now (old_address_answered, addr_check_due).
  void check_old_address(const entry& e, const alive& a, time_point now);

  void ping_old_address(const std::string& name, const addr_check& c, time_point now);

  /// The old address answered a ping naming the member: it is still there, so the claim to
  /// another address is a conflict, and the member stays where it is.
  void old_address_answered(const std::string& name);

  void addr_check_due(const std::string& name, time_point now);

  /// Someone accuses us at an incarnation we already out-bid: it missed our refutation.
  /// Tell it directly (at most once per accuser per probe interval), since gossip has
  /// evidently not reached it and its suspicion timer would otherwise declare us dead.
  void answer_stale_accusation(const std::string& accuser, time_point now);

  /// True when a heard accusation at the top of the range about another member must be
  /// ignored: no alive could ever out-bid it (refute saturates), so only first-hand evidence
  /// counts there. The accused itself still hears it, and refutes at the top.
  bool unanswerable(std::uint32_t incarnation, const entry& e, origin from);

  /// Anyone can write any From: a heard suspect confirms a running suspicion only when it
  /// names a member we hold alive, other than the accused and ourselves (our own evidence
  /// comes first-hand, origin::ours; a push-pull's states are heard in our name).
  bool may_confirm(const suspect& s);

  /// A suspicion of a member we hold alive, heard from another member (gossip or push-pull):
  /// passed on, so that the accused hears it and refutes and the accusers' timers get their
  /// confirmations, but not taken. We suspect a member only when our own probe of it fails
  /// too, so one sick member (inbound loss, one-way reachability) cannot make healthy members
  /// suspect each other, and uniform loss raises a suspicion only where a probe failed. A few
  /// members (suspicion_mult of the cluster, at random) check it with a probe, enough for the
  /// Lifeguard confirmations that bring a dead member's timers down to their minimum; the
  /// others do not spend probes on it. Accusations from members we do not hold alive are
  /// ignored (a member we suspect is the likely problem; a forged From is nobody).
  void pass_on_heard_suspicion(entry& e, const suspect& s, time_point now);

  /// The member a suspect or dead about `name` at `incarnation` concerns, or null when there
  /// is nothing to take: unknown, stale (a stale one about us is answered with
  /// answer_stale_accusation), or heard at the top of the range (unanswerable).
  entry* accused(const std::string& name, std::uint32_t incarnation, const std::string& accuser,
                 time_point now, origin from);

  void suspect_node(const suspect& s, time_point now, origin from);

  /// A death we declared on our own evidence goes straight to up to announce_fanout live
  /// (alive or suspect) members, besides being gossiped: infection-style gossip leaves a few members uninformed
  /// for a push-pull interval (at n = 50, 10 deaths at once miss one member in about half the
  /// runs), and each would keep the dead member in its peer list meanwhile.
  void announce_dead(const dead& d);

  void suspicion_expired(const std::string& name, time_point now);

  /// First-hand evidence before a death (a divergence from memberlist, docs/wire.md §7.6):
  /// a suspicion timer declares a member dead only when our own latest probe of it since
  /// the suspicion began failed. Under heavy loss the refutation misses some members; each
  /// of them would otherwise declare a live member dead on hearsay. When we have not probed
  /// it since, or it answered us, we hold the death back, probe it (the ping carries the
  /// suspicion, so a live member refutes to us at once) and look again one probe interval
  /// later. Held back at most until the suspicion's maximum timeout. Returns true when held.
  bool hold_death(entry& e, time_point now);

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

  void note_wrong_accusers(const suspicion& s, time_point now);

  /// True when `who` looks like the sick member of a grey failure (see above).
  bool discounted(const std::string& who, time_point now);

  /// Failed probes in a row, ours, that let our timer declare a death (hold_death): one on a
  /// clean network, more when our own probes of live members fail often (packet loss), so
  /// that a member that missed a refutation does not declare a live member dead on the
  /// strength of a few lost packets.
  int evidence_needed(const entry& e, time_point now);
  /// A death we doubted is taken once our own probes of the member have failed as often in a
  /// row as evidence_needed asks (one while our suspicions have been right), at its
  /// incarnation or an older one of ours.
  bool doubted_death_due(const entry& e, time_point now);
  /// Apply the doubted death (as heard: dead_node's checks still run).
  void take_doubted_death(entry& e, time_point now);
  /// How our own last 16 suspicions ended: 1 = the member refuted (we were wrong, most
  /// likely because of packet loss), 0 = it died or left. Forgotten after a clean streak
  /// (note_probe_path).
  std::uint32_t suspicion_history = 0;
  /// Our probes in a row answered on the first ping, without the indirect phase.
  int clean_probes_in_row = 0;
  /// A run of this many such probes shows the loss that made our suspicions wrong has ended:
  /// the history is forgotten, and deaths are declared at memberlist's speed again. Under
  /// 20 % loss a first ping is answered 64 % of the time, so such a run takes about an hour
  /// of probes; on a clean network, 16 s on lan.
  static constexpr int clean_probes_forget = 16;
  /// Count a finished probe: `direct` when the first ping was answered.
  void note_probe_path(bool direct) {
    if (!direct) {
      clean_probes_in_row = 0;
      return;
    }
    if (++clean_probes_in_row < clean_probes_forget) return;
    clean_probes_in_row = 0;
    if (suspicion_history != 0) st.suspicion_history_cleared++;
    suspicion_history = 0;
  }

  void note_suspicion_outcome(entry& e, bool was_false);

  /// The Lifeguard maximum suspicion timeout at cluster size n.
  duration suspicion_max_for(std::size_t n) const;

  void dead_node(const dead& d, time_point now, origin from);

  void refute(entry& self, std::uint32_t accused, const std::string& accuser = {});

  // ---- inbound ----

  void handle(const address& from, const ping& p, time_point now);

  void handle(const address& from, const indirect_ping_req& ind, time_point now);

  void handle(const address&, const ack_resp& a, time_point now);

  void handle(const address&, const nack_resp& n, time_point);

  void handle(const address&, const alive& a, time_point now) { alive_node(a, now, false); }
  void handle(const address&, const suspect& s, time_point now);
  void handle(const address&, const dead& d, time_point now);
  void handle(const address&, const user_msg& u, time_point now);

  void user_message(const bytes& payload, time_point now);

  /// A Serf join or leave intent about a member (serf.go handleNodeJoinIntent and
  /// handleNodeLeaveIntent, as far as a membership table goes): the newest per member counts.
  /// A leave intent about a member we hold dead means it left (serf force-leave): we record
  /// it left and gossip the intent on, once. One about ourselves while we stay is refuted
  /// with a join intent, as Serf does. Memberlist states are unchanged otherwise.
  void member_intent(const serf::intent& i, time_point now);

  /// A dead member is known to be gone for good: left, as if it had left gracefully.
  void mark_left(entry& e, time_point now);

  void ack_expired(std::uint32_t seq, time_point at, time_point now);

  void send_join_intent();
};

}  // namespace swim
