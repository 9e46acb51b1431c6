// swim::node: alive states, push-pull (join and anti-entropy) and merging, address checks
// before a known member moves, and Serf member intents (docs/wire.md §6.2, §7.5, §7.8, §9).

#include "swim/node_impl.hpp"

namespace swim {

duration node::impl::tombstone_time() const {
  return std::max(10 * cfg.t.gossip_to_the_dead_time, 3 * push_pull_period());
}

duration node::impl::push_pull_period() const {
  duration d = push_pull_scale(cfg.t.push_pull_interval, nodes.size());
  if (cfg.t.push_pull_budget > 0 && state_frame_bytes > 0) {
    const auto need = std::chrono::microseconds(
        static_cast<std::int64_t>(2'000'000.0 * static_cast<double>(state_frame_bytes) /
                                  static_cast<double>(cfg.t.push_pull_budget)));
    d = std::max(d, std::chrono::duration_cast<duration>(need));
  }
  return d;
}

bytes node::impl::state_frame(bool join) {
  bytes f = stream_frame(wire::encode(local_state(join)));
  state_frame_bytes = f.size();
  return f;
}

void node::impl::periodic_push_pull(time_point now) {
  auto peers = k_random_nodes(1, [&](const entry& e) {
    return e.id->name == cfg.name || e.state != member_state::alive;
  });
  if (peers.empty()) return;
  start_push_pull(peers.front()->id->addr, false, now);
}

push_pull node::impl::local_state(bool join) const {
  push_pull pp;
  pp.join = join;
  pp.states.reserve(nodes.size());
  for (const auto& e : nodes) {
    push_node_state s;
    s.name = e->id->name;
    s.addr = e->id->addr.ip_bytes();
    s.port = e->id->addr.port;
    s.meta = e->id->meta;
    s.incarnation = e->incarnation;
    s.state = e->state;
    s.vsn = vsn_bytes(e->id->vsn);
    pp.states.push_back(std::move(s));
  }
  return pp;
}

bytes node::impl::stream_frame(bytes frame) const {
  return seal_frame(cfg.enable_compression ? wire::compress(frame) : std::move(frame));
}

void node::impl::note_new_member(time_point now) {
  last_new_member = now;
  ++new_since_exchange;
  if (repair_pending || new_since_exchange < wave_size()) return;
  repair_pending = true;
  repair_not_before = now;
  repair_gap = cfg.t.push_pull_interval;
  repair_at_latest = now + repair_gap;
}

void node::impl::start_push_pull(const address& to, bool join, time_point now) {
  new_since_exchange = 0;
  stream_id id = next_stream++;
  streams[id] = pending_stream{join ? stream_kind::push_pull_join : stream_kind::push_pull, 0, to};
  st.streams_out++;
  out.send_stream(id, to, state_frame(join), true, now + cfg.t.tcp_timeout);
}

bool node::impl::verify_protocol(const std::vector<push_node_state>& remote) const {
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
    if (e->state == member_state::alive) widen(e->id->vsn.data());
  auto in_range = [&](std::uint8_t pcur, std::uint8_t dcur) {
    return pcur >= max_pmin && pcur <= min_pmax && dcur >= max_dmin && dcur <= min_dmax;
  };
  for (const auto& r : remote) {
    if (r.vsn.size() != 6) return false;  // an empty Vsn counts as version 0: incompatible
    if (!in_range(r.vsn[2], r.vsn[5])) return false;
  }
  for (const auto& e : nodes)
    if (!in_range(e->id->vsn[2], e->id->vsn[5])) return false;
  return true;
}

bool node::impl::merge_remote(const push_pull& pp, time_point now) {
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
              e->state == member_state::alive)
            e->d->doubted_death = dead{r.incarnation, r.name, cfg.name};
        }
        break;
    }
  }
  st.push_pulls++;
  if (!pp.user_state.empty()) events.on_remote_state(pp.user_state);
  return true;
}

