#include "agent/status.hpp"

#include "agent/cache_checker.hpp"
#include "agent/publisher.hpp"

namespace agent {

void fill_status(status& s, const swim::asio::driver& driver, const publisher& pub,
                 const cache_checker* cache) {
  const auto& n = driver.node();
  s.snapshot_version = pub.version();
  s.health_score = n.health_score();
  s.queued_broadcasts = n.queued_broadcasts();
  s.queued_membership = n.queued_broadcasts(swim::broadcast_class::membership);
  s.queued_user = n.queued_broadcasts(swim::broadcast_class::user);
  s.dropped_membership = n.dropped_broadcasts(swim::broadcast_class::membership);
  s.dropped_user = n.dropped_broadcasts(swim::broadcast_class::user);
  s.members = n.members();
  const auto& damping = pub.damping();
  for (const auto& m : s.members)
    if (auto r = damping.record(m.name); r.flaps > 0 || r.suppressed) s.flaps[m.name] = r;
  s.flaps_total = damping.flaps_total();
  s.members_suppressed = damping.suppressed_count();
  s.members_grey = damping.grey().held_count();
  s.grey_holds_total = damping.grey().holds_total();
  s.node = n.stats();
  s.driver = driver.stats();
  if (cache) s.cache = cache->stats();
}

}  // namespace agent
