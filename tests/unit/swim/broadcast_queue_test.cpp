#include <doctest/doctest.h>

#include "swim/broadcast_queue.hpp"

#include <algorithm>
#include <set>
#include <string>

using namespace swim;

namespace {
bytes msg(std::size_t n, std::uint8_t fill) { return bytes(n, fill); }
}  // namespace

TEST_CASE("broadcast_queue: retransmit limit is mult * ceil(log10(n+1))") {
  CHECK(retransmit_limit(4, 1) == 4);
  CHECK(retransmit_limit(4, 9) == 4);
  CHECK(retransmit_limit(4, 10) == 8);
  CHECK(retransmit_limit(4, 99) == 8);
  CHECK(retransmit_limit(4, 100) == 12);
  CHECK(retransmit_limit(4, 0) == 0);
}

TEST_CASE("broadcast_queue: a keyed message replaces the queued one with that key") {
  broadcast_queue q;
  auto first = q.push("node-a", msg(10, 1));
  auto second = q.push("node-a", msg(12, 2));
  q.push("node-b", msg(10, 3));
  CHECK(q.size() == 2);
  CHECK_FALSE(q.pending(first));
  CHECK(q.pending(second));
  auto out = q.take(2, 1000, 4);
  REQUIRE(out.size() == 2);
  CHECK(out[0] == msg(12, 2));  // larger first within a tier
  CHECK(out[1] == msg(10, 3));
}

TEST_CASE("broadcast_queue: messages drop out after the transmit limit") {
  broadcast_queue q;
  auto id = q.push("k", msg(10, 1));
  for (int i = 0; i < 3; ++i) CHECK(q.take(2, 100, 3).size() == 1);
  CHECK_FALSE(q.pending(id));
  CHECK(q.size() == 0);
  CHECK(q.take(2, 100, 3).empty());
}

TEST_CASE("broadcast_queue: a key still replaces its message after the message was sent") {
  // take() moves a sent message to its new place in the order; the key must follow it.
  broadcast_queue q;
  for (int i = 0; i < 50; ++i) q.push("m" + std::to_string(i), msg(10, static_cast<std::uint8_t>(i)));
  for (int round = 0; round < 3; ++round) CHECK(q.take(2, 1400, 10).size() == 50);
  for (int i = 0; i < 50; i += 2) q.push("m" + std::to_string(i), msg(11, 200));
  CHECK(q.size() == 50);
  // The replacements have not been sent yet, so they come first; the rest keep their count.
  auto out = q.take(2, 1400, 10);
  REQUIRE(out.size() == 50);
  for (int i = 0; i < 25; ++i) CHECK(out[static_cast<std::size_t>(i)] == msg(11, 200));
  // An unkeyed message never replaces one.
  q.push("", msg(5, 9));
  q.push("", msg(5, 9));
  CHECK(q.size() == 52);
}

TEST_CASE("broadcast_queue: a transmit limit above 255 ends at 255 sends") {
  broadcast_queue q;
  auto id = q.push("k", msg(10, 1));
  int sent = 0;
  while (!q.take(2, 100, 1000).empty()) ++sent;
  CHECK(sent == 255);
  CHECK_FALSE(q.pending(id));
}

TEST_CASE("broadcast_queue: fewest transmissions first, then largest that fits, then newest") {
  broadcast_queue q;
  q.push("old", msg(20, 1));
  q.take(2, 100, 10);          // "old" now has 1 transmission
  q.push("small", msg(10, 2));
  q.push("big", msg(50, 3));
  q.push("small2", msg(10, 4));  // same size as "small", newer
  auto out = q.take(2, 100, 10);
  // Budget 100: big (52) + small2 (12) + small (12) = 76; old (22) would make 98: fits too.
  REQUIRE(out.size() == 4);
  CHECK(out[0] == msg(50, 3));
  CHECK(out[1] == msg(10, 4));
  CHECK(out[2] == msg(10, 2));
  CHECK(out[3] == msg(20, 1));
}

TEST_CASE("broadcast_queue: respects the byte budget and the part count") {
  broadcast_queue q;
  for (int i = 0; i < 10; ++i) q.push("k" + std::to_string(i), msg(30, static_cast<std::uint8_t>(i)));
  auto out = q.take(2, 100, 4);  // 32 bytes each: 3 fit
  CHECK(out.size() == 3);
  auto out2 = q.take(2, 10000, 4, 5);
  CHECK(out2.size() == 5);
  CHECK(q.take(2, 1, 4).empty());  // budget below the overhead
}

namespace {
// The room a 1400-byte datagram leaves for piggybacked parts (compound header included).
constexpr std::size_t packet_room = 1398;
std::size_t count_fill(const std::vector<bytes>& v, std::uint8_t fill) {
  return static_cast<std::size_t>(
      std::count_if(v.begin(), v.end(), [&](const bytes& b) { return !b.empty() && b[0] == fill; }));
}
}  // namespace

