// agent::publisher with hand-made member tables and explicit time: the snapshot
// contract applications rely on.
#include <doctest/doctest.h>

#include "agent/publisher.hpp"
#include "peerlib/protocol.hpp"
#include "swim/tags.hpp"

using namespace agent;
using namespace std::chrono_literals;

namespace {

swim::member make(const std::string& name, int last, swim::member_state st = swim::member_state::alive,
                  std::uint32_t incarnation = 1) {
  swim::member m;
  m.name = name;
  m.addr = swim::address::v4(127, 0, 0, static_cast<std::uint8_t>(last), 7946);
  m.state = st;
  m.incarnation = incarnation;
  return m;
}

peerlib::snapshot decode(const std::shared_ptr<const std::string>& line) {
  REQUIRE(line);
  std::string err;
  auto s = peerlib::protocol::decode_snapshot(*line, &err);
  INFO(err);
  REQUIRE(s);
  return *s;
}

const publisher::clock::time_point t0{std::chrono::seconds(1000)};

}  // namespace

TEST_CASE("publisher: a lone change is published 50 ms after it arrived") {
  publisher p(50ms);
  CHECK_FALSE(p.due_at());
  auto first = p.changed(t0);
  REQUIRE(first);
  CHECK(*first == t0 + 50ms);
  CHECK(p.due_at() == t0 + 50ms);
  auto self = make("a", 1);
  p.publish(self, {self, make("b", 2)}, t0 + 50ms);
  CHECK_FALSE(p.due_at());
  // After a quiet second, the next change is lone again: its own 50 ms.
  auto second = p.changed(t0 + 50ms + 1s);
  REQUIRE(second);
  CHECK(*second == t0 + 50ms + 1s + 50ms);
}

TEST_CASE("publisher: a burst extends its window up to the cap, never beyond") {
  publisher_options o;
  o.coalesce = 50ms;
  o.coalesce_max = 1s;
  publisher p(o);
  auto self = make("a", 1);
  std::vector<swim::member> table = {self, make("b", 2)};
  REQUIRE(p.changed(t0) == t0 + 50ms);
  // A second change while the first is still recent: the window runs to the cap.
  CHECK(p.changed(t0 + 10ms) == t0 + 1s);
  // More changes, every 10 ms for three seconds, never move it further.
  for (auto t = t0 + 20ms; t < t0 + 1s; t += 10ms) CHECK_FALSE(p.changed(t));
  CHECK(p.due_at() == t0 + 1s);
  CHECK(decode(p.publish(self, table, t0 + 1s)).version == 1);
  CHECK_FALSE(p.due_at());
  // The burst goes on: the next window opens at its first change and runs to the cap too.
  CHECK(p.changed(t0 + 1s + 10ms) == t0 + 2s + 10ms);
  for (auto t = t0 + 1s + 20ms; t < t0 + 2s + 10ms; t += 10ms) CHECK_FALSE(p.changed(t));
  CHECK(p.due_at() == t0 + 2s + 10ms);
  // Two changes 50 ms apart after a quiet period: 50 ms, then extended to the cap.
  publisher q(o);
  CHECK(q.changed(t0) == t0 + 50ms);
  q.publish(self, table, t0 + 50ms);
  CHECK(q.changed(t0 + 5s) == t0 + 5s + 50ms);
  CHECK(q.changed(t0 + 5s + 40ms) == t0 + 6s);
}

TEST_CASE("publisher: one member's suspicion and death are not a burst") {
  publisher p(50ms);
  auto self = make("a", 1);
  auto b = make("b", 2, swim::member_state::suspect);
  std::vector<swim::member> table = {self, b};
  p.publish(self, table, t0);
  CHECK(p.member_changed(b, t0 + 1s) == t0 + 1s + 50ms);
  p.publish(self, table, t0 + 1s + 50ms);
  // Dead 600 ms after its suspicion: still the lone change's 50 ms.
  table[1].state = swim::member_state::dead;
  CHECK(p.member_changed(table[1], t0 + 1600ms) == t0 + 1650ms);
  // Another member's change within the second is a burst.
  CHECK(p.member_changed(make("c", 3), t0 + 1610ms) == t0 + 2600ms);
}

