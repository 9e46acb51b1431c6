// The anti-entropy exchanges that follow a join (node_impl.hpp, repair_pending): an early
// one, and repairs while the table keeps growing, each once gossip has stopped bringing members
// we did not know or at the latest twice as far from the last as the one before.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "node_fixture.hpp"
#include "swim/node.hpp"
#include "swim/wire.hpp"

namespace {

duration repair_quiet(const timing& t) { return std::max<duration>(t.probe_interval, 500ms); }

/// Join through m2, whose reply knows only itself and us.
void join_through_m2(fixture& f) {
  f.n.join({addr_of(2)}, f.now);
  REQUIRE(f.out.streams.size() == 1);
  push_pull reply;
  reply.join = true;
  reply.states.push_back({"m2", bytes{127, 0, 0, 2}, 7946, {}, 1, member_state::alive, default_vsn()});
  f.n.on_stream_reply(f.out.streams[0].id, wire::stream_message{reply}, f.now);
  REQUIRE(f.n.stats().joins == 1);
  f.out.clear();
}

/// Run until `until`, acking every ping and answering every periodic push-pull with `answer`
/// (by default our own state back: nothing new); returns the times at which periodic (not
/// join) push-pulls were started.
std::vector<time_point> run_counting_push_pulls(
    fixture& f, time_point until,
    const std::function<push_pull(const push_pull&)>& answer = [](const push_pull& pp) { return pp; }) {
  std::vector<time_point> started;
  while (f.now < until) {
    f.now = std::min(f.n.next_deadline(), until);
    f.n.tick(f.now);
    for (const auto& [to, pi] : f.out.all<ping>())
      f.n.on_packet(to, wire::encode(ack_resp{pi.seq_no, {}}), f.now);
    for (const auto& s : f.out.streams) {
      const auto* pp = std::get_if<push_pull>(&s.msg);
      if (pp == nullptr || pp->join) continue;
      started.push_back(f.now);
      f.n.on_stream_reply(s.id, wire::stream_message{answer(*pp)}, f.now);
    }
    f.out.clear();
  }
  return started;
}

}  // namespace

TEST_CASE("node: a join is followed by an early push-pull, and by one more once gossip stops bringing new members") {
  fixture f;
  const duration interval = f.n.cfg().t.probe_interval;
  const time_point joined = f.now;
  join_through_m2(f);

  // The early exchange: one to two probe intervals after the join.
  auto early = run_counting_push_pulls(f, joined + 2 * interval + milliseconds(1));
  REQUIRE(early.size() == 1);
  CHECK(early[0] >= joined + interval);

  // The burst of a mass join goes on: a new member every half interval, for three intervals.
  // No exchange while the table grows; one once it has been quiet for a probe interval.
  time_point last_new{};
  for (int i = 3; i < 9; ++i) {
    CHECK(run_counting_push_pulls(f, f.now + interval / 2).empty());
    f.deliver(alive_for("m" + std::to_string(i), i, 1));
    last_new = f.now;
  }
  REQUIRE(f.n.num_known() == 8);
  auto second = run_counting_push_pulls(f, last_new + 20 * interval);
  REQUIRE(second.size() == 1);
  CHECK(second[0] >= last_new + interval);
  CHECK(second[0] <= last_new + interval + milliseconds(10));
}

TEST_CASE("node: a join into a settled cluster makes only the early push-pull") {
  fixture f;
  const duration interval = f.n.cfg().t.probe_interval;
  const time_point joined = f.now;
  join_through_m2(f);
  // Nothing new after the join reply: the early exchange and, well before the periodic one
  // (push_pull_interval later), nothing else.
  auto started = run_counting_push_pulls(f, joined + f.n.cfg().t.push_pull_interval - interval);
  REQUIRE(started.size() == 1);
  CHECK(started[0] <= joined + 2 * interval);
}

namespace {

/// As run_counting_push_pulls, and each periodic push-pull's reply brings one member we did not
/// know (the peer's table holds someone gossip has not brought us yet) until `stop_bringing`.
std::vector<time_point> run_with_productive_replies(fixture& f, time_point until, time_point stop_bringing,
                                                    int& next_member) {
  return run_counting_push_pulls(f, until, [&](const push_pull& pp) {
    push_pull reply = pp;
    if (f.now < stop_bringing) {
      const int i = next_member++;
      reply.states.push_back({"r" + std::to_string(i), bytes{127, 0, 1, static_cast<std::uint8_t>(i)}, 7946,
                              {}, 1, member_state::alive, default_vsn()});
    }
    return reply;
  });
}

}  // namespace