TEST_CASE("broadcast_queue: 1000 queued membership changes never starve user messages") {
  broadcast_queue q;
  for (int i = 0; i < 1000; ++i) q.push("node-" + std::to_string(i), msg(60, 1));
  q.push(broadcast_class::user, {}, msg(100, 2));
  q.push(broadcast_class::user, {}, msg(100, 3));
  q.push(broadcast_class::user, {}, msg(600, 4));  // larger than a quarter of the room
  CHECK(q.size(broadcast_class::membership) == 1000);
  CHECK(q.size(broadcast_class::user) == 3);
  // Without a share, 1000 membership messages at 0 transmissions fill every packet for
  // dozens of packets. With it, every user message is out within the first two packets.
  std::size_t membership_sent = 0, user_sent = 0;
  std::set<std::uint8_t> users_seen;
  for (int packet = 0; packet < 2; ++packet) {
    auto out = q.take(2, packet_room, 4);
    std::size_t used = 0;
    for (const auto& b : out) {
      used += 2 + b.size();
      if (b[0] != 1) users_seen.insert(b[0]);
    }
    CHECK(used <= packet_room);
    CHECK(count_fill(out, 1) >= 12);  // more than half the room still went to membership
    membership_sent += count_fill(out, 1);
    user_sent += out.size() - count_fill(out, 1);
    REQUIRE_FALSE(out.empty());
    CHECK(out.front()[0] == 1);  // membership still first on the wire, and in most of the room
  }
  CHECK(users_seen == std::set<std::uint8_t>{2, 3, 4});
  CHECK(q.size(broadcast_class::membership) == 1000);  // nothing reached its transmit limit yet
  CHECK(membership_sent + user_sent > 30);
}

TEST_CASE("broadcast_queue: membership goes first and keeps the room user messages leave") {
  broadcast_queue q;
  q.push(broadcast_class::user, {}, msg(30, 2));
  q.push("a", msg(40, 1));
  q.push("b", msg(40, 1));
  SUBCASE("both fit: everything goes, membership before user") {
    auto out = q.take(2, 1000, 4);
    REQUIRE(out.size() == 3);
    CHECK(out[0][0] == 1);
    CHECK(out[1][0] == 1);
    CHECK(out[2][0] == 2);
  }
  SUBCASE("room for two: one of each, the user message in its share") {
    // Room 90: the share is max(90/4, 32) = 32, so membership first gets 58 (one message),
    // the user message takes 32, and the 16 left cannot hold the second membership one.
    auto out = q.take(2, 90, 4);
    REQUIRE(out.size() == 2);
    CHECK(out[0][0] == 1);
    CHECK(out[1][0] == 2);
  }
  SUBCASE("the user share is never wasted: a small user message leaves room to membership") {
    broadcast_queue q2;
    q2.push(broadcast_class::user, {}, msg(10, 2));
    for (int i = 0; i < 30; ++i) q2.push("m" + std::to_string(i), msg(40, 1));
    auto out = q2.take(2, 420, 4);
    // 420 = 12 (user) + 9 x 42 (membership) + 30 unused: the share (105) went back.
    CHECK(count_fill(out, 2) == 1);
    CHECK(count_fill(out, 1) == 9);
  }
}

TEST_CASE("broadcast_queue: without user messages membership has the whole packet") {
  broadcast_queue q;
  for (int i = 0; i < 100; ++i) q.push("m" + std::to_string(i), msg(40, 1));
  CHECK(q.take(2, 420, 4).size() == 10);
}

TEST_CASE("broadcast_queue: each class is bounded; the most-sent message goes and is counted") {
  broadcast_queue q(4);
  const auto first = q.push(broadcast_class::user, {}, msg(10, 1));
  q.take(2, 100, 10);  // `first` now has one transmission: the most sent
  for (std::uint8_t i = 2; i <= 4; ++i) q.push(broadcast_class::user, {}, msg(10, i));
  CHECK(q.size(broadcast_class::user) == 4);
  CHECK(q.dropped(broadcast_class::user) == 0);
  const auto fifth = q.push(broadcast_class::user, {}, msg(10, 5));
  CHECK(q.size(broadcast_class::user) == 4);
  CHECK(q.dropped(broadcast_class::user) == 1);
  CHECK_FALSE(q.pending(first));
  CHECK(q.pending(fifth));
  // The new message is never the one dropped, even when it is the smallest.
  const auto tiny = q.push(broadcast_class::user, {}, msg(1, 6));
  CHECK(q.pending(tiny));
  CHECK(q.dropped(broadcast_class::user) == 2);
  // The other class is untouched and has its own bound.
  for (int i = 0; i < 6; ++i) q.push("m" + std::to_string(i), msg(10, 9));
  CHECK(q.size(broadcast_class::membership) == 4);
  CHECK(q.dropped(broadcast_class::membership) == 2);
  CHECK(q.size() == 8);
  // Coalescing per member keeps a member's updates to one, so updates about 4 members never drop.
  broadcast_queue q2(4);
  for (int round = 0; round < 10; ++round)
    for (int m = 0; m < 4; ++m) q2.push("m" + std::to_string(m), msg(10, static_cast<std::uint8_t>(round)));
  CHECK(q2.size() == 4);
  CHECK(q2.dropped(broadcast_class::membership) == 0);
}

TEST_CASE("broadcast_queue: a class's bound can be raised and lowered while messages wait") {
  broadcast_queue q(2);
  q.set_bound(broadcast_class::membership, 3);
  CHECK(q.bound(broadcast_class::membership) == 3);
  CHECK(q.bound(broadcast_class::user) == 2);
  for (int i = 0; i < 3; ++i) q.push("m" + std::to_string(i), msg(10, 1));
  CHECK(q.size(broadcast_class::membership) == 3);
  CHECK(q.dropped(broadcast_class::membership) == 0);
  // Lowered: what waits stays until the next push, which brings the class back to the bound.
  q.set_bound(broadcast_class::membership, 1);
  CHECK(q.size(broadcast_class::membership) == 3);
  const auto last = q.push("m3", msg(10, 1));
  CHECK(q.size(broadcast_class::membership) == 3);  // one in, one out
  CHECK(q.pending(last));
  CHECK(q.dropped(broadcast_class::membership) == 1);
  q.set_bound(broadcast_class::membership, 0);  // never below one
  CHECK(q.bound(broadcast_class::membership) == 1);
}
