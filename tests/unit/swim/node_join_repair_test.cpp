// The anti-entropy exchanges that follow a join (node_impl.hpp, repair_pending): an early
// one, and a second one once gossip has stopped bringing members we did not know.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "node_fixture.hpp"
#include "swim/node.hpp"
#include "swim/wire.hpp"

namespace {

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

/// Run until `until`, acking every ping and answering every push-pull with our own state;
/// returns the times at which periodic (not join) push-pulls were started.
std::vector<time_point> run_counting_push_pulls(fixture& f, time_point until) {
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
      f.n.on_stream_reply(s.id, wire::stream_message{*pp}, f.now);
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
