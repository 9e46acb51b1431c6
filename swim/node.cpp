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
//   spreading, so a member whose table grew after it makes repair exchanges
//   while it keeps growing, each once the table has been quiet for a probe
//   interval or at the latest twice as far from the last as the one before
//   (impl::repair_pending): N members joining one seed at once all know all in
//   4.5 / 7.2 / 12.2 / 25.0 virtual s at N = 250 / 500 / 1000 / 2000 instead of
//   4.6 / 10.7 / 27.5 / 182 with the early exchange alone (swim-sim-bench). A
//   settled member whose table grows by a wave of new members (a growing managed
//   instance group) starts the same repairs (impl::note_new_member).
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
//   suspicions were refuted, i.e. how lossy the network has been, forgotten after
//   16 of our probes in a row are answered on the first ping); otherwise it
//   holds the death back, probes again and waits for the refutation, at most
//   three times the maximum timeout. A heard dead about a member that answered
//   our probe after the suspicion began, and failed none since, is not applied
//   until our own probes fail K times in a row too. memberlist lets any
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

#include "swim/node_impl.hpp"

namespace swim {

time_point node::impl::repair_due() const {
  return std::min(repair_at_latest, std::max(repair_not_before, last_new_member) + repair_quiet());
}

void node::impl::repair_tick(time_point now) {
  if (last_new_member < repair_not_before) {
    // Nothing new since the last exchange began, its own reply included: the table settled.
    repair_pending = false;
    return;
  }
  next_push_pull_at = now;  // the exchange, in this tick
  st.repair_push_pulls++;
  repair_gap *= 2;
  if (repair_gap <= duration::zero() || repair_gap > push_pull_period()) {
    repair_pending = false;  // the periodic exchange comes as soon as another repair would
    return;
  }
  repair_not_before = now;
  repair_at_latest = now + repair_gap;
}

duration node::impl::random_stagger(duration d) {
  if (d.count() <= 0) return duration::zero();
  return duration(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(d.count())));
}

std::uint32_t node::impl::next_incarnation() {
  if (incarnation == max_incarnation) {
    st.incarnation_saturated++;
    return incarnation;
  }
  return ++incarnation;
}

node::impl::entry* node::impl::lookup(std::string_view name) {
  return node_map.find(name);
}

node::impl::entry* node::impl::lookup_by_address(const address& a) {
  for (auto& e : nodes)
    if (e->id->addr == a && !is_dead_or_left(e->state)) return e;
  return nullptr;
}

void node::impl::add_timer(time_point at, timer_kind k, std::uint32_t seq, std::string name) {
  timers.push(timer{at, timer_order++, k, seq, std::move(name)});
}

std::unordered_map<std::uint32_t, node::impl::ack_handler>::iterator node::impl::waiting_ack(std::uint32_t seq,
                                                                     time_point at) {
  auto it = acks.find(seq);
  return it != acks.end() && it->second.deadline == at ? it : acks.end();
}

void node::impl::drop_answered_timers() {
  while (!timers.empty() && timers.top().k == timer_kind::ack &&
         waiting_ack(timers.top().seq, timers.top().at) == acks.end())
    timers.pop();
}

bytes node::impl::seal_frame(bytes frame) const {
  return encrypt_out() ? encryption::seal_stream(ring, frame, encryption::random_nonce()) : frame;
}

bytes node::impl::self_addr_bytes() const {
  auto v = cfg.advertise.ip_bytes();
  return bytes(v.begin(), v.end());
}

void node::impl::raw_send_packet(const address& to, const entry* dest, bytes msg) {
  if (cfg.enable_compression && msg.size() >= compress_min_bytes) {
    bytes c = wire::compress(msg);
    if (c.size() < msg.size()) msg = std::move(c);
  }
  if (dest != nullptr && dest->id->pmax() >= 5) msg = wire::add_crc(msg);
  if (encrypt_out()) msg = encryption::seal_packet(ring, msg, encryption::random_nonce());
  st.packets_out++;
  st.bytes_out += msg.size();
  out.send_packet(to, std::move(msg));
}

