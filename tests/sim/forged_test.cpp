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

/// How many running members other than `subject` hold it at `a`.
std::size_t holding_at(cluster& c, std::size_t subject, const swim::address& a) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i == subject || !c.is_running(i)) continue;
    const auto m = c.at(i).find(c.name(subject));
    if (m && m->addr == a) ++k;
  }
  return k;
}

/// An alive for `name` at `a`, as the forger would claim it.
swim::bytes claim(const std::string& name, std::uint32_t inc, const swim::address& a) {
  const auto ip = a.ip_bytes();
  return swim::wire::encode(
      swim::alive{inc, name, swim::bytes(ip.begin(), ip.end()), a.port, {}, swim::default_vsn()});
}

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
    const auto m = c.at(i).find(name);
    REQUIRE(m.has_value());
    CHECK(m->incarnation == top);
    CHECK(c.at(i).stats().top_accusations_ignored >= 1);
  }
  CHECK(c.converged());

  // A real crash at the top: only first-hand evidence accuses there, so each member waits
  // out its own full suspicion (no confirmation can shorten it, no heard dead applies), and
  // all get there. Upper side: every member probes the victim itself within two rounds on
  // the half of its probes that go round-robin (the others watch its ring successor), then
  // its timer runs, held back at most three times the maximum while its own evidence builds
  // (docs/wire.md §7.1, §7.6).
  c.crash(victim);
  const time_point t1 = c.now();
  const duration reach = 2 * (2 * n - 1) * t.probe_interval;
  const bool gone = c.run_until([&] { return c.all_see_gone(victim); },
                                reach + 3 * suspicion_max(t, n) + 10s);
  INFO("all saw the crashed member gone " << secs(c.now() - t1) << " s after the crash");
  CHECK(gone);
  const auto first_dead = c.first_event(victim, member_event::dead, t1);
  REQUIRE(first_dead.has_value());
  CHECK(*first_dead - t1 >= suspicion_max(t, n));
}

TEST_CASE("sim: lan, N=6: a forged leave plus an alive from elsewhere never moves a member that "
          "answers at its address; a silent one moves after one probe interval") {
  cluster c(options("lan"));
  SIM_SEED_INFO(c);
  const std::size_t n = 6;
  bootstrap(c, n);
  c.run_for(5s);
  const swim::timing& t = c.options().t;
  const std::size_t victim = 2;
  const std::string name = c.name(victim);
  const swim::address home = c.addr(victim);
  forger f(c, swim::address::v4(127, 0, 200, 2, 7946));
  const time_point t0 = c.now();
  // Every 2 s for 20 s: the victim "leaves" (dead from itself) and its name comes back from
  // the forger's address at a much higher incarnation.
  bool moved = false;
  for (int round = 0; round < 10; ++round) {
    const std::uint32_t inc = c.at(victim).self().incarnation;
    f.to_all(swim::wire::encode(swim::dead{inc, name, name}));
    c.run_for(5ms);
    f.to_all(claim(name, inc + 100, f.addr()));
    c.run_until(
        [&] {
          moved = moved || holding_at(c, victim, f.addr()) > 0;
          return false;
        },
        2s, 1ms);
  }
  c.run_for(10s);
  CHECK_FALSE(moved);
  CHECK(holding_at(c, victim, home) == n - 1);
  CHECK(c.all_see(victim, member_state::alive));
  CHECK(deaths(c, victim, t0) == 0);
  std::uint64_t conflicts = 0, checks = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i == victim) continue;
    conflicts += c.at(i).stats().conflicts;
    checks += c.at(i).stats().address_checks;
  }
  CHECK(checks >= 1);
  CHECK(conflicts >= 1);
  CHECK(c.converged());

  // The other side: the member is really gone (crashed, silent at its address). The same two
  // messages now move its name, one probe interval after the claim, not before.
  c.crash(victim);
  const std::uint32_t inc = c.at(0).find(name)->incarnation;
  f.to_all(swim::wire::encode(swim::dead{inc, name, name}));
  c.run_for(5ms);  // so that the claim finds the member left everywhere (no reordering)
  f.to_all(claim(name, inc + 1, f.addr()));
  const time_point t1 = c.now();
  const bool moved_once =
      c.run_until([&] { return holding_at(c, victim, f.addr()) > 0; }, 2 * t.probe_interval, 1ms);
  const duration first = c.now() - t1;
  INFO("first move " << secs(first) << " s after the claim");
  REQUIRE(moved_once);
  CHECK(first >= t.probe_interval);
  CHECK(c.run_until([&] { return holding_at(c, victim, f.addr()) == n - 1; }, 10ms, 1ms));
}
