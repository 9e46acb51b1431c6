#include "swim/config.hpp"

#include <algorithm>

namespace swim {

timing lan_timing() { return timing{}; }

timing wan_timing() {
  timing t;
  t.tcp_timeout = seconds(30);
  t.suspicion_mult = 6;
  t.push_pull_interval = seconds(60);
  t.probe_timeout = seconds(3);
  t.probe_interval = seconds(5);
  t.gossip_nodes = 4;
  t.gossip_interval = milliseconds(500);
  t.gossip_to_the_dead_time = seconds(60);
  t.successor_watch = duration::zero();  // across regions ICMP is often filtered
  return t;
}

timing local_timing() {
  timing t;
  t.tcp_timeout = seconds(1);
  t.indirect_checks = 1;
  t.retransmit_mult = 2;
  t.suspicion_mult = 3;
  t.push_pull_interval = seconds(15);
  t.probe_timeout = milliseconds(200);
  t.probe_interval = seconds(1);
  t.gossip_interval = milliseconds(100);
  t.gossip_to_the_dead_time = seconds(15);
  return t;
}

timing heartbeat_timing(int probe_ms) {
  // Scale every lan interval and timeout by probe_ms / 1000 so the protocol keeps its
  // shape (same multipliers, same number of probe periods per suspicion), with floors
  // that keep a real network's round trips and TCP connects inside the timeouts.
  probe_ms = std::clamp(probe_ms, 50, 60'000);
  timing t = lan_timing();
  auto scale = [probe_ms](duration d, duration floor) {
    return std::max(floor, duration(d.count() * probe_ms / 1000));
  };
  t.probe_interval = milliseconds(probe_ms);
  t.probe_timeout = scale(t.probe_timeout, milliseconds(25));
  t.gossip_interval = scale(t.gossip_interval, milliseconds(20));
  t.push_pull_interval = scale(t.push_pull_interval, seconds(5));
  t.tcp_timeout = scale(t.tcp_timeout, seconds(1));
  // A process killed on a live host is seen within one watch interval: 500 ms on the faster
  // profiles, where a ping every 500 ms is a fraction of the probes' traffic.
  t.successor_watch = scale(t.successor_watch, milliseconds(500));
  // Dead and left members stay known (and keep receiving gossip) long enough that a stale
  // alive cannot resurrect them through anti-entropy; below 15 s that window gets risky.
  t.gossip_to_the_dead_time = scale(t.gossip_to_the_dead_time, seconds(15));
  return t;
}

std::optional<timing> timing_for_profile(std::string_view name) {
  if (name == "lan") return lan_timing();
  if (name == "wan") return wan_timing();
  if (name == "local") return local_timing();
  return std::nullopt;
}

}  // namespace swim
