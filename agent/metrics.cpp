// /metrics: the agent's status as Prometheus families (agent/exposition.hpp writes the
// format). Counters end in `_total`.

#include "agent/metrics.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/discovery_metrics.hpp"
#include "agent/exposition.hpp"
#include "peerlib/protocol.hpp"
#include "swim/member.hpp"
#include "swim/tags.hpp"
#include "swim/wire.hpp"

namespace agent {
namespace {

/// One series per wire::error (except ok), labelled `reason`.
void by_reason(exposition& m, std::string_view name, std::string_view help,
               const std::array<std::uint64_t,
                                static_cast<std::size_t>(swim::wire::error::count_)>& counts) {
  m.family(name, "counter", help);
  for (std::size_t i = 1; i < counts.size(); ++i) {
    m.sample(name, {{"reason", swim::wire::to_string(static_cast<swim::wire::error>(i))}},
             counts[i]);
  }
}

}  // namespace

std::string render_metrics(const status& s) {
  exposition m;
  const auto& n = s.node;
  const auto& d = s.driver;
  const auto& a = s.agent;

  // ---- identity and lifecycle ----
  m.family("cachecluster_build_info", "gauge", "Always 1; the version label names the build.");
  m.sample("cachecluster_build_info", {{"version", s.version}}, std::uint64_t{1});
  m.family("cachecluster_node_info", "gauge", "Always 1; the node label is this member's name.");
  m.sample("cachecluster_node_info", {{"node", s.node_name}}, std::uint64_t{1});
  m.gauge("cachecluster_ready", "1 once join or discovery completed, else 0.",
          std::uint64_t{s.ready ? 1u : 0u});
  m.gauge("cachecluster_local_mode", "1 while the published peer list is only this node.",
          std::uint64_t{s.local_mode ? 1u : 0u});
  m.gauge("cachecluster_leaving", "1 while a graceful leave is in progress.",
          std::uint64_t{s.leaving ? 1u : 0u});
  m.gauge("cachecluster_uptime_seconds", "Seconds since the agent started.", s.uptime_seconds);

  // ---- the check of the local cache ([cache] check), and the members whose check fails ----
  if (s.cache.configured) {
    m.gauge("cachecluster_cache_check_up",
            "1 while this node's cache check passes (listed), 0 while it fails or has not passed "
            "yet since start (out of every peer list).",
            std::uint64_t{s.cache.state == cache_state::up ? 1u : 0u});
    m.family("cachecluster_cache_checks_total", "counter", "Checks of the local cache, by result.");
    m.sample("cachecluster_cache_checks_total", {{"result", "passed"}}, s.cache.passed);
    m.sample("cachecluster_cache_checks_total", {{"result", "failed"}}, s.cache.failed);
    m.counter("cachecluster_cache_check_transitions_total",
              "Times this node was listed or unlisted by its cache check.", s.cache.transitions);
  }
  std::uint64_t cache_down = 0;
  for (const auto& mem : s.members) {
    if (mem.state != swim::member_state::alive && mem.state != swim::member_state::suspect)
      continue;
    const auto tags = swim::decode_tags(mem.meta).value_or(swim::tag_map{});
    const auto it = tags.find(peerlib::protocol::cache_tag);
    if (it != tags.end() && it->second == peerlib::protocol::cache_down) cache_down++;
  }
  m.gauge("cachecluster_members_cache_down",
          "Live members (this node included) whose cache check fails: out of every peer list.",
          cache_down);

  // ---- membership ----
  std::array<std::uint64_t, 4> by_state{};
  for (const auto& mem : s.members) {
    auto i = static_cast<std::size_t>(mem.state);
    if (i < by_state.size()) by_state[i]++;
  }
  m.family("cachecluster_members", "gauge", "Known members by state, this node included.");
  for (auto st : {swim::member_state::alive, swim::member_state::suspect, swim::member_state::dead,
                  swim::member_state::left}) {
    m.sample("cachecluster_members", {{"state", swim::to_string(st)}},
             by_state[static_cast<std::size_t>(st)]);
  }
  m.gauge("cachecluster_health_score",
          "Lifeguard local health (awareness): 0 is healthy, higher slows probing.",
          s.health_score);
  m.counter("cachecluster_member_flaps_total",
            "Members seen failing (alive or suspect to dead); flap damping penalises each.",
            s.flaps_total);
  m.gauge("cachecluster_members_suppressed",
          "Members held out of the peer list for flapping, until their penalty decays.",
          static_cast<std::uint64_t>(s.members_suppressed));
  m.gauge("cachecluster_members_grey",
          "Members held out of the peer list because they are suspected far more often than "
          "the others (grey failure).",
          static_cast<std::uint64_t>(s.members_grey));
  m.counter("cachecluster_grey_holds_total",
            "Times a member was held out of the peer list as grey.", s.grey_holds_total);

  // ---- failure detection ----
  m.counter("cachecluster_probes_total", "Direct probes (pings) started.", n.probes);
  m.counter("cachecluster_probe_failures_total",
            "Probes that got no ack, direct, indirect or over TCP.", n.probe_failures);
  m.counter("cachecluster_indirect_probes_total", "Indirect ping requests sent to helpers.",
            n.indirect_probes);
  m.counter("cachecluster_tcp_fallback_pings_total", "Pings retried over TCP after a UDP miss.",
            n.tcp_fallback_pings);
  m.counter("cachecluster_suspicions_raised_total", "Members this node started suspecting.",
            n.suspicions_raised);
  m.counter("cachecluster_refutations_total",
            "Suspicions or deaths about this node that it refuted.", n.refutations);
  m.counter("cachecluster_deaths_declared_total",
            "Suspicion timers of this node that expired into dead.", n.deaths_declared);
  m.counter("cachecluster_deaths_held_total",
            "Suspicion expiries held back for want of first-hand evidence (lossy network).",
            n.deaths_held);
  m.counter("cachecluster_deaths_refused_total",
            "Heard deaths not applied: the suspect answered our own probe since.", n.deaths_refused);
  m.counter("cachecluster_suspicion_history_cleared_total",
            "Records of our wrong suspicions forgotten after 16 probes in a row answered at once.",
            n.suspicion_history_cleared);
  m.counter("cachecluster_deaths_by_refusal_total",
            "Members declared dead at once: their host refused our TCP connect.",
            n.deaths_by_refusal);
  m.counter("cachecluster_connections_refused_total",
            "TCP connects to a member's address that its host refused.", n.connections_refused);
  m.counter("cachecluster_suspicions_withheld_total",
            "Failed probes that raised no suspicion because our own health was at its worst.",
            n.suspicions_withheld);
  m.counter("cachecluster_accusations_discounted_total",
            "Heard suspicions ignored: their accuser's accusations keep proving wrong.",
            n.accusations_discounted);
  m.counter("cachecluster_deaths_of_discounted_total",
            "Members removed on one failed probe because their own accusations kept proving wrong.",
            n.deaths_of_discounted);
  m.counter("cachecluster_suspicions_verified_total",
            "Suspicions learned from others that this node re-checked with its own probe.",
            n.suspicions_verified);
  m.counter("cachecluster_suspicions_passed_on_total",
            "Suspicions of members held alive, heard from others: passed on, not taken.",
            n.suspicions_passed_on);
  m.counter("cachecluster_accusations_ignored_total",
            "Heard suspicions and deaths from members not held alive, ignored.",
            n.accusations_ignored);
  m.counter("cachecluster_successor_watches_total",
            "Watch pings sent to the ring successor between probes.", n.successor_watches);
  m.counter("cachecluster_refutations_sent_direct_total",
            "Refutations also sent straight to the accuser.", n.refutations_sent_direct);
  m.counter("cachecluster_stale_accusations_answered_total",
            "Outdated suspicions of this node answered with its current alive.",
            n.stale_accusations_answered);
  m.counter("cachecluster_accusations_in_acks_total",
            "Acks that told a pinger this node held suspect or dead.", n.accusations_in_acks);
  m.counter("cachecluster_conflicts_total",
            "Alive messages that claimed a known member's name from another address.", n.conflicts);
  m.counter("cachecluster_ignored_pings_total", "Pings addressed to another node name.",
            n.ignored_pings);

  // ---- state exchange ----
  m.counter("cachecluster_push_pulls_total", "Push-pull state exchanges completed.", n.push_pulls);
  m.counter("cachecluster_repair_push_pulls_total",
            "Push-pulls started after the join because the member table kept growing.",
            n.repair_push_pulls);
  m.counter("cachecluster_push_pull_failures_total", "Push-pull exchanges that failed.",
            n.push_pull_failures);
  m.counter("cachecluster_joins_total", "Join push-pulls that succeeded.", n.joins);

  // ---- forged-input defences (docs/wire.md §6.2, §7.5, §7.6) ----
  m.counter("cachecluster_incarnation_saturated_total",
            "Refutations or meta changes of this node at the top incarnation (0xFFFFFFFF).",
            n.incarnation_saturated);
  m.counter("cachecluster_top_accusations_ignored_total",
            "Heard suspect/dead messages about another member at incarnation 0xFFFFFFFF, ignored.",
            n.top_accusations_ignored);
  m.counter("cachecluster_confirmations_ignored_total",
            "Suspect messages not counted as confirmations: From is not a member held alive.",
            n.confirmations_ignored);
  m.counter("cachecluster_address_checks_total",
            "Pings of a member's old address before moving its name to another address.",
            n.address_checks);
  m.counter("cachecluster_push_pull_new_members_refused_total",
            "New members a push-pull brought beyond max_push_pull_new_members, skipped.",
            n.push_pull_new_members_refused);
  m.counter("cachecluster_members_refused_table_full_total",
            "New members refused because the member table held max_members.",
            n.members_refused_table_full);

  // ---- traffic ----
  m.counter("cachecluster_gossip_packets_received_total", "UDP gossip packets received.",
            n.packets_in);
  m.counter("cachecluster_gossip_packets_sent_total", "UDP gossip packets sent.", n.packets_out);
  m.counter("cachecluster_gossip_received_bytes_total", "UDP gossip bytes received.", n.bytes_in);
  m.counter("cachecluster_gossip_sent_bytes_total", "UDP gossip bytes sent.", n.bytes_out);
  m.counter("cachecluster_streams_received_total", "TCP stream messages handled.", n.streams_in);
  m.counter("cachecluster_streams_sent_total", "TCP streams opened to peers.", n.streams_out);
  m.counter("cachecluster_broadcasts_queued_total", "Broadcasts put on the gossip queue.",
            n.broadcasts_queued);
  m.gauge("cachecluster_broadcast_queue_depth", "Broadcasts waiting in the gossip queue.",
          static_cast<std::uint64_t>(s.queued_broadcasts));
  m.family("cachecluster_broadcast_queue_class_depth", "gauge",
           "Broadcasts waiting in the gossip queue, by class (membership changes, user messages).");
  m.sample("cachecluster_broadcast_queue_class_depth", {{"class", "membership"}},
           static_cast<std::uint64_t>(s.queued_membership));
  m.sample("cachecluster_broadcast_queue_class_depth", {{"class", "user"}},
           static_cast<std::uint64_t>(s.queued_user));
  m.family("cachecluster_broadcasts_dropped_total", "counter",
           "Broadcasts dropped because the gossip queue held its bound of that class.");
  m.sample("cachecluster_broadcasts_dropped_total", {{"class", "membership"}}, s.dropped_membership);
  m.sample("cachecluster_broadcasts_dropped_total", {{"class", "user"}}, s.dropped_user);
  by_reason(m, "cachecluster_dropped_packets_total", "UDP packets dropped as malformed, by reason.",
            n.drops);

  // ---- sockets ----
  m.counter("cachecluster_inbound_streams_total", "Inbound TCP connections accepted.",
            d.inbound_streams);
  m.counter("cachecluster_inbound_streams_rejected_total",
            "Inbound TCP connections closed because too many were open.",
            d.inbound_streams_rejected);
  m.counter("cachecluster_stream_timeouts_total", "TCP exchanges that passed their deadline.",
            d.stream_timeouts);
  m.counter("cachecluster_stream_connect_failures_total", "Outbound TCP connects that failed.",
            d.stream_connect_failures);
  m.counter("cachecluster_udp_send_errors_total", "UDP sends the kernel refused.",
            d.udp_send_errors);
  m.counter("cachecluster_icmp_port_unreachable_total",
            "ICMP port unreachable from the member host we sent to (its agent is gone).",
            d.icmp_port_unreachable);
  m.counter("cachecluster_icmp_errors_ignored_total",
            "Other ICMP errors for our datagrams, including any not sent by the addressed host.",
            d.icmp_errors_other);
  by_reason(m, "cachecluster_dropped_stream_frames_total",
            "Inbound TCP stream frames dropped as malformed, by reason.", d.stream_drops);

  // ---- publishing and control ----
  m.gauge("cachecluster_subscribers", "Peer-list subscribers connected now.", a.subscribers);
  m.counter("cachecluster_subscribers_connected_total", "Peer-list subscribers ever connected.",
            a.subscribers_total);
  m.counter("cachecluster_publishes_total", "Peer-list snapshots published.", a.publishes);
  m.counter("cachecluster_snapshots_skipped_total",
            "Snapshots a slow subscriber never saw because a newer one replaced it.",
            a.snapshots_skipped);
  m.gauge("cachecluster_snapshot_version", "Version of the last published peer-list snapshot.",
          s.snapshot_version);
  m.counter("cachecluster_control_requests_total", "Control socket requests.", a.control_requests);
  m.counter("cachecluster_control_errors_total", "Malformed control socket requests.",
            a.control_errors);
  m.counter("cachecluster_control_refused_total",
            "Control socket requests refused: the op needs root or the agent's uid.",
            a.control_refused);
  m.gauge("cachecluster_control_sessions",
          "Control socket connections open now, subscribers included.", a.control_sessions);
  m.counter("cachecluster_control_sessions_rejected_total",
            "Control socket connections closed at once because max_sessions were open.",
            a.control_sessions_rejected);

  // Serf's user events and queries (agent/serf_queries, docs/wire.md §9.6).
  const auto& q = s.serf;
  m.counter("cachecluster_serf_events_total",
            "Serf user events seen for the first time (each gossiped on once).", q.events);
  m.counter("cachecluster_serf_queries_total", "Serf queries seen for the first time.", q.queries);
  m.counter("cachecluster_serf_queries_relayed_total",
            "Serf queries gossiped on (all new ones but those flagged no-broadcast).",
            q.queries_relayed);
  m.counter("cachecluster_serf_duplicates_total", "Serf events and queries seen before.",
            q.duplicates);
  m.counter("cachecluster_serf_too_old_total",
            "Serf events and queries older than the 512 Lamport times remembered: dropped.",
            q.too_old);
  m.counter("cachecluster_serf_queries_filtered_total",
            "Serf queries whose node or tag filters leave this agent out.", q.filtered);
  m.counter("cachecluster_serf_query_acks_sent_total",
            "Acks sent to Serf queriers (serf reachability, serf query).", q.acks_sent);
  m.counter("cachecluster_serf_key_responses_sent_total",
            "Answers sent to Serf's key queries (install, use, remove, list).", q.responses_sent);
  m.counter("cachecluster_serf_key_changes_total",
            "Key operations applied from Serf's key queries, ours included.", q.key_changes);
  m.counter("cachecluster_serf_response_relays_sent_total",
            "Copies of our acks and answers sent through other members (query RelayFactor).",
            q.response_relays_sent);
  m.counter("cachecluster_serf_relays_forwarded_total",
            "Serf relay messages forwarded to their destination.", q.relays_forwarded);
  m.counter("cachecluster_serf_key_queries_issued_total",
            "Key queries this agent sent (cachecluster keys).", q.queries_issued);
  m.counter("cachecluster_serf_key_responses_received_total",
            "Answers received to this agent's key queries.", q.responses_received);
  m.counter("cachecluster_serf_malformed_total",
            "Serf events, queries, responses and relays that did not decode.", q.malformed);

  write_outputs_metrics(m, s.outputs);      // [render.NAME], [hooks]: agent/outputs.cpp
  write_discovery_metrics(m, s.discovery);  // agent/discovery_metrics.cpp
  return m.take();
}

}  // namespace agent
