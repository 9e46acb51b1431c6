// swim::node: suspicions and deaths, refutations, first-hand evidence before a death, and
// accusers whose accusations proved wrong (docs/wire.md §7.5-7.6).

#include "swim/node_impl.hpp"

namespace swim {

void node::impl::answer_stale_accusation(const std::string& accuser, time_point now) {
  entry* to = lookup(accuser);
  if (to == nullptr || to->id->name == cfg.name || is_dead_or_left(to->state)) return;
  auto [it, fresh] = stale_answers.try_emplace(accuser, now);
  if (!fresh && now - it->second < cfg.t.probe_interval) return;
  it->second = now;
  if (stale_answers.size() > 4096) stale_answers.clear();  // bounded; only a rate limit
  entry* me = self_entry();
  st.stale_accusations_answered++;
  raw_send_packet(to->id->addr, to, wire::encode(self_alive(me->incarnation, me->id->meta)));
}

bool node::impl::unanswerable(std::uint32_t incarnation, const entry& e, origin from) {
  if (from == origin::ours || incarnation != max_incarnation || e.id->name == cfg.name)
    return false;
  st.top_accusations_ignored++;
  return true;
}

bool node::impl::may_confirm(const suspect& s) {
  if (s.from == cfg.name || s.from == s.node) return false;
  const entry* c = lookup(s.from);
  return c != nullptr && c->state == member_state::alive;
}

void node::impl::pass_on_heard_suspicion(entry& e, const suspect& s, time_point now) {
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
    send_msg(e.id->addr, &e, wire::encode(s));
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
  emit(e, member_event::accused);
  const double checkers = static_cast<double>(cfg.t.suspicion_mult);
  const double others = static_cast<double>(std::max<std::size_t>(1, num_others()));
  if (std::uniform_real_distribution<double>(0, 1)(rng) < checkers / others &&
      verify.size() < max_pending_verifications)
    verify.push_back({s.node, now, now});
}

node::impl::entry* node::impl::accused(const std::string& name, std::uint32_t incarnation,
                                       const std::string& accuser, time_point now, origin from) {
  entry* e = lookup(name);
  if (e == nullptr) return nullptr;
  if (incarnation < e->incarnation) {
    if (e->id->name == cfg.name && !leaving) answer_stale_accusation(accuser, now);
    return nullptr;
  }
  if (unanswerable(incarnation, *e, from)) return nullptr;
  return e;
}

void node::impl::suspect_node(const suspect& s, time_point now, origin from) {
  entry* e = accused(s.node, s.incarnation, s.from, now, from);
  if (e == nullptr) return;
  if (from == origin::heard && discounted(s.from, now)) {
    st.accusations_discounted++;
    return;
  }
  if (suspicion* running = e->susp()) {
    if (from == origin::ours && doubted_death_due(*e, now)) {
      // A death we doubted while it still answered us, now that our own probes failed too.
      take_doubted_death(*e, now);
      return;
    }
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
  if (e->state != member_state::alive) return;
  if (e->id->name == cfg.name) {
    refute(*e, s.incarnation, s.from);
    return;
  }
  if (from == origin::heard) {
    pass_on_heard_suspicion(*e, s, now);
    return;
  }
  broadcast(s.node, wire::encode(s));
  e->incarnation = s.incarnation;
  set_state(*e, member_state::suspect, now);
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
      if (who != s.from && c != nullptr && c->state == member_state::alive) h.susp->confirm(who, now);
    }
  }
  h.heard_pending = false;
  h.heard_accusers.clear();
  if (doubted_death_due(*e, now)) {
    // A death we doubted (for its declarer, or since it answered us), now that our own
    // probe failed too.
    emit(*e, member_event::suspect);
    take_doubted_death(*e, now);
    return;
  }
  // Short of evidence, a doubted death waits for our next probes (verify, below); one
  // about an older incarnation is moot.
  if (h.doubted_death && h.doubted_death->incarnation < e->incarnation) h.doubted_death.reset();
  add_timer(h.susp->deadline(), timer_kind::suspicion, 0, s.node);
  // Our own probe failed already when we raised it; either way we gather first-hand
  // evidence one interval in, and then at every probe tick until it answers or has failed
  // evidence_needed() times (hold_death), well before the minimum timeout.
  if (verify.size() < max_pending_verifications)
    verify.push_back({s.node, now, now + cfg.t.probe_interval});
  emit(*e, member_event::suspect);
}

void node::impl::announce_dead(const dead& d) {
  const bytes msg = wire::encode(d);
  auto targets = sample_nodes(announce_fanout, [&](const entry& x) {
    return x.id->name == cfg.name || x.id->name == d.node || is_dead_or_left(x.state);
  });
  for (entry* t : targets) send_msg(t->id->addr, t, msg);
}

void node::impl::suspicion_expired(const std::string& name, time_point now) {
  entry* e = lookup(name);
  if (e == nullptr || e->susp() == nullptr || e->state != member_state::suspect) return;
  if (e->susp()->deadline() > now) return;  // moved; a newer timer entry exists
  if (e->hold_until() > now) return;        // held back; a newer timer entry exists
  if (hold_death(*e, now)) return;
  st.deaths_declared++;
  const dead d{e->incarnation, e->id->name, cfg.name};
  dead_node(d, now, origin::ours);
  announce_dead(d);
}

bool node::impl::hold_death(entry& e, time_point now) {
  const time_point since = e.state_change;
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
  add_timer(until, timer_kind::suspicion, 0, e.id->name);
  if (verify.size() < max_pending_verifications) verify.push_front({e.id->name, since, now});
  return true;
}

