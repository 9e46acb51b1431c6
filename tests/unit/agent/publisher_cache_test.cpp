// agent::publisher and members whose cache check fails: a live member tagged
// cache=down is left out of the peer list (self too), and comes back when its
// tag says up again; the change reaches subscribers like any other.
#include <doctest/doctest.h>

#include "agent/publisher.hpp"
#include "agent/snapshot.hpp"
#include "peerlib/protocol.hpp"
#include "swim/tags.hpp"

using namespace agent;
using namespace std::chrono_literals;

namespace {

swim::member make(const std::string& name, int last, swim::tag_map tags = {},
                  swim::member_state st = swim::member_state::alive) {
  swim::member m;
  m.name = name;
  m.addr = swim::address::v4(127, 0, 0, static_cast<std::uint8_t>(last), 7946);
  m.state = st;
  m.incarnation = 1;
  m.meta = swim::encode_tags(tags);
  return m;
}

/// `m` with its cache tag set to `value` and its incarnation raised, as set_meta gossips it.
swim::member with_cache(swim::member m, const char* value) {
  auto tags = swim::decode_tags(m.meta).value_or(swim::tag_map{});
  tags[peerlib::protocol::cache_tag] = value;
  m.meta = swim::encode_tags(tags);
  m.incarnation++;
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

std::vector<std::string> names(const peerlib::snapshot& s) {
  std::vector<std::string> out;
  for (const auto& p : s.peers) out.push_back(p.name);
  return out;
}

const publisher::clock::time_point t0{std::chrono::seconds(1000)};

}  // namespace

TEST_CASE("publisher: a member whose cache is down leaves the list and comes back when it is up") {
  publisher p;
  auto self = make("a", 1, {{"cache", "up"}});
  std::vector<swim::member> table = {self, make("b", 2, {{"cache", "up"}, {"cache_port", "11211"}}),
                                     make("c", 3, {{"cache", "up"}})};
  auto s1 = decode(p.publish(self, table, t0));
  CHECK(names(s1) == std::vector<std::string>{"a", "b", "c"});

  // b's agent gossips cache=down (an update event): gone 50 ms later, though still alive.
  table[1] = with_cache(table[1], "down");
  REQUIRE(p.member_changed(table[1], t0 + 1s) == t0 + 1s + 50ms);
  auto s2 = decode(p.publish(self, table, t0 + 1s + 50ms));
  CHECK(names(s2) == std::vector<std::string>{"a", "c"});
  CHECK(s2.version == s1.version + 1);
  CHECK_FALSE(s2.local_mode);

  // Back up: listed again, with its cache URL.
  table[1] = with_cache(table[1], "up");
  REQUIRE(p.member_changed(table[1], t0 + 5s) == t0 + 5s + 50ms);
  auto s3 = decode(p.publish(self, table, t0 + 5s + 50ms));
  REQUIRE(names(s3) == std::vector<std::string>{"a", "b", "c"});
  CHECK(s3.peers[1].cache_url == "http://127.0.0.2:11211");
  CHECK(s3.version == s2.version + 1);
  // A cache check is not a failure of the member: flap damping never counts it.
  CHECK(p.damping().record("b").flaps == 0);
}

TEST_CASE(
    "publisher: this node's own cache down leaves it out of its own list; self still says who it "
    "is") {
  publisher p;
  auto self = make("a", 1, {{"cache", "down"}});
  std::vector<swim::member> table = {self, make("b", 2), make("c", 3, {{"cache", "up"}})};
  auto s = decode(p.publish(self, table, t0));
  CHECK(names(s) == std::vector<std::string>{"b", "c"});
  CHECK(s.self.name == "a");
  CHECK(s.self.tags.at("cache") == "down");
  CHECK_FALSE(s.local_mode);

  // Its check passes: this node is back in its own list.
  table[0] = self = with_cache(self, "up");
  auto s2 = decode(p.publish(self, table, t0 + 1s));
  CHECK(names(s2) == std::vector<std::string>{"a", "b", "c"});
  CHECK(s2.self.tags.at("cache") == "up");
}

TEST_CASE("publisher: local mode with the cache not up yet publishes an empty list") {
  publisher p;
  auto self = make("a", 1, {{"cache", "down"}});
  auto s = decode(p.publish(self, {self}, t0));
  CHECK(s.local_mode);
  CHECK(s.peers.empty());
  CHECK(s.self.name == "a");
  self = with_cache(self, "up");
  auto s2 = decode(p.publish(self, {self}, t0 + 1s));
  CHECK(s2.local_mode);
  CHECK(names(s2) == std::vector<std::string>{"a"});
}

TEST_CASE("snapshot: only a cache tag of exactly \"down\" leaves a member out") {
  auto self = make("a", 1);
  std::vector<swim::member> table = {self, make("b", 2, {{"cache", "Down"}}),
                                     make("c", 3, {{"cache", "warming"}}),
                                     make("d", 4, {{"cache", "down"}}, swim::member_state::suspect),
                                     make("e", 5, {{"role", "down"}})};
  auto s = build_snapshot(self, table, 1, false);
  // A Serf member's tags are opaque: only our reserved key and value count.
  CHECK(names(s) == std::vector<std::string>{"a", "b", "c", "e"});
  CHECK(cache_down(to_peer(table[3])));
  CHECK_FALSE(cache_down(to_peer(table[1])));
}

TEST_CASE(
    "publisher: this node's cache going down then up again is two lone changes, not a burst") {
  publisher p;
  auto self = make("a", 1, {{"cache", "up"}});
  std::vector<swim::member> table = {self, make("b", 2)};
  decode(p.publish(self, table, t0));
  table[0] = self = with_cache(self, "down");
  REQUIRE(p.changed(t0 + 1s, "a") == t0 + 1s + 50ms);
  CHECK(names(decode(p.publish(self, table, t0 + 1s + 50ms))) == std::vector<std::string>{"b"});
  // Back 400 ms later: its own window of 50 ms, not a burst's 1 s.
  table[0] = self = with_cache(self, "up");
  REQUIRE(p.changed(t0 + 1400ms, "a") == t0 + 1400ms + 50ms);
  CHECK(names(decode(p.publish(self, table, t0 + 1450ms))) == std::vector<std::string>{"a", "b"});
  // A change about nobody in particular, that soon after, is still taken as a burst.
  REQUIRE(p.changed(t0 + 1500ms) == t0 + 1500ms + 1s);
}
