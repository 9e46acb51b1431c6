// agent::rejoin_policy driving real nodes on virtual time: a cluster with a static join list
// is split in two, and merges again after the network returns only because members re-join
// the list (as agent::joiner does: the seeds gossip does not hold live).
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <vector>

#include "agent/joiner.hpp"
#include "scenario.hpp"

using namespace sim_test;

namespace {

using pclock = agent::rejoin_policy::clock;

pclock::time_point to_pol(time_point t) { return pclock::time_point(t.time_since_epoch()); }
time_point to_sim(pclock::time_point t) {
  return time_point(std::chrono::ceil<duration>(t.time_since_epoch()));
}

/// One member's joiner, reduced to its partition heal: the policy, fed with the live count
/// after each of the member's events, and one timer on virtual time.
class healer {
 public:
  healer(cluster& c, std::size_t self, std::vector<std::size_t> seeds, std::uint64_t seed)
      : c_(c), self_(self), seeds_(std::move(seeds)), policy_({}, seed) {
    policy_.members(c_.at(self_).num_live(), to_pol(c_.now()));
  }

  void on_event(const swim::sim::event_record& r) {
    if (r.observer != self_) return;
    // After the node's entry point returns, as the daemon posts it.
    const bool left = r.ev == member_event::left;
    c_.loop().after(duration::zero(), [this, left] {
      if (!c_.is_running(self_)) return;
      if (left) policy_.member_left();
      policy_.members(c_.at(self_).num_live(), to_pol(c_.now()));
      arm();
    });
  }

  std::size_t rejoins() const { return rejoins_; }

 private:
  void arm() {
    auto at = policy_.next_at();
    if (!at || at == armed_) return;
    armed_ = at;
    const std::uint64_t gen = ++gen_;
    c_.loop().at(to_sim(*at), [this, gen] {
      if (gen != gen_ || !c_.is_running(self_)) return;
      armed_.reset();
      if (policy_.due(to_pol(c_.now()))) {
        for (std::size_t s : seeds_) {
          auto v = c_.view(self_, s);
          if (s == self_ || v == member_state::alive || v == member_state::suspect) continue;
          rejoins_++;
          c_.join(self_, s);
        }
      }
      arm();
    });
  }

  cluster& c_;
  std::size_t self_;
  std::vector<std::size_t> seeds_;
  agent::rejoin_policy policy_;
  std::optional<pclock::time_point> armed_;
  std::uint64_t gen_ = 0;
  std::size_t rejoins_ = 0;
};

struct split_result {
  bool merged = false;
  duration took{};
  std::size_t rejoins = 0;
};

/// 10 members joined through seeds {0, 1, 2} (all on the left side), split 5 / 5 until each
/// side holds the other dead, kept apart `apart`, then the network returns.
split_result split_and_heal(bool with_heal, duration apart, duration wait) {
  cluster c(options("250ms"));
  SIM_SEED_INFO(c);
  const std::size_t n = 10;
  bootstrap(c, n);
  c.run_for(5s);
  std::vector<std::unique_ptr<healer>> hs;
  if (with_heal)
    for (std::size_t i = 0; i < n; ++i)
      hs.push_back(std::make_unique<healer>(c, i, std::vector<std::size_t>{0, 1, 2},
                                            swim::sim::mix_seed(c.seed() + i)));
  c.on_event = [&](const swim::sim::event_record& r) {
    for (auto& h : hs) h->on_event(r);
  };
  std::vector<swim::address> left_side, right_side;
  for (std::size_t i = 0; i < n; ++i) (i < n / 2 ? left_side : right_side).push_back(c.addr(i));
  c.net().partition({left_side, right_side});
  const bool split = c.run_until(
      [&] {
        for (std::size_t i = 0; i < n / 2; ++i)
          for (std::size_t j = n / 2; j < n; ++j)
            if (c.view(i, j) != member_state::dead || c.view(j, i) != member_state::dead)
              return false;
        return true;
      },
      60s);
  REQUIRE(split);
  c.run_for(apart);
  // Re-joins while the network is cut change nothing.
  CHECK_FALSE(c.converged());
  c.net().heal();
  const time_point healed = c.now();
  split_result r;
  r.merged = c.run_until([&] { return c.converged(); }, wait);
  r.took = c.now() - healed;
  for (auto& h : hs) r.rejoins += h->rejoins();
  c.on_event = nullptr;  // the healers go first
  return r;
}

}  // namespace

TEST_CASE("sim: a split static cluster merges within a minute of the network's return") {
  auto r = split_and_heal(true, 90s, 60s);
  INFO("merged after " << secs(r.took) << " s, " << r.rejoins << " re-join(s)");
  CHECK(r.merged);
  CHECK(r.took <= 60s);
  CHECK(r.rejoins > 0);
}

TEST_CASE("sim: without the re-joins the halves of a split static cluster stay apart") {
  auto r = split_and_heal(false, 90s, 60s);
  CHECK_FALSE(r.merged);
}