TEST_CASE("node: repairs go on while each brings new members, each at most twice as far from the last") {
  fixture f;
  const timing& t = f.n.cfg().t;
  const time_point joined = f.now;
  join_through_m2(f);
  // A burst that goes on for minutes: a new member every half probe interval for 5 minutes,
  // so the table is never quiet; the exchanges themselves bring nothing.
  std::vector<time_point> started;
  for (time_point until = joined + 5min; f.now < until;) {
    auto s = run_counting_push_pulls(f, f.now + t.probe_interval / 2);
    started.insert(started.end(), s.begin(), s.end());
    f.deliver(alive_for("b" + std::to_string(f.n.num_known()), 2, 1), 9);
  }
  // The early exchange, then repairs at the latest 30, 60, 120 s apart (lan: push_pull_interval
  // 30 s) while the burst lasts; none at the quiet rule, since the table never rests.
  REQUIRE(started.size() >= 4);
  CHECK(started[0] <= joined + 2 * t.probe_interval);
  CHECK(started[1] <= joined + t.push_pull_interval);
  CHECK(started[1] >= joined + t.push_pull_interval - 10ms);
  CHECK(started[2] - started[1] <= 2 * t.push_pull_interval);
  CHECK(started[2] - started[1] >= 2 * t.push_pull_interval - 10ms);
  CHECK(started[3] - started[2] <= 4 * t.push_pull_interval);
  CHECK(f.n.stats().repair_push_pulls >= 3);
  const auto repairs = f.n.stats().repair_push_pulls;
  // A few exchanges in all, not one per probe interval: the gap doubles until it outgrows the
  // periodic exchange's period, which then takes over.
  CHECK(repairs <= 5);
  CHECK(started.size() <= repairs + 3);
}

TEST_CASE("node: in a quiet table, repairs follow each other while each exchange brings new members") {
  // A small anti-entropy budget makes the periodic exchange minutes apart, as at a thousand
  // members, so the repairs are not cut short by it.
  config c = make_config("a", 1);
  c.t.push_pull_budget = 1;
  fixture f(c);
  const timing& t = f.n.cfg().t;
  const time_point joined = f.now;
  join_through_m2(f);
  int next_member = 1;
  // The early exchange brings a member we did not know, and so do the repairs that follow,
  // until 4 s after the join; after that the exchanges bring nothing.
  auto started = run_with_productive_replies(f, joined + 40s, joined + 4s, next_member);
  REQUIRE(started.size() == 4);
  CHECK(started[0] >= joined + t.probe_interval);
  CHECK(started[0] <= joined + 2 * t.probe_interval);
  // Each repair a quiet interval after the previous exchange brought its member.
  for (std::size_t i = 1; i < started.size(); ++i) {
    CHECK(started[i] - started[i - 1] >= repair_quiet(t));
    CHECK(started[i] - started[i - 1] <= repair_quiet(t) + 10ms);
  }
  CHECK(started[3] >= joined + 4s);  // the first exchange to bring nothing ends the repairs
  CHECK(f.n.stats().repair_push_pulls == 3);
  CHECK(f.n.num_known() == 2 + 3);   // m2 and us, and one from each of the first 3 exchanges
}

TEST_CASE("node: repairs end once the gap outgrows the periodic exchange, even if each brings news") {
  config c = make_config("a", 1);
  c.t.push_pull_budget = 1;
  fixture f(c);
  const time_point joined = f.now;
  join_through_m2(f);
  int next_member = 1;
  auto started = run_with_productive_replies(f, joined + 60s, joined + 60s, next_member);
  // Gaps 30, 60, 120, 240, 480 s: five repairs at most, whatever the budget's period.
  const auto repairs = f.n.stats().repair_push_pulls;
  CHECK(repairs >= 3);
  CHECK(repairs <= 5);
  CHECK(started.size() == repairs + 1);
}

namespace {

/// Joined through m2 and settled: the early exchange is over and found nothing new, and the
/// periodic one is far off. Gossip then brings `count` members we did not know at once (a
/// wave joining the cluster); returns the push-pulls started within 5 s of it.
std::vector<time_point> settled_member_sees_wave(fixture& f, int count) {
  const time_point joined = f.now;
  join_through_m2(f);
  REQUIRE(run_counting_push_pulls(f, joined + 4s).size() == 1);  // the early exchange
  REQUIRE(f.n.stats().repair_push_pulls == 0);
  for (int i = 0; i < count; ++i) f.deliver(alive_for("w" + std::to_string(i), 10 + i, 1));
  REQUIRE(f.n.num_known() == static_cast<std::size_t>(2 + count));
  return run_counting_push_pulls(f, f.now + 5s);
}

}  // namespace

TEST_CASE("node: a settled member whose table grows by a wave of members makes a repair exchange") {
  // The wave's alives keep reaching settled members by gossip only; an exchange carries what
  // the peer learned of the wave in bulk (node_impl.hpp, note_new_member).
  fixture f;
  const time_point wave = f.now + 4s;
  auto started = settled_member_sees_wave(f, 8);
  REQUIRE(started.size() == 1);
  CHECK(started[0] >= wave + repair_quiet(f.n.cfg().t));
  CHECK(started[0] <= wave + repair_quiet(f.n.cfg().t) + 10ms);
  CHECK(f.n.stats().repair_push_pulls == 1);
}

TEST_CASE("node: a few members joining a settled cluster cost no exchange") {
  fixture f;
  CHECK(settled_member_sees_wave(f, 7).empty());
  CHECK(f.n.stats().repair_push_pulls == 0);
}
