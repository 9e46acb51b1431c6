// Forged gossip: a host outside the cluster that sends well-formed memberlist messages it
// made up (docs/wire.md §7.5, §7.6). Nothing it sends may evict or move a live member.
#include <doctest/doctest.h>

#include <vector>

#include "scenario.hpp"
#include "swim/wire.hpp"

using namespace sim_test;

namespace {

constexpr std::uint32_t top = 0xFFFFFFFF;

/// A host on the simulated network that only sends what the test makes up.
class forger final : public swim::sim::endpoint {
 public:
  forger(cluster& c, swim::address at) : c_(c), at_(at), out_(c.net().attach(at, *this)) {}
  const swim::address& addr() const { return at_; }
  /// Send `datagram` to every running member.
  void to_all(const swim::bytes& datagram) {
    for (std::size_t i = 0; i < c_.size(); ++i)
      if (c_.is_running(i)) out_.send_packet(c_.addr(i), datagram);
  }
  void on_packet(const swim::address&, swim::bytes) override {}
  std::optional<swim::bytes> on_stream(const swim::address&, swim::bytes) override {
    return std::nullopt;
  }
  void on_stream_result(swim::stream_id, std::optional<swim::bytes>) override {}

 private:
  cluster& c_;
  swim::address at_;
  swim::transport& out_;
};

}  // namespace

TEST_CASE("sim: lan, N=8: forged suspect and dead at 0xFFFFFFFF never evict a member; a real "
          "crash at the top is still detected") {
  cluster c(options("lan"));
  SIM_SEED_INFO(c);
  const std::size_t n = 8;
  bootstrap(c, n);
  c.run_for(5s);
  const swim::timing& t = c.options().t;
  const std::size_t victim = 3;
  const std::string name = c.name(victim);
  forger f(c, swim::address::v4(127, 0, 200, 1, 7946));
  const time_point t0 = c.now();
  // Every 2 s for 30 s, to everyone: suspect, dead, and a leave in the victim's name, all at
  // the top of the incarnation range.
  for (int round = 0; round < 15; ++round) {
    f.to_all(swim::wire::encode(swim::suspect{top, name, "ghost"}));
    f.to_all(swim::wire::encode(swim::dead{top, name, "ghost"}));
    f.to_all(swim::wire::encode(swim::dead{top, name, name}));
    c.run_for(2s);
  }
  c.run_for(10s);
  // The victim answered at the top (never wrapped to 0) and everyone holds it alive there.
  CHECK(c.at(victim).self().incarnation == top);
  CHECK(c.at(victim).stats().refutations >= 1);
  CHECK(c.all_see(victim, member_state::alive));
  CHECK(deaths(c, victim, t0) == 0);
  CHECK(c.count_events(victim, member_event::left, t0) == 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (i == victim) continue;
    const swim::member* m = c.at(i).find(name);
    REQUIRE(m != nullptr);
    CHECK(m->incarnation == top);
    CHECK(c.at(i).stats().top_accusations_ignored >= 1);
  }
  CHECK(c.converged());

  // A real crash at the top: only first-hand evidence accuses there, so each member waits
  // out its own full suspicion (no confirmation can shorten it), and all get there.
  c.crash(victim);
  const time_point t1 = c.now();
  const bool gone = c.run_until([&] { return c.all_see_gone(victim); },
                                2 * n * t.probe_interval + suspicion_max(t, n) + 20s);
  INFO("all saw the crashed member gone " << secs(c.now() - t1) << " s after the crash");
  CHECK(gone);
  const auto first_dead = c.first_event(victim, member_event::dead, t1);
  REQUIRE(first_dead.has_value());
  CHECK(*first_dead - t1 >= suspicion_max(t, n));
}
