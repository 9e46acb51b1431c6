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

TEST_CASE("publisher: a burst of changes inside the window opens one window") {
  publisher p(50ms);
  CHECK_FALSE(p.due_at());
  auto first = p.changed(t0);
  REQUIRE(first);
  CHECK(*first == t0 + 50ms);
  // Later changes in the same window neither open another nor move its end.
  CHECK_FALSE(p.changed(t0 + 10ms));
  CHECK_FALSE(p.changed(t0 + 49ms));
  CHECK(p.due_at() == t0 + 50ms);
  auto self = make("a", 1);
  p.publish(self, {self, make("b", 2)});
  CHECK_FALSE(p.due_at());
  // After publishing, the next change opens a new window from its own time.
  auto second = p.changed(t0 + 70ms);
  REQUIRE(second);
  CHECK(*second == t0 + 120ms);
}

TEST_CASE("publisher: versions start at 1 and grow by one only when the view changes") {
  publisher p;
  auto self = make("a", 1);
  std::vector<swim::member> table = {self, make("b", 2)};
  auto s1 = decode(p.publish(self, table));
  CHECK(s1.version == 1);
  CHECK(p.version() == 1);
  // Same view: nothing to publish, the version stays.
  CHECK_FALSE(p.publish(self, table));
  CHECK(p.version() == 1);
  // A change a subscriber can see: version 2.
  table.push_back(make("c", 3));
  auto s2 = decode(p.publish(self, table));
  CHECK(s2.version == 2);
  CHECK(s2.peers.size() == 3);
  // A member dying is visible too.
  table[2].state = swim::member_state::dead;
  auto s3 = decode(p.publish(self, table));
  CHECK(s3.version == 3);
  CHECK(s3.peers.size() == 2);
}

TEST_CASE("publisher: suspect members stay listed, self included, dead and left are not") {
  publisher p;
  auto self = make("m", 5);
  auto s = decode(p.publish(self, {make("z", 9, swim::member_state::suspect), self,
                                   make("d", 4, swim::member_state::dead),
                                   make("l", 3, swim::member_state::left), make("a", 1)}));
  REQUIRE(s.peers.size() == 3);
  CHECK(s.peers[0].name == "a");
  CHECK(s.peers[1].name == "m");
  CHECK(s.peers[2].name == "z");
  CHECK(s.peers[2].state == peerlib::peer_state::suspect);
  CHECK(s.self.name == "m");
  // Alive -> suspect is a visible change (the state is published).
  auto s2 = decode(p.publish(self, {make("z", 9, swim::member_state::alive), self, make("a", 1)}));
  CHECK(s2.version == s.version + 1);
  CHECK(s2.peers[2].state == peerlib::peer_state::alive);
}

TEST_CASE("publisher: local mode holds while alone and latches off for good") {
  publisher p;
  auto self = make("a", 1);
  auto alone = decode(p.publish(self, {self}));
  CHECK(alone.local_mode);
  CHECK(p.local_mode());
  // Members known only as dead do not end local mode.
  CHECK_FALSE(p.publish(self, {self, make("b", 2, swim::member_state::dead)}));
  CHECK(p.local_mode());
  // A live peer ends it.
  auto joined = decode(p.publish(self, {self, make("b", 2)}));
  CHECK_FALSE(joined.local_mode);
  CHECK(joined.peers.size() == 2);
  // Alone again: an empty cluster is a real answer now, not local mode.
  auto later = decode(p.publish(self, {self, make("b", 2, swim::member_state::dead)}));
  CHECK_FALSE(later.local_mode);
  CHECK(later.peers.size() == 1);
  CHECK(later.version == joined.version + 1);
}

TEST_CASE("publisher: a successful join ends local mode even before peers arrive") {
  publisher p;
  auto self = make("a", 1);
  CHECK(decode(p.publish(self, {self})).local_mode);
  p.joined();
  CHECK_FALSE(p.local_mode());
  auto s = decode(p.publish(self, {self}));
  CHECK_FALSE(s.local_mode);
  CHECK(s.version == 2);
}

TEST_CASE("publisher: current() builds the first snapshot once and then returns the last") {
  publisher p;
  auto self = make("a", 1);
  auto first = p.current(self, {self, make("b", 2)});
  CHECK(decode(first).version == 1);
  // current() never publishes a newer view by itself: it is what subscribers were sent.
  auto again = p.current(self, {self, make("b", 2), make("c", 3)});
  CHECK(again == first);
  CHECK(p.version() == 1);
  CHECK(p.last()->peers.size() == 2);
}