void node::impl::note_wrong_accusers(const suspicion& s, time_point now) {
  for (const auto& who : s.accusers())
    if (who != cfg.name) wrong_accusations.add(who, now, accuser_window());
}

bool node::impl::discounted(const std::string& who, time_point now) {
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

bool node::impl::doubted_death_due(const entry& e, time_point now) {
  return e.has_doubted_death() && e.d->doubted_death->incarnation >= e.incarnation &&
         e.failures_in_row >= evidence_needed(e, now);
}

void node::impl::take_doubted_death(entry& e, time_point now) {
  const dead d = *e.d->doubted_death;
  e.d->doubted_death.reset();
  dead_node(d, now, origin::heard);
}

int node::impl::evidence_needed(const entry& e, time_point now) {
  // A member whose own accusations we discount (a sick NIC, a starved CPU) is the problem:
  // one failed probe of ours is evidence enough to remove it (and flap damping keeps it out
  // of published lists while it keeps coming back).
  if (discounted(e.id->name, now)) return 1;
  const int wrong = std::popcount(suspicion_history & 0xffffu);
  if (wrong == 0) return 1;  // our recent suspicions were right (crashes, partitions): none
  if (wrong <= 2) return 2;
  if (wrong <= 5) return 3;
  return 4;                  // most were wrong: heavy loss
}

void node::impl::note_suspicion_outcome(entry& e, bool was_false) {
  if (!e.suspected_by_us) return;
  e.suspected_by_us = false;
  suspicion_history = (suspicion_history << 1) | (was_false ? 1u : 0u);
}

duration node::impl::suspicion_max_for(std::size_t n) const {
  return suspicion_min_timeout(cfg.t.suspicion_mult, n, cfg.t.probe_interval) *
         cfg.t.suspicion_max_timeout_mult;
}

void node::impl::dead_node(const dead& d, time_point now, origin from) {
  entry* e = accused(d.node, d.incarnation, d.from, now, from);
  if (e == nullptr) return;
  if (from == origin::heard && d.node != d.from && d.from != cfg.name && e->id->name != cfg.name &&
      e->state == member_state::alive) {
    // A death of a member we hold alive, declared by a member we suspect (or hold dead):
    // the likely problem is the declarer (a sick NIC, one-way reachability), as with its
    // accusations. (When we suspect the member ourselves, the death stands.)
    const entry* by = lookup(d.from);
    if (by != nullptr && by->state != member_state::alive) {
      // Not taken; checked with our own probe at the next tick instead, so a real death
      // is still found when the declarer only looked suspect to us for a moment.
      st.accusations_ignored++;
      e->doubt().doubted_death = d;  // taken if our own probe fails too (suspect_node)
      if (verify.size() < max_pending_verifications) verify.push_front({d.node, now, now, true});
      return;
    }
  }
  if (from == origin::heard && d.node != d.from && e->id->name != cfg.name &&
      e->last_ack > e->last_failure &&
      ((e->state == member_state::suspect && e->last_ack > e->state_change) ||
       (e->state == member_state::alive && e->heard_pending_at(d.incarnation) &&
        e->last_ack > e->d->heard_since))) {
    // It answered our own probe after the suspicion began, and has not failed one since: the
    // death is hearsay from a member that missed the refutation. Keep it as it is; our timer
    // and probes decide.
    st.deaths_refused++;
    if (!e->has_doubted_death()) {
      // But it may have failed since it answered us: a crash soon after a wrong suspicion
      // that it never refuted brings a true death at the same incarnation, and our
      // round-robin may not probe it for many intervals. Our own probes from the next tick
      // on decide: as many failures in a row as our suspicions need take this death
      // (doubted_death_due), an answer forgets it (finish_probe).
      e->doubt().doubted_death = d;
      if (verify.size() < max_pending_verifications) verify.push_front({d.node, now, now, true});
    }
    return;
  }
  if (e->d) {
    e->d->susp.reset();
    e->d->doubted_death.reset();  // taken, or out-bid by this one
    e->settle();
  }
  if (is_dead_or_left(e->state)) return;
  if (e->id->name == cfg.name) {
    if (!leaving) {
      refute(*e, d.incarnation, d.from);
      return;
    }
    leave_broadcast = queue.push(d.node, wire::encode(d));
    st.broadcasts_queued++;
  } else {
    broadcast(d.node, wire::encode(d));
  }
  e->incarnation = d.incarnation;
  set_state(*e, d.node == d.from ? member_state::left : member_state::dead, now);
  if (e->id->name != cfg.name) {
    note_suspicion_outcome(*e, /*was_false=*/false);
    emit(*e, e->state == member_state::left ? member_event::left : member_event::dead);
  }
}

void node::impl::refute(entry& self, std::uint32_t accused, const std::string& accuser) {
  // max(ours + 1, accused + 1), saturating: an accusation at 0xFFFFFFFF is answered at
  // 0xFFFFFFFF, never at 0 (which every peer would ignore as older, leaving us dead).
  if (accused > incarnation) incarnation = accused;
  std::uint32_t inc = next_incarnation();
  self.incarnation = inc;
  health.apply_delta(1);
  st.refutations++;
  bytes msg = wire::encode(self_alive(inc, self.id->meta));
  // The accuser is the one member sure to be running a suspicion timer on us; gossip
  // may miss it (more so under loss), so it also gets the refutation directly.
  if (entry* to = accuser.empty() ? nullptr : lookup(accuser);
      to != nullptr && to != &self && !is_dead_or_left(to->state)) {
    st.refutations_sent_direct++;
    raw_send_packet(to->id->addr, to, msg);
  }
  broadcast(self.id->name, std::move(msg));
}

}  // namespace swim
