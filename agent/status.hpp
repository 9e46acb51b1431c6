#pragma once
// What the HTTP endpoint and the control socket report about a running agent.
// A plain snapshot of counters taken on the agent's thread, so renderers are
// pure functions with no locks and no Asio.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "swim/asio/driver.hpp"
#include "swim/member.hpp"
#include "swim/node.hpp"

namespace agent {

/// Counters of the agent itself (publishing and control).
struct agent_stats {
  std::uint64_t publishes = 0;          ///< snapshots published (after coalescing)
  std::uint64_t subscribers = 0;        ///< subscribers connected now
  std::uint64_t subscribers_total = 0;  ///< subscribers ever connected
  std::uint64_t snapshots_skipped = 0;  ///< snapshots a slow subscriber never saw (it got a newer one)
  std::uint64_t control_requests = 0;
  std::uint64_t control_errors = 0;     ///< malformed control requests
};

/// Everything /metrics, /ready and /v1/members need, copied at one instant.
struct status {
  std::string node_name;
  std::string version;
  bool ready = false;                  ///< join or discovery completed
  bool local_mode = true;              ///< peer list is just this node
  bool leaving = false;
  double uptime_seconds = 0;
  std::uint64_t snapshot_version = 0;  ///< version of the last published snapshot
  int health_score = 0;                ///< Lifeguard awareness, 0 = healthy
  std::size_t queued_broadcasts = 0;
  std::vector<swim::member> members;   ///< every known member, any state, self included
  swim::node_stats node;
  swim::asio::driver_stats driver;
  agent_stats agent;
};

}  // namespace agent