TEST_CASE("publisher: a peer's removal waits for suspects, at most burst_hold") {
  publisher_options o;
  o.coalesce = 50ms;
  o.coalesce_max = 1s;
  o.burst_hold = 3s;
  auto self = make("a", 1);
  std::vector<swim::member> table = {self, make("b", 2), make("c", 3), make("d", 4)};

  SUBCASE("the suspects die: one snapshot with every removal") {
    publisher p(o);
    CHECK(decode(p.publish(self, table, t0)).peers.size() == 4);
    table[2].state = swim::member_state::dead;     // c died
    table[3].state = swim::member_state::suspect;  // d is suspect
    p.member_changed(table[2], t0 + 1s);
    CHECK(p.due_at() == t0 + 1s + 50ms);
    CHECK_FALSE(p.publish(self, table, t0 + 1s + 50ms));
    CHECK(p.due_at() == t0 + 4s);  // held, at most 3 s after the window opened
    // d dies 1.5 s later: looked at again 50 ms after, and published with both gone.
    table[3].state = swim::member_state::dead;
    CHECK(p.member_changed(table[3], t0 + 2500ms) == t0 + 2550ms);
    auto s = decode(p.publish(self, table, t0 + 2550ms));
    CHECK(s.version == 2);
    CHECK(s.peers.size() == 2);
    CHECK_FALSE(p.due_at());
  }
  SUBCASE("a suspect that never resolves: published at the hold's end, suspect listed") {
    publisher p(o);
    p.publish(self, table, t0);
    table[2].state = swim::member_state::dead;
    table[3].state = swim::member_state::suspect;
    p.member_changed(table[2], t0 + 1s);
    CHECK_FALSE(p.publish(self, table, t0 + 1s + 50ms));
    // Other changes while held bring a look sooner, and the hold again.
    table[1].incarnation = 2;
    CHECK(p.member_changed(table[1], t0 + 2s) == t0 + 2s + 50ms);
    CHECK_FALSE(p.publish(self, table, t0 + 2s + 50ms));
    CHECK(p.due_at() == t0 + 4s);
    auto s = decode(p.publish(self, table, t0 + 4s));
    REQUIRE(s.peers.size() == 3);
    CHECK(s.peers[2].name == "d");
    CHECK(s.peers[2].state == peerlib::peer_state::suspect);
  }
  SUBCASE("no suspect: a removal goes out at once") {
    publisher p(o);
    p.publish(self, table, t0);
    table[2].state = swim::member_state::dead;
    p.member_changed(table[2], t0 + 1s);
    CHECK(decode(p.publish(self, table, t0 + 1s + 50ms)).peers.size() == 3);
    // Another removal less than burst_hold later: the failure is unfolding, it waits the hold.
    table[3].state = swim::member_state::dead;
    p.member_changed(table[3], t0 + 3s);
    CHECK_FALSE(p.publish(self, table, t0 + 3s + 50ms));
    CHECK(p.due_at() == t0 + 6s);
    CHECK(decode(p.publish(self, table, t0 + 6s)).peers.size() == 2);
    // burst_hold after that removal, a removal is lone again.
    table[1].state = swim::member_state::dead;
    p.member_changed(table[1], t0 + 9s + 1ms);
    CHECK(decode(p.publish(self, table, t0 + 9s + 51ms)).peers.size() == 1);
  }
  SUBCASE("suspects do not hold a change that removes nobody") {
    publisher p(o);
    p.publish(self, table, t0);
    table[3].state = swim::member_state::suspect;
    table.push_back(make("e", 5));
    p.member_changed(table[4], t0 + 1s);
    CHECK(decode(p.publish(self, table, t0 + 1s + 50ms)).peers.size() == 5);
  }
  SUBCASE("burst_hold 0 never holds") {
    o.burst_hold = 0ms;
    publisher p(o);
    p.publish(self, table, t0);
    table[2].state = swim::member_state::dead;
    table[3].state = swim::member_state::suspect;
    p.member_changed(table[2], t0 + 1s);
    CHECK(decode(p.publish(self, table, t0 + 1s + 50ms)).peers.size() == 3);
  }
}

TEST_CASE("publisher: a flapping member is held out of the list until its penalty decays") {
  publisher p;  // damping defaults: 1000 per flap, 60 s half-life, suppress 1500, reuse 750
  auto self = make("a", 1);
  auto b = make("b", 2);
  std::vector<swim::member> table = {self, b};
  auto at = t0;
  auto step = [&](swim::member_state st) {
    at += 10s;
    table[1].state = st;
    p.member_changed(table[1], at);
    return decode(p.publish(self, table, at + 50ms)).peers.size();
  };
  CHECK(decode(p.publish(self, table, at)).peers.size() == 2);
  // The first crash is removed at full speed, the first come-back admitted at once.
  CHECK(step(swim::member_state::dead) == 1);
  CHECK(step(swim::member_state::alive) == 2);
  // The second crash is removed as fast; its come-back is held out.
  CHECK(step(swim::member_state::dead) == 1);
  CHECK(p.damping().suppressed("b"));
  at += 10s;
  table[1].state = swim::member_state::alive;
  p.member_changed(table[1], at);
  CHECK_FALSE(p.publish(self, table, at + 50ms));  // nothing a subscriber sees changed
  CHECK(p.damping().record("b").flaps == 2);
  // due_at() is the re-admission: 1000 x 2^(-20/60) + 1000 = 1794 at the second crash falls
  // to 750 after 60 x log2(1794 / 750) = 75.5 s.
  auto reuse = p.due_at();
  REQUIRE(reuse);
  CHECK(*reuse - (t0 + 30s) > 75s);
  CHECK(*reuse - (t0 + 30s) < 76s);
  CHECK_FALSE(p.publish(self, table, *reuse - 1ms));
  auto s = decode(p.publish(self, table, *reuse));
  CHECK(s.peers.size() == 2);
  CHECK_FALSE(p.damping().suppressed("b"));
  CHECK_FALSE(p.due_at());
}

