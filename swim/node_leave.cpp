// swim::node: the acknowledged graceful leave (docs/wire.md §7.9).

#include "swim/node_impl.hpp"

namespace swim {

bool node::impl::leave_complete() const {
  if (!leaving) return false;
  // The kept count of live members, less ourselves while our own entry still counts (it is
  // left once the leave's dead about us was processed).
  const bool self_live = !is_dead_or_left(self_entry()->state);
  const std::size_t live_peers = live - (self_live ? 1 : 0);
  if (live_peers == 0) return true;
  // Acknowledged peers stay alive in our table, so they are among live_peers. Acknowledged,
  // we also give gossip retransmit_mult rounds (or until the leave's transmits are spent) to
  // carry it beyond the peers we told: the process exits once this is true.
  return leave_acked.size() >= std::min(leave_acks_needed, live_peers) &&
         (leave_gossip_rounds >= cfg.t.retransmit_mult || !queue.pending(leave_broadcast));
}

std::size_t node::impl::leave_asks_in_flight() const {
  return static_cast<std::size_t>(
      std::count_if(leave_pings.begin(), leave_pings.end(),
                    [&](const auto& kv) { return acks.count(kv.first) != 0; }));
}

void node::impl::send_leave_round(time_point now) {
  const std::size_t in_flight = leave_asks_in_flight();
  if (in_flight >= leave_acks_needed + 1) return;  // enough in flight
  // Every candidate, then a random few: random picks alone (kRandomNodes) can miss the only
  // peer of a two-member cluster, and a round that asks nobody arms no retry. Alive peers
  // first; suspect ones (live, and maybe only slow) when no alive peer is left to ask.
  std::vector<entry*> alive_peers, suspect_peers;
  for (const auto& e : nodes) {
    if (e->id->name == cfg.name || leave_acked.count(e->id->name) != 0) continue;
    if (std::any_of(leave_pings.begin(), leave_pings.end(), [&](const auto& kv) {
          return kv.second == e->id->name && acks.count(kv.first) != 0;
        }))
      continue;
    if (e->state == member_state::alive) alive_peers.push_back(e);
    if (e->state == member_state::suspect) suspect_peers.push_back(e);
  }
  std::vector<entry*>& peers = alive_peers.empty() ? suspect_peers : alive_peers;
  for (std::size_t i = peers.size(); i > 1; --i) std::swap(peers[i - 1], peers[random_offset(i)]);
  if (peers.size() > leave_acks_needed + 1 - in_flight)
    peers.resize(leave_acks_needed + 1 - in_flight);
  for (entry* peer : peers) {
    ping p = make_ping(peer->id->name, next_seq());
    const time_point deadline = now + cfg.t.probe_interval;
    acks[p.seq_no] = ack_handler{ack_handler::kind::leave, deadline, {}, 0, false, {}};
    add_timer(deadline, timer_kind::ack, p.seq_no, {});
    leave_pings[p.seq_no] = peer->id->name;
    // The Serf leave intent first, as the gossip sends it, so Serf shows "left", not "failed".
    std::vector<bytes> parts{wire::encode(p)};
    if (!leave_intent.empty()) parts.push_back(leave_intent);
    parts.push_back(leave_dead);
    raw_send_packet(peer->id->addr, peer, wire::make_compound(parts));
  }
}

void node::impl::check_leave_complete() {
  if (leave_reported || !leave_complete()) return;
  leave_reported = true;
  events.on_leave_complete();
}

}  // namespace swim
