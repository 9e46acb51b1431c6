#include "swim/tags.hpp"

#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "support/hex.hpp"

using namespace swim;

namespace {

using test_support::hex;

}  // namespace

TEST_CASE("tags: captured metas decode (V4, V5)") {
  const auto web = decode_tags(hex("ff81a4726f6c65a3776562"));
  REQUIRE(web);
  CHECK(*web == tag_map{{"role", "web"}});

  const auto db = decode_tags(hex("ff82a4726f6c65a26462a26463a178"));
  REQUIRE(db);
  CHECK(*db == tag_map{{"role", "db"}, {"dc", "x"}});

  const auto none = decode_tags(hex("ff80"));
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("tags: encoding matches Serf's bytes (single key and sorted keys)") {
  CHECK(encode_tags({}) == hex("ff80"));
  CHECK(encode_tags({{"role", "web"}}) == hex("ff81a4726f6c65a3776562"));
  // Go's map order is random; with sorted keys the V4 capture happens to match.
  CHECK(encode_tags({{"role", "db"}, {"dc", "x"}}) == hex("ff82a26463a178a4726f6c65a26462"));
  const tag_map many = {{"a", std::string(40, 'v')}, {"b", ""}, {std::string(31, 'k'), "z"}};
  const auto back = decode_tags(encode_tags(many));
  REQUIRE(back);
  CHECK(*back == many);
}

TEST_CASE("tags: legacy meta is the role") {
  CHECK(*decode_tags({}) == tag_map{{"role", ""}});
  const bytes legacy = {'w', 'e', 'b'};
  CHECK(*decode_tags(legacy) == tag_map{{"role", "web"}});
}

TEST_CASE("tags: bad msgpack after the magic byte is rejected") {
  CHECK_FALSE(decode_tags(hex("ff")));
  CHECK_FALSE(decode_tags(hex("ffa0")));                  // not a map
  CHECK_FALSE(decode_tags(hex("ff81a4726f6c65")));        // value missing
  CHECK_FALSE(decode_tags(hex("ff81a4726f6c65c40161")));  // bin into a string
  CHECK_FALSE(decode_tags(hex("ff81a4726f6c6501")));      // not a string
  CHECK_FALSE(decode_tags(hex("ffdfffffffffa161")));      // 4 G entries claimed
  // str8 and nil are fine.
  const auto s8 = decode_tags(hex("ff81d904726f6c65c0"));
  REQUIRE(s8);
  CHECK(*s8 == tag_map{{"role", ""}});
  // Every truncation of a valid meta fails cleanly.
  const bytes full = hex("ff82a4726f6c65a26462a26463a178");
  for (std::size_t n = 1; n < full.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(decode_tags(byte_view(full).first(n)));
  }
}
