#include "agent/serf_ops.hpp"

#include <cstdio>

namespace agent {
namespace {

std::string text(std::uint64_t v) { return std::to_string(v); }
std::string flag(bool b) { return b ? "true" : "false"; }

}  // namespace

peerlib::info_reply make_info(const status& s) {
  peerlib::info_reply out;
  char uptime[32];
  std::snprintf(uptime, sizeof uptime, "%.0fs", s.uptime_seconds);
  out.sections["agent"] = {{"name", s.node_name},
                           {"version", s.version},
                           {"uptime", uptime},
                           {"ready", flag(s.ready)},
                           {"local_mode", flag(s.local_mode)},
                           {"leaving", flag(s.leaving)}};

  std::uint64_t by_state[4] = {};  // alive, suspect, dead, left
  auto& proto = out.sections["protocol"];
  for (const auto& m : s.members) {
    by_state[static_cast<int>(m.state)]++;
    if (m.name != s.node_name) continue;
    // memberlist's Vsn: [PMin, PMax, PCur, DMin, DMax, DCur].
    const auto& v = m.vsn;
    proto["memberlist"] = text(v[2]) + " (min " + text(v[0]) + ", max " + text(v[1]) + ")";
    proto["delegate"] = text(v[5]) + " (min " + text(v[3]) + ", max " + text(v[4]) + ")";
  }
  proto["socket"] = text(static_cast<std::uint64_t>(peerlib::protocol::revision));

  out.sections["members"] = {{"alive", text(by_state[0])},
                             {"suspect", text(by_state[1])},
                             {"failed", text(by_state[2])},
                             {"left", text(by_state[3])},
                             {"total", text(static_cast<std::uint64_t>(s.members.size()))},
                             {"suppressed", text(static_cast<std::uint64_t>(s.members_suppressed))},
                             {"flaps_total", text(s.flaps_total)}};

  const auto& n = s.node;
  out.sections["gossip"] = {{"health_score", std::to_string(s.health_score)},
                            {"queued_broadcasts", text(static_cast<std::uint64_t>(s.queued_broadcasts))},
                            {"packets_in", text(n.packets_in)},
                            {"packets_out", text(n.packets_out)},
                            {"bytes_in", text(n.bytes_in)},
                            {"bytes_out", text(n.bytes_out)},
                            {"probes", text(n.probes)},
                            {"probe_failures", text(n.probe_failures)},
                            {"suspicions_raised", text(n.suspicions_raised)},
                            {"refutations", text(n.refutations)},
                            {"deaths_declared", text(n.deaths_declared)},
                            {"push_pulls", text(n.push_pulls)},
                            {"joins", text(n.joins)}};

  const auto& a = s.agent;
  out.sections["control"] = {{"snapshot_version", text(s.snapshot_version)},
                             {"publishes", text(a.publishes)},
                             {"subscribers", text(a.subscribers)},
                             {"requests", text(a.control_requests)},
                             {"errors", text(a.control_errors)},
                             {"refused", text(a.control_refused)},
                             {"sessions", text(a.control_sessions)},
                             {"monitors", text(a.monitors)},
                             {"log_lines_dropped", text(a.log_lines_dropped)}};
  return out;
}

peerlib::result force_leave_reply(swim::node::force_leave_result r, const std::string& node) {
  using fl = swim::node::force_leave_result;
  switch (r) {
    case fl::left:
      return {true, node + " is marked left; the cluster hears it through gossip"};
    case fl::already_left:
      return {true, node + " has already left"};
    case fl::not_failed:
      return {false, node + " is alive or suspect, not failed: it would refute a forced leave "
                            "(stop its agent, or `cachecluster leave` there)"};
    case fl::unknown:
      return {false, "no member named " + node};
    case fl::self:
      return {false, node + " is this agent: use `cachecluster leave`"};
    case fl::rate_limited:
      return {false, "too many force-leaves just now (at most " +
                         std::to_string(swim::node::force_leave_burst) + " per " +
                         std::to_string(swim::node::force_leave_window) +
                         " probe intervals); try again in a few seconds"};
    case fl::unsupported:
      return {false, "force-leave needs Serf's intents, which this agent does not speak"};
  }
  return {false, "force-leave: unexpected outcome"};
}

}  // namespace agent
