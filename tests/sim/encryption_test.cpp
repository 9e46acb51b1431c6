// Encrypted gossip on the simulator: a keyed cluster works as a plaintext one;
// a member with another key never gets in; a running cluster moves to
// encryption and rotates its key without anyone being suspected.
#include <doctest/doctest.h>

#include "scenario.hpp"
#include "swim/keyring.hpp"

using namespace sim_test;

namespace {

swim::bytes key_of(std::uint8_t b, std::size_t size = 16) { return swim::bytes(size, b); }

swim::keyring ring_of(std::vector<swim::bytes> keys) {
  auto r = swim::keyring::make(keys);
  REQUIRE(r);
  return *r;
}

std::uint64_t drops(cluster& c, std::size_t i, swim::wire::error e) {
  return c.at(i).stats().drops[static_cast<std::size_t>(e)];
}

std::size_t suspicions(const cluster& c, time_point since) {
  std::size_t n = 0;
  for (const auto& e : c.events())
    if (e.at >= since && (e.ev == member_event::suspect || e.ev == member_event::dead)) ++n;
  return n;
}

}  // namespace

TEST_CASE("sim: an encrypted cluster of 10 converges and removes a crashed member") {
  auto opt = options("lan");
  opt.configure = [](std::size_t, swim::config& cfg) { cfg.keys = {key_of(1, 32)}; };
  cluster c(opt);
  SIM_SEED_INFO(c);
  bootstrap(c, 10);
  const time_point t0 = c.now();
  c.crash(4);
  CHECK(c.run_until([&] { return c.all_see_gone(4); }, 30s));
  CHECK(c.now() - t0 > c.options().t.probe_interval);  // detected, not instantaneous
  for (std::size_t i = 0; i < 10; ++i)
    if (i != 4) CHECK(drops(c, i, swim::wire::error::decrypt_failed) == 0);
}

TEST_CASE("sim: a member with another key cannot join, and its traffic is dropped") {
  auto opt = options("lan");
  opt.configure = [](std::size_t i, swim::config& cfg) { cfg.keys = {key_of(i == 5 ? 9 : 1)}; };
  cluster c(opt);
  SIM_SEED_INFO(c);
  c.start(6);
  for (std::size_t i = 1; i < 5; ++i) c.join(i, 0);
  c.run_for(10s);
  c.join(5, 0);
  c.run_for(30s);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK_FALSE(c.view(i, 5).has_value());  // never a member
    CHECK(c.view(5, i) == std::nullopt);
  }
  CHECK(c.at(5).stats().joins == 0);
  // The join push-pull reached the seed and was refused there: no state came back.
  CHECK(c.at(5).stats().push_pull_failures >= 1);
  // The others are unharmed.
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 5; ++j) CHECK(c.view(i, j) == member_state::alive);
}

TEST_CASE("sim: a plaintext member cannot join an encrypted cluster that verifies incoming") {
  auto opt = options("lan");
  opt.configure = [](std::size_t i, swim::config& cfg) {
    if (i != 3) cfg.keys = {key_of(1)};
  };
  cluster c(opt);
  SIM_SEED_INFO(c);
  c.start(4);
  c.join(1, 0);
  c.join(2, 0);
  c.run_for(5s);
  c.join(3, 0);
  c.run_for(20s);
  CHECK_FALSE(c.view(0, 3).has_value());
  CHECK(c.at(3).stats().joins == 0);
  // Its join push-pull got memberlist's error reply, not a state.
  CHECK(c.at(3).stats().push_pull_failures >= 1);
}

TEST_CASE("sim: N=12 moves from plaintext to encryption in three steps with nobody suspected") {
  cluster c(options("lan"));
  SIM_SEED_INFO(c);
  const std::size_t n = 12;
  bootstrap(c, n);
  c.run_for(10s);
  const time_point t0 = c.now();
  const auto ring = ring_of({key_of(7, 32)});
  // 1. Keys everywhere, still accepting and sending plaintext.
  for (std::size_t i = 0; i < n; ++i) {
    c.at(i).set_keyring(ring);
    c.at(i).set_verification(false, false);
    c.run_for(1s);
  }
  c.run_for(10s);
  // 2. Send encrypted, one member at a time; plaintext is still accepted.
  for (std::size_t i = 0; i < n; ++i) {
    c.at(i).set_verification(false, true);
    c.run_for(1s);
  }
  c.run_for(10s);
  // 3. Require encryption.
  for (std::size_t i = 0; i < n; ++i) {
    c.at(i).set_verification(true, true);
    c.run_for(1s);
  }
  c.run_for(30s);
  CHECK(suspicions(c, t0) == 0);
  CHECK(c.converged());
  // From now on a plaintext newcomer is refused.
  auto newcomer = c.start(1);
  c.join(newcomer, 0);
  c.run_for(20s);
  CHECK_FALSE(c.view(0, newcomer).has_value());
}

TEST_CASE("sim: N=12 rotates its key (install, use, remove) with nobody suspected") {
  const auto k1 = key_of(1), k2 = key_of(2, 32);
  auto opt = options("lan");
  opt.configure = [k1](std::size_t, swim::config& cfg) { cfg.keys = {k1}; };
  cluster c(opt);
  SIM_SEED_INFO(c);
  const std::size_t n = 12;
  bootstrap(c, n);
  c.run_for(10s);
  const time_point t0 = c.now();
  // Install k2 everywhere, then make it primary one member at a time (mixed primaries are
  // fine: every member can still open both), then remove k1.
  for (std::size_t i = 0; i < n; ++i) c.at(i).set_keyring(ring_of({k1, k2}));
  c.run_for(5s);
  for (std::size_t i = 0; i < n; ++i) {
    c.at(i).set_keyring(ring_of({k2, k1}));
    c.run_for(1s);
  }
  c.run_for(5s);
  for (std::size_t i = 0; i < n; ++i) c.at(i).set_keyring(ring_of({k2}));
  c.run_for(30s);
  CHECK(suspicions(c, t0) == 0);
  CHECK(c.converged());
  // The old key is gone: a newcomer that holds only it cannot join.
  opt.configure = nullptr;
  auto old_key = c.start(1);
  c.at(old_key).set_keyring(ring_of({k1}));
  c.join(old_key, 0);
  c.run_for(20s);
  CHECK_FALSE(c.view(0, old_key).has_value());
}
