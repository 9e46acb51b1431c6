#include <doctest/doctest.h>

#include "scenario.hpp"

using namespace sim_test;

TEST_CASE("sim: 10 % loss on every link for 10 minutes at N=50 kills nobody") {
  cluster c(options("lan"));
  SIM_SEED_INFO(c);
  const std::size_t n = 50;
  bootstrap(c, n);
  c.run_for(5s);
  const time_point t0 = c.now();
  c.net().set_loss(0.10);
  c.run_for(600s);
  std::size_t dead = 0, suspects = 0;
  for (const auto& r : c.events()) {
    if (r.at < t0) continue;
    if (r.ev == member_event::dead) ++dead;
    if (r.ev == member_event::suspect) ++suspects;
  }
  INFO(dead << " dead and " << suspects << " suspect events in 600 s at 10 % loss");
  // Lower side: the loss is real enough that some probes fail (otherwise this
  // test would prove nothing).
  CHECK(c.net().total().packets_dropped > 0);
  // Upper side: not a single observer declares a healthy member dead.
  CHECK(dead == 0);
  c.net().set_loss(0.0);
  CHECK(c.run_until([&] { return c.converged(); }, 10s));
}