void node::impl::send_msg(const address& to, const entry* dest, bytes msg) {
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

void node::impl::broadcast(const std::string& key, bytes msg) {
  st.broadcasts_queued++;
  // User messages (Serf events and intents) have their own share of each packet.
  const bool user = !msg.empty() && msg[0] == static_cast<std::uint8_t>(message_type::user);
  queue.push(user ? broadcast_class::user : broadcast_class::membership, key, std::move(msg));
}

address node::impl::addr_from(const bytes& ip, std::uint16_t port) const {
  auto a = address::from_ip_bytes(ip, port == 0 ? cfg.advertise.port : port);
  return a ? *a : address{};
}

alive node::impl::self_alive(std::uint32_t inc, bytes meta) const {
  return alive{inc, cfg.name, cfg.advertise.ip_bytes(), cfg.advertise.port, std::move(meta),
               default_vsn()};
}

ping node::impl::make_ping(const std::string& target, std::uint32_t seq) {
  ping p;
  p.seq_no = seq;
  p.node = target;
  p.source_addr = self_addr_bytes();
  p.source_port = cfg.advertise.port;
  p.source_node = cfg.name;
  return p;
}

void node::impl::handle(const address& from, const ping& p, time_point now) {
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
  if (src != nullptr && src->id->name != cfg.name &&
      (src->state == member_state::suspect || src->state == member_state::dead)) {
    // The pinger is alive after all, yet we hold it suspect or dead: tell it in the ack so
    // it refutes now instead of after the next push-pull (a member resuming from a pause
    // otherwise stays dead for up to a push-pull interval).
    bytes accusation = src->state == member_state::suspect
                           ? wire::encode(suspect{src->incarnation, src->id->name, cfg.name})
                           : wire::encode(dead{src->incarnation, src->id->name, cfg.name});
    st.accusations_in_acks++;
    raw_send_packet(to, src, wire::make_compound({std::move(ack), std::move(accusation)}));
    return;
  }
  send_msg(to, src, std::move(ack));
}

void node::impl::handle(const address& from, const indirect_ping_req& ind, time_point now) {
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

void node::impl::handle(const address&, const ack_resp& a, time_point now) {
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
    if (entry* e = lookup(h.member); e != nullptr && e->id->addr == h.requester) {
      e->last_ack = now;
      e->failures_in_row = 0;
    }
  } else {
    send_msg(h.requester, nullptr, wire::encode(ack_resp{h.requester_seq, {}}));
  }
}

void node::impl::handle(const address&, const nack_resp& n, time_point) {
  if (probe.active && probe.seq == n.seq_no) probe.nacks++;
}

void node::impl::handle(const address&, const suspect& s, time_point now) {
  suspect_node(s, now, origin::heard);
}

void node::impl::handle(const address&, const dead& d, time_point now) {
  dead_node(d, now, origin::heard);
}

void node::impl::handle(const address&, const user_msg& u, time_point now) {
  user_message(u.payload, now);
}

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
        s.repair_gap = s.cfg.t.push_pull_interval;
        s.repair_at_latest = now + s.repair_gap;
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
  if (e == nullptr || e->id->name == s.cfg.name) return;
  if (e->state != member_state::alive && e->state != member_state::suspect) return;
  if (why == unreachable::port_unreachable) {
    // Check with a TCP connect to the same port: a refusal (RST from that host) confirms.
    if (e->d && e->d->port_check_at && now - *e->d->port_check_at < s.cfg.t.probe_interval)
      return;  // one check at a time
    e->doubt().port_check_at = now;
    stream_id id = s.next_stream++;
    s.streams[id] = impl::pending_stream{impl::stream_kind::port_check, 0, to};
    s.st.streams_out++;
    s.out.send_stream(id, to, s.seal_frame(wire::encode(s.make_ping(e->id->name, s.next_seq()))),
                      true, now + s.cfg.t.probe_interval);
    return;
  }
  // The host answered our connect with a reset: nothing listens on the member's port.
  s.st.deaths_by_refusal++;
  const dead d{e->incarnation, e->id->name, s.cfg.name};
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
  if (s.repair_pending && s.repair_due() <= now) s.repair_tick(now);
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
  const dead d{self->incarnation, s.cfg.name, s.cfg.name};
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
  if (e->id->name == s.cfg.name) return force_leave_result::self;
  if (e->state == member_state::left) return force_leave_result::already_left;
  if (e->state != member_state::dead) return force_leave_result::not_failed;
  if (!s.cfg.serf_compat) return force_leave_result::unsupported;
  // A sliding window: at most force_leave_burst intents per force_leave_window probe
  // intervals, so a script looping over force-leave cannot flood the gossip.
  const auto window = s.cfg.t.probe_interval * force_leave_window;
  while (!s.force_leaves.empty() && now - s.force_leaves.front() >= window)
    s.force_leaves.pop_front();
  if (s.force_leaves.size() >= force_leave_burst) return force_leave_result::rate_limited;
  s.force_leaves.push_back(now);
  const serf::intent i{serf::message_type::leave, s.ltime, e->id->name, false};
  s.ltime++;
  e->intent_ltime = i.ltime;
  s.mark_left(*e, now);
  s.broadcast("_serf_leave:" + e->id->name, serf::encode_intent(i));
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
member node::self() const { return impl::to_member(*p_->self_entry()); }

std::optional<member> node::find(std::string_view name) const {
  const impl::entry* e = p_->node_map.find(name);
  if (!e) return std::nullopt;
  return impl::to_member(*e);
}

std::vector<member> node::members() const {
  std::vector<member> out;
  out.reserve(p_->nodes.size());
  for (const auto& e : p_->nodes) out.push_back(impl::to_member(*e));
  return out;
}

std::size_t node::num_live() const {
  return p_->live;
}

std::size_t node::num_known() const { return p_->nodes.size(); }
int node::health_score() const { return p_->health.score(); }
const node_stats& node::stats() const { return p_->st; }
std::size_t node::queued_broadcasts() const { return p_->queue.size(); }
std::size_t node::queued_broadcasts(broadcast_class cls) const { return p_->queue.size(cls); }
std::uint64_t node::dropped_broadcasts(broadcast_class cls) const { return p_->queue.dropped(cls); }

}  // namespace swim
