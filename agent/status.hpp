#pragma once
// What the HTTP endpoint and the control socket report about a running agent.
// A plain snapshot of counters taken on the agent's thread, so renderers are
// pure functions with no locks and no Asio.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/agent_stats.hpp"
#include "agent/discovery_stats.hpp"
#include "agent/cache_check.hpp"
#include "agent/flap_damping.hpp"
#include "agent/outputs_stats.hpp"
#include "agent/serf_queries_stats.hpp"
#include "swim/asio/driver.hpp"
#include "swim/member.hpp"
#include "swim/node.hpp"

namespace agent {

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
  std::size_t queued_membership = 0, queued_user = 0;    ///< the gossip queue by class
  std::uint64_t dropped_membership = 0, dropped_user = 0;  ///< dropped at its bound, by class
  std::vector<swim::member> members;   ///< every known member, any state, self included
  /// Flap damping of `members` by name (agent/flap_damping.hpp); absent: never flapped.
  std::map<std::string, flap_record> flaps;
  std::uint64_t flaps_total = 0;       ///< down transitions of every member since start
  std::size_t members_suppressed = 0;  ///< members held out of the peer list (flapping or grey)
  std::size_t members_grey = 0;        ///< of those, held as grey (agent/grey_hold.hpp)
  std::uint64_t grey_holds_total = 0;  ///< times a member was held as grey, since start
  swim::node_stats node;
  swim::asio::driver_stats driver;
  agent_stats agent;
  serf_queries_stats serf;  ///< Serf's events and queries (agent/serf_queries)
  discovery_stats discovery;  ///< discovery's counters and last listing (agent/discovery_runner)
  cache_check_stats cache;  ///< this agent's [cache] check (agent/cache_checker)
  outputs_stats outputs;    ///< rendered files and the change hook (agent/outputs)
};

class publisher;
class cache_checker;

/// Copy the node's, the driver's, the publisher's and the cache checker's (when there is
/// one) part of the status (members, counters, health, queue, snapshot version, flap
/// records, cache check) at this instant.
void fill_status(status& s, const swim::asio::driver& driver, const publisher& pub,
                 const cache_checker* cache = nullptr);

}  // namespace agent