TEST_CASE("publisher: damping learns transitions from the table too, and never damps self") {
  publisher p;
  auto self = make("a", 1);
  std::vector<swim::member> table = {self, make("b", 2)};
  p.publish(self, table, t0);
  for (int i = 0; i < 3; ++i) {
    table[1].state = swim::member_state::dead;
    p.publish(self, table, t0 + std::chrono::seconds(2 * i + 1));
    table[1].state = swim::member_state::alive;
    p.publish(self, table, t0 + std::chrono::seconds(2 * i + 2));
  }
  CHECK(p.damping().record("b").flaps == 3);
  CHECK(p.last()->peers.size() == 1);
  // Events about self are not damped: self is always listed.
  auto dead_self = self;
  dead_self.state = swim::member_state::dead;
  for (int i = 0; i < 3; ++i) {
    p.member_changed(dead_self, t0 + 10s);
    p.member_changed(self, t0 + 10s);
  }
  CHECK(p.damping().record("a").flaps == 0);
  CHECK_FALSE(p.publish(self, table, t0 + 10s));
  REQUIRE(p.last()->peers.size() == 1);
  CHECK(p.last()->peers[0].name == "a");
}

TEST_CASE("publisher: versions start at 1 and grow by one only when the view changes") {
  publisher p;
  auto self = make("a", 1);
  std::vector<swim::member> table = {self, make("b", 2)};
  auto s1 = decode(p.publish(self, table, t0));
  CHECK(s1.version == 1);
  CHECK(p.version() == 1);
  // Same view: nothing to publish, the version stays.
  CHECK_FALSE(p.publish(self, table, t0));
  CHECK(p.version() == 1);
  // A change a subscriber can see: version 2.
  table.push_back(make("c", 3));
  auto s2 = decode(p.publish(self, table, t0));
  CHECK(s2.version == 2);
  CHECK(s2.peers.size() == 3);
  // A member dying is visible too.
  table[2].state = swim::member_state::dead;
  auto s3 = decode(p.publish(self, table, t0));
  CHECK(s3.version == 3);
  CHECK(s3.peers.size() == 2);
}

TEST_CASE("publisher: suspect members stay listed, self included, dead and left are not") {
  publisher p;
  auto self = make("m", 5);
  auto s = decode(p.publish(self, {make("z", 9, swim::member_state::suspect), self,
                                   make("d", 4, swim::member_state::dead),
                                   make("l", 3, swim::member_state::left), make("a", 1)}, t0));
  REQUIRE(s.peers.size() == 3);
  CHECK(s.peers[0].name == "a");
  CHECK(s.peers[1].name == "m");
  CHECK(s.peers[2].name == "z");
  CHECK(s.peers[2].state == peerlib::peer_state::suspect);
  CHECK(s.self.name == "m");
  // Alive -> suspect is a visible change (the state is published).
  auto s2 =
      decode(p.publish(self, {make("z", 9, swim::member_state::alive), self, make("a", 1)}, t0));
  CHECK(s2.version == s.version + 1);
  CHECK(s2.peers[2].state == peerlib::peer_state::alive);
}

TEST_CASE("publisher: local mode holds while alone and latches off for good") {
  publisher p;
  auto self = make("a", 1);
  auto alone = decode(p.publish(self, {self}, t0));
  CHECK(alone.local_mode);
  CHECK(p.local_mode());
  // Members known only as dead do not end local mode.
  CHECK_FALSE(p.publish(self, {self, make("b", 2, swim::member_state::dead)}, t0));
  CHECK(p.local_mode());
  // A live peer ends it.
  auto joined = decode(p.publish(self, {self, make("b", 2)}, t0));
  CHECK_FALSE(joined.local_mode);
  CHECK(joined.peers.size() == 2);
  // Alone again: an empty cluster is a real answer now, not local mode.
  auto later = decode(p.publish(self, {self, make("b", 2, swim::member_state::dead)}, t0));
  CHECK_FALSE(later.local_mode);
  CHECK(later.peers.size() == 1);
  CHECK(later.version == joined.version + 1);
}

TEST_CASE("publisher: a successful join ends local mode even before peers arrive") {
  publisher p;
  auto self = make("a", 1);
  CHECK(decode(p.publish(self, {self}, t0)).local_mode);
  p.joined();
  CHECK_FALSE(p.local_mode());
  auto s = decode(p.publish(self, {self}, t0));
  CHECK_FALSE(s.local_mode);
  CHECK(s.version == 2);
}

TEST_CASE("publisher: current() builds the first snapshot once and then returns the last") {
  publisher p;
  auto self = make("a", 1);
  auto first = p.current(self, {self, make("b", 2)}, t0);
  CHECK(decode(first).version == 1);
  // current() never publishes a newer view by itself: it is what subscribers were sent.
  auto again = p.current(self, {self, make("b", 2), make("c", 3)}, t0);
  CHECK(again == first);
  CHECK(p.version() == 1);
  CHECK(p.last()->peers.size() == 2);
}
