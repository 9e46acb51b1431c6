#include "swim/serf.hpp"

#include <string_view>

#include <doctest/doctest.h>

#include "support/hex.hpp"

using namespace swim;

namespace {

using test_support::hex;

// docs/wire.md §11 V11 bodies without their CRC wrapper: 08 | serfType | msgpack.
const bytes join_b = hex("080182a54c54696d6501a44e6f6465a162");
const bytes leave_b = hex("080083a54c54696d6503a44e6f6465a162a55072756e65c2");

byte_view payload_of(const bytes& user_message) { return byte_view(user_message).subspan(1); }

}  // namespace

TEST_CASE("serf: join intent V11 decodes and re-encodes byte for byte") {
  const auto i = serf::decode_intent(payload_of(join_b));
  REQUIRE(i);
  CHECK(i->type == serf::message_type::join);
  CHECK(i->ltime == 1);
  CHECK(i->node == "b");
  CHECK_FALSE(i->prune);
  CHECK(serf::encode_intent(*i) == join_b);
}

TEST_CASE("serf: leave intent V11 decodes and re-encodes byte for byte") {
  const auto i = serf::decode_intent(payload_of(leave_b));
  REQUIRE(i);
  CHECK(i->type == serf::message_type::leave);
  CHECK(i->ltime == 3);
  CHECK(i->node == "b");
  CHECK_FALSE(i->prune);
  CHECK(serf::encode_intent(*i) == leave_b);
  const serf::intent pruned{serf::message_type::leave, 1ull << 40, "node-1", true};
  const bytes e = serf::encode_intent(pruned);
  CHECK(e.back() == 0xc3);
  const auto back = serf::decode_intent(payload_of(e));
  REQUIRE(back);
  CHECK(back->ltime == 1ull << 40);
  CHECK(back->node == "node-1");
  CHECK(back->prune);
}

TEST_CASE("serf: other messages and malformed input are not intents") {
  // User event and query response from V11.
  CHECK_FALSE(serf::decode_intent(payload_of(
      hex("080384a24343c3a54c54696d6501a44e616d65a568656c6c6fa75061796c6f6164a5776f726c64"))));
  CHECK_FALSE(serf::decode_intent(payload_of(
      hex("080585a5466c61677301a446726f6da162a24944ce4c1501b0a54c54696d6501a75061796c6f6164c0"))));
  CHECK_FALSE(serf::decode_intent({}));
  CHECK_FALSE(serf::decode_intent(hex("01a0")));                // not a map
  CHECK_FALSE(serf::decode_intent(hex("0181a54c54696d65ff")));  // negative LTime
  // Every truncation fails cleanly.
  for (const bytes* v : {&join_b, &leave_b}) {
    for (std::size_t n = 1; n < v->size(); ++n) {
      CAPTURE(n);
      CHECK_FALSE(serf::decode_intent(byte_view(*v).subspan(1, n - 1)));
    }
  }
  // Keys in any order; a Prune key in a join is ignored, as Go skips unknown keys.
  const auto j = serf::decode_intent(hex("0183a55072756e65c3a44e6f6465a178a54c54696d6507"));
  REQUIRE(j);
  CHECK(j->type == serf::message_type::join);
  CHECK(j->ltime == 7);
  CHECK(j->node == "x");
  CHECK_FALSE(j->prune);
}
