// node::num_live is a count the node keeps as states change (set_state); here it is held
// against a count of the table itself through joins, crashes, kills, leaves, restarts,
// re-created VMs, loss, refutations and reaping.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "swim/sim/cluster.hpp"

using namespace swim;
using namespace std::chrono_literals;

namespace {

/// Members every running node holds alive or suspect, counted from its table.
void check_live_counts(sim::cluster& c, const char* when) {
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c.has_node(i) || !c.is_running(i)) continue;
    const auto all = c.at(i).members();
    const auto counted = static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [](const member& m) {
      return m.state == member_state::alive || m.state == member_state::suspect;
    }));
    INFO(when << ": member " << i << ", seed " << c.seed());
    REQUIRE(c.at(i).num_live() == counted);
  }
}

}  // namespace

TEST_CASE("sim: num_live matches the table through churn, loss and reaping") {
  sim::cluster_options o;
  o.seed = sim::seed_from_env(11);
  sim::cluster c(o);
  c.start(24);
  c.join_all(0);
  REQUIRE(c.run_until([&] { return c.converged(); }, 30s));
  check_live_counts(c, "converged");

  c.crash(3);
  c.kill(4);
  c.leave(5);
  c.pause(6);
  c.run_for(3s);
  check_live_counts(c, "during failures");
  c.resume(6);
  const std::size_t fresh = c.recreate(7);
  c.join(fresh, 0);
  c.net().set_loss(0.1);
  c.run_for(20s);
  check_live_counts(c, "under 10 % loss");
  c.net().set_loss(0.0);
  c.restart(3);
  c.join(3, 0);
  // Long enough for the dead and left to be reaped (gossip_to_the_dead_time).
  c.run_for(60s);
  check_live_counts(c, "after reaping");
  REQUIRE(c.run_until([&] { return c.converged(); }, 30s));
  CHECK(c.at(0).num_live() == c.running_count());
}