void node::impl::alive_node(const alive& a, time_point now, bool bootstrap, bool old_addr_silent) {
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
    std::array<std::uint8_t, 6> versions{};
    if (a.vsn.size() >= 6) std::copy_n(a.vsn.begin(), 6, versions.begin());
    e = entries.make();
    set_identity(*e, a.node, *addr, a.meta, versions);
    e->state = member_state::dead;  // so the join below is reported as one
    e->state_change = now;
    node_map.insert(e);
    // Insert at a random offset so the new member's first probe is not delayed a round.
    std::size_t n = nodes.size();
    std::size_t offset = random_offset(n + 1);
    nodes.push_back(e);
    std::swap(nodes[offset], nodes[n]);
    size_queue();
    is_new = true;
    note_new_member(now);
  } else if (!(e->id->addr == *addr)) {
    bool can_reclaim = cfg.t.dead_node_reclaim_time > duration::zero() &&
                       now - e->state_change > cfg.t.dead_node_reclaim_time;
    if (e->state == member_state::left || (e->state == member_state::dead && can_reclaim)) {
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
  bool clears_at_top = a.incarnation == max_incarnation && e->incarnation == max_incarnation &&
                       (e->state == member_state::suspect || e->state == member_state::dead);
  if (a.incarnation <= e->incarnation && !is_local && !updates_node && !is_new &&
      !clears_at_top)
    return;
  if (a.incarnation < e->incarnation && is_local) return;

  if (e->susp() != nullptr && e->state == member_state::suspect && !is_local)
    note_wrong_accusers(*e->susp(), now);  // it was alive after all
  if (e->d) e->d->susp.reset();
  member_state old_state = e->state;
  const identity_pool::handle old_id = e->id;

  if (!bootstrap && is_local) {
    if (a.incarnation == e->incarnation && a.meta == e->id->meta && a.vsn == vsn_bytes(e->id->vsn))
      return;
    refute(*e, a.incarnation);
    return;  // our own state is not changed by someone else's alive about us
  }
  broadcast(a.node, wire::encode(a));
  std::array<std::uint8_t, 6> versions = e->id->vsn;
  if (a.vsn.size() >= 6) std::copy_n(a.vsn.begin(), 6, versions.begin());
  e->incarnation = a.incarnation;
  set_identity(*e, a.node, *addr, a.meta, versions);
  if (e->d) {
    // A suspicion heard at an older incarnation is refuted by this one: nothing reads it.
    if (e->d->heard_pending && e->d->heard_inc < a.incarnation) e->d->heard_pending = false;
    e->settle();
  }
  if (e->state != member_state::alive) {
    set_state(*e, member_state::alive, now);
  }
  if (is_local) return;  // no events about ourselves
  if (old_state == member_state::dead || old_state == member_state::left)
    emit(*e, member_event::join);
  else if (old_state == member_state::suspect) {
    note_suspicion_outcome(*e, /*was_false=*/true);
    emit(*e, member_event::refuted);
  }
  else if (old_id->meta != e->id->meta || !(old_id->addr == e->id->addr))
    emit(*e, member_event::update);
}

void node::impl::report_conflict(const entry& e, const address& addr, const bytes& meta) {
  st.conflicts++;
  member other = to_member(e);
  other.addr = addr;
  other.meta = meta;
  events.on_conflict(to_member(e), other);
}

void node::impl::check_old_address(const entry& e, const alive& a, time_point now) {
  if (auto it = addr_checks.find(a.node); it != addr_checks.end()) {
    if (a.incarnation > it->second.claim.incarnation) it->second.claim = a;
    return;
  }
  if (addr_checks.size() >= max_addr_checks) return;  // later gossip or push-pull retries
  addr_check& c = addr_checks[a.node];
  c.claim = a;
  c.old_addr = e.id->addr;
  c.until = now + cfg.t.probe_interval;
  st.address_checks++;
  ping_old_address(a.node, c, now);
  if (cfg.t.probe_timeout < cfg.t.probe_interval)
    add_timer(now + cfg.t.probe_timeout, timer_kind::addr_check, 0, a.node);
  add_timer(c.until, timer_kind::addr_check, 0, a.node);
}

void node::impl::ping_old_address(const std::string& name, const addr_check& c, time_point now) {
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

void node::impl::old_address_answered(const std::string& name) {
  auto it = addr_checks.find(name);
  if (it == addr_checks.end()) return;
  addr_check c = std::move(it->second);
  addr_checks.erase(it);
  const entry* e = lookup(name);
  auto addr = address::from_ip_bytes(c.claim.addr,
                                     c.claim.port == 0 ? cfg.advertise.port : c.claim.port);
  if (e != nullptr && addr) report_conflict(*e, *addr, c.claim.meta);
}

void node::impl::addr_check_due(const std::string& name, time_point now) {
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

void node::impl::user_message(const bytes& payload, time_point now) {
  // Keep the Serf Lamport clock ahead of every intent we see, so our own intents order
  // after them (docs/wire.md §9.4).
  if (auto i = serf::decode_intent(payload)) {
    if (i->ltime >= ltime) ltime = i->ltime + 1;
    member_intent(*i, now);
  }
  events.on_user_message(payload);
}

void node::impl::member_intent(const serf::intent& i, time_point now) {
  entry* e = lookup(i.node);
  if (e == nullptr || i.ltime <= e->intent_ltime) return;
  e->intent_ltime = i.ltime;
  if (i.type != serf::message_type::leave) return;
  if (e->id->name == cfg.name) {
    if (!leaving && cfg.serf_compat) send_join_intent();
    return;
  }
  if (e->state != member_state::dead) return;
  mark_left(*e, now);
  broadcast("_serf_leave:" + e->id->name, serf::encode_intent(i));
}

void node::impl::mark_left(entry& e, time_point now) {
  set_state(e, member_state::left, now);
  emit(e, member_event::left);
}

void node::impl::send_join_intent() {
  if (!cfg.serf_compat) return;
  serf::intent i{serf::message_type::join, ltime, cfg.name, false};
  ltime++;
  broadcast("_serf_intent", serf::encode_intent(i));
  join_intent_sent = true;
}

}  // namespace swim
