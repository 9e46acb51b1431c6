// swim::node: probes (memberlist probeNode), the ring-successor watch, gossip rounds and
// ack timers (docs/wire.md §7.1-7.3).

#include "swim/node_impl.hpp"

namespace swim {

node::impl::entry* node::impl::ring_successor() {
  if (successor_cached) {
    if (entry* s = lookup(successor_cache); s != nullptr && !is_dead_or_left(s->state)) return s;
  }
  entry* next = nullptr;   // smallest name above ours
  entry* first = nullptr;  // smallest name overall (wrap-around)
  for (auto& e : nodes) {
    if (e->id->name == cfg.name || is_dead_or_left(e->state)) continue;
    if (e->id->name > cfg.name && (next == nullptr || e->id->name < next->id->name)) next = e;
    if (first == nullptr || e->id->name < first->id->name) first = e;
  }
  entry* found = next != nullptr ? next : first;
  successor_cached = found != nullptr;
  if (found != nullptr) successor_cache = found->id->name;
  return found;
}

void node::impl::probe_tick(time_point now) {
  if (probe.active) {
    // Go's ticker buffers one tick while probeNode runs; the next probe starts right after.
    probe_tick_pending = true;
    return;
  }
  start_probe(now);
}

void node::impl::start_probe(time_point now) {
  // A suspicion learned from others is verified first, once, by probing the suspect
  // ourselves (the ping carries the suspicion): a live suspect answers with its alive even
  // if gossip never brought us its refutation, and a dead one earns our confirmation.
  while (!verify.empty() && verify.front().due <= now) {
    pending_verify v = std::move(verify.front());
    verify.pop_front();
    entry* e = lookup(v.name);
    if (e != nullptr && ((v.any_live && !is_dead_or_left(e->state)) ||
                         (e->state == member_state::suspect && e->state_change == v.since) ||
                         (e->state == member_state::alive &&
                          e->heard_pending_at(e->incarnation) &&
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
    entry* e = nodes[probe_index];
    probe_index++;
    if (e->id->name == cfg.name || is_dead_or_left(e->state)) {
      checks++;
      continue;
    }
    probe_node(*e, now);
    return;
  }
}

void node::impl::reset_nodes(time_point now) {
  auto reap = [&](const entry* e) {
    return e->id->name != cfg.name && is_dead_or_left(e->state) &&
           now - e->state_change > cfg.t.gossip_to_the_dead_time;
  };
  for (auto it = tombstones.begin(); it != tombstones.end();)
    it = now >= it->second.until ? tombstones.erase(it) : std::next(it);
  std::vector<entry*> keep, reaped;
  keep.reserve(nodes.size());
  for (entry* e : nodes) {
    if (reap(e)) {
      if (tombstones.size() < max_tombstones)
        tombstones[e->id->name] = tombstone{e->incarnation, e->id->addr, now + tombstone_time(), {}};
      node_map.erase(e->id->name);
      emit(*e, member_event::reaped);
      reaped.push_back(e);
    } else {
      keep.push_back(e);
    }
  }
  nodes = std::move(keep);
  for (entry* e : reaped) entries.free(e);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  size_queue();
}

void node::impl::watch_successor(time_point now) {
  entry* succ = ring_successor();
  if (succ == nullptr || (probe.active && probe.target == succ->id->name)) return;
  st.successor_watches++;
  ping p = make_ping(succ->id->name, next_seq());
  const time_point deadline = now + cfg.t.probe_timeout;
  acks[p.seq_no] =
      ack_handler{ack_handler::kind::watch, deadline, succ->id->addr, 0, false, succ->id->name};
  add_timer(deadline, timer_kind::ack, p.seq_no, {});
  if (succ->state == member_state::alive) {
    send_msg(succ->id->addr, succ, wire::encode(p));
  } else {
    suspect s{succ->incarnation, succ->id->name, cfg.name};
    raw_send_packet(succ->id->addr, succ, wire::make_compound({wire::encode(p), wire::encode(s)}));
  }
}

void node::impl::probe_node(entry& target, time_point now) {
  st.probes++;
  duration interval = health.scale(cfg.t.probe_interval);
  ping p = make_ping(target.id->name, next_seq());
  probe = probe_state{};
  probe.active = true;
  probe.target = target.id->name;
  probe.seq = p.seq_no;
  probe.start = now;
  probe.timeout_at = now + cfg.t.probe_timeout;
  probe.end_at = now + interval;
  acks[p.seq_no] = ack_handler{ack_handler::kind::probe, probe.end_at, {}, 0, false, {}};
  add_timer(probe.end_at, timer_kind::ack, p.seq_no, {});

  if (target.state == member_state::alive) {
    send_msg(target.id->addr, &target, wire::encode(p));
  } else {
    // Buddy system: the suspicion rides along so the target can refute at once.
    suspect s{target.incarnation, target.id->name, cfg.name};
    raw_send_packet(target.id->addr, &target,
                    wire::make_compound({wire::encode(p), wire::encode(s)}));
  }
}

void node::impl::probe_timeout(time_point now) {
  entry* target = lookup(probe.target);
  probe.indirect = true;
  if (target == nullptr) return;  // reaped meanwhile; the handler expiry ends the probe
  // Indirect pings through random alive members.
  auto peers = k_random_nodes(static_cast<std::size_t>(cfg.t.indirect_checks), [&](const entry& e) {
    return e.id->name == cfg.name || e.id->name == target->id->name ||
           e.state != member_state::alive;
  });
  indirect_ping_req ind;
  ind.seq_no = probe.seq;
  ind.target = bytes(target->id->addr.ip_bytes().begin(), target->id->addr.ip_bytes().end());
  ind.port = target->id->addr.port;
  ind.node = target->id->name;
  ind.source_addr = self_addr_bytes();
  ind.source_port = cfg.advertise.port;
  ind.source_node = cfg.name;
  for (entry* peer : peers) {
    ind.nack = peer->id->pmax() >= 4;
    if (ind.nack) probe.expected_nacks++;
    st.indirect_probes++;
    send_msg(peer->id->addr, peer, wire::encode(ind));
  }
  // TCP fallback: the same ping over a stream, until the end of this probe.
  if (!cfg.t.disable_tcp_pings && target->id->pmax() >= 3) {
    ping p = make_ping(target->id->name, probe.seq);  // same SeqNo as the UDP probe
    stream_id id = next_stream++;
    streams[id] = pending_stream{stream_kind::tcp_ping, probe.seq, target->id->addr};
    st.tcp_fallback_pings++;
    st.streams_out++;
    out.send_stream(id, target->id->addr, seal_frame(wire::encode(p)), true, probe.end_at);
  }
  (void)now;
}

void node::impl::finish_probe(bool acked, time_point now) {
  if (!probe.active) return;
  probe_state done = probe;
  probe = probe_state{};
  acks.erase(done.seq);
  note_probe_path(acked && !done.indirect);
  if (acked || done.tcp_ok) {
    health.apply_delta(-1);
    if (entry* t = lookup(done.target)) {
      t->last_ack = now;
      t->failures_in_row = 0;
      if (t->has_doubted_death()) {  // it answered: the death we doubted was wrong
        t->d->doubted_death.reset();
        t->settle();
      }
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
      t->probe_failed();
      if (t->state == member_state::suspect && t->failures_in_row < evidence_needed(*t, now) &&
          verify.size() < max_pending_verifications)
        verify.push_front({t->id->name, t->state_change, now});  // again at the next tick
      if (discounted(t->id->name, now) && t->id->name != cfg.name) {
        // A member whose accusations we discount, and that now fails our own probe: the
        // sick one of a grey failure. Remove it now; its refutations would outrun any
        // suspicion, and flap damping keeps it out of subscribers' lists while it flaps.
        st.deaths_of_discounted++;
        dead_node(dead{t->incarnation, t->id->name, cfg.name}, now, origin::ours);
      } else if (health.score() >= cfg.t.awareness_max_multiplier - 1 &&
                 !(t->heard_pending_at(t->incarnation) && !t->d->heard_accusers.empty()) &&
                 !t->has_doubted_death()) {
        // Our own health is at its worst (probes fail and the relays' nacks do not reach
        // us): we are the likely problem, so we do not accuse on our own (Lifeguard's local
        // health, taken one step further). Others accusing it, or holding it dead, and our
        // probe failing too is another matter.
        st.suspicions_withheld++;
      } else {
        suspect s{t->incarnation, t->id->name, cfg.name};
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

void node::impl::gossip(time_point now) {
  if (leaving) ++leave_gossip_rounds;
  auto targets = k_random_nodes(static_cast<std::size_t>(cfg.t.gossip_nodes), [&](const entry& e) {
    if (e.id->name == cfg.name) return true;
    switch (e.state) {
      case member_state::alive:
      case member_state::suspect: return false;
      case member_state::dead: return now - e.state_change > cfg.t.gossip_to_the_dead_time;
      default: return true;
    }
  });
  std::size_t avail = cfg.udp_buffer_size - compound_header_overhead - encryption_reserve();
  for (entry* e : targets) {
    auto msgs = queue.take(compound_overhead, avail, transmit_limit(), max_compound_parts);
    if (msgs.empty()) return;
    if (msgs.size() == 1)
      raw_send_packet(e->id->addr, e, std::move(msgs.front()));
    else
      raw_send_packet(e->id->addr, e, wire::make_compound(msgs));
  }
}

void node::impl::ack_expired(std::uint32_t seq, time_point at, time_point now) {
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
    if (e != nullptr && e->id->addr == h.requester && !is_dead_or_left(e->state) &&
        e->last_ack < at - cfg.t.probe_timeout &&
        now - last_watch_probe >= 2 * cfg.t.probe_interval &&
        !(probe.active && probe.target == e->id->name) && verify.size() < max_pending_verifications) {
      last_watch_probe = now;
      verify.push_front({e->id->name, now, now, true});
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

}  // namespace swim
