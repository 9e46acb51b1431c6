// A grey member (heavy inbound loss) as the subscribers of the other agents see it: held out
// of every published peer list once, kept out while the loss lasts, and listed again once it
// is healthy (agent/grey_hold.hpp); and uniform loss, which suspects everybody about as
// often, holds nobody out. The harness drives agent::publisher on each observer's events.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "publisher_harness.hpp"

using namespace sim_test;

namespace {

/// Times `name` left the published list, and whether it is listed in the last one.
struct listing {
  std::size_t removals = 0;
  std::size_t returns = 0;
  bool listed_at_end = true;
};

listing listing_of(const subscriber& s, const std::string& name) {
  listing l;
  const auto& lists = s.lists();
  for (std::size_t k = 1; k < lists.size(); ++k) {
    const bool before = lists[k - 1].count(name) != 0, after = lists[k].count(name) != 0;
    if (before && !after) l.removals++;
    if (!before && after) l.returns++;
  }
  l.listed_at_end = lists.back().count(name) != 0;
  return l;
}

struct grey_result {
  std::size_t observers_removed_once = 0;  ///< subscribers that lost the sick member exactly once
  std::size_t observers_out_at_end = 0;    ///< ... and still did not list it when the loss ended
  std::size_t healthy_removals = 0;        ///< healthy members that left any list, in all
  std::size_t back_after_heal = 0;         ///< subscribers listing it again after the heal
};

/// N members; member `sick` loses 80 % of what it receives for `window`; subscribers on
/// `watchers` healthy members; then the loss ends and the cluster runs `heal`.
grey_result grey(std::string_view profile, std::size_t n, duration window, duration heal) {
  cluster_options opt = options(profile);
  opt.log_joins = false;
  cluster c(opt);
  SIM_SEED_INFO(c);
  const std::size_t sick = 5, watchers = 10;
  bootstrap(c, n);
  c.run_for(5s);
  std::vector<std::unique_ptr<subscriber>> subs;
  for (std::size_t i = 0; i <= watchers; ++i)
    if (i != sick) subs.push_back(std::make_unique<subscriber>(c, i, defaults(c.options().t)));
  c.on_event = [&](const swim::sim::event_record& r) {
    for (auto& s : subs) s->on_event(r);
  };
  c.net().set_loss_in(c.addr(sick), 0.8);
  c.run_for(window);
  grey_result g;
  for (const auto& s : subs) {
    const auto l = listing_of(*s, c.name(sick));
    g.observers_removed_once += l.removals == 1 ? 1 : 0;
    g.observers_out_at_end += l.listed_at_end ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i)
      if (i != sick) g.healthy_removals += listing_of(*s, c.name(i)).removals;
  }
  c.net().set_loss_in(c.addr(sick), 0);
  c.run_for(heal);
  for (const auto& s : subs) g.back_after_heal += listing_of(*s, c.name(sick)).listed_at_end;
  c.on_event = nullptr;
  return g;
}

/// Every subscriber loses the sick member exactly once and still lacks it when the loss ends;
/// no healthy member ever leaves a list; healthy again, it is listed again everywhere within
/// 6 minutes (its score decays; a flap-damping penalty may hold it up to 5 minutes), without a
/// rejoin.
void check_grey(std::string_view profile) {
  const auto g = grey(profile, 20, 120s, 6min);
  INFO(profile << ": " << g.observers_removed_once << " of 10 subscribers lost it exactly once, "
               << g.observers_out_at_end << " without it at the end, " << g.healthy_removals
               << " removals of healthy members, " << g.back_after_heal
               << " list it again after the heal");
  CHECK(g.observers_removed_once == 10);
  CHECK(g.observers_out_at_end == 10);
  CHECK(g.healthy_removals == 0);
  CHECK(g.back_after_heal == 10);
}

}  // namespace

TEST_CASE("sim: 250 ms profile, N=20: a member with 80 % inbound loss leaves every list once and stays out") {
  check_grey("250ms");
}

TEST_CASE("sim: lan profile, N=20: a member with 80 % inbound loss leaves every list once and stays out") {
  check_grey("lan");
}

TEST_CASE("sim: 250 ms profile, N=50: 30 % loss of every packet holds nobody out of any list") {
  cluster_options opt = options("250ms");
  opt.log_joins = false;
  cluster c(opt);
  SIM_SEED_INFO(c);
  const std::size_t n = 50, watchers = 10;
  bootstrap(c, n);
  c.run_for(5s);
  std::vector<std::unique_ptr<subscriber>> subs;
  for (std::size_t i = 0; i < watchers; ++i)
    subs.push_back(std::make_unique<subscriber>(c, i, defaults(c.options().t)));
  c.on_event = [&](const swim::sim::event_record& r) {
    for (auto& s : subs) s->on_event(r);
  };
  c.net().set_loss(0.3);
  c.run_for(120s);
  std::size_t removals = 0, suspicions = 0, deaths = 0, held = 0;
  for (const auto& s : subs)
    for (std::size_t i = 0; i < n; ++i) removals += listing_of(*s, c.name(i)).removals;
  for (const auto& s : subs) held += s->holds();
  for (const auto& r : c.events()) {
    if (r.ev == member_event::suspect && r.observer < watchers) ++suspicions;
    if (r.ev == member_event::dead && r.observer < watchers) ++deaths;
  }
  INFO(removals << " removals from 10 subscribers' lists (" << deaths << " deaths, " << held
                << " grey holds), " << suspicions << " suspicions at their agents");
  // Lower side: the loss is heavy enough to suspect members all the time.
  CHECK(suspicions >= 200);
  // Upper side: every member is suspected about as often; nobody is an outlier.
  CHECK(removals == 0);
  c.on_event = nullptr;
}
