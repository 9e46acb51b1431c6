#include <doctest/doctest.h>

#include "swim/broadcast_queue.hpp"

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
