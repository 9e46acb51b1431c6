#include "util/fnv.hpp"

#include <array>
#include <cstdint>

#include <doctest/doctest.h>

TEST_CASE("fnv1a_64 matches the published test vectors") {
  CHECK(util::fnv1a_64("") == 0xcbf29ce484222325ull);
  CHECK(util::fnv1a_64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(util::fnv1a_64("foobar") == 0x85944171f73967e8ull);
  static_assert(util::fnv1a_64("") == util::fnv1a_64_offset);
}

TEST_CASE("fnv1a_64 continues from a previous hash") {
  CHECK(util::fnv1a_64("bar", util::fnv1a_64("foo")) == util::fnv1a_64("foobar"));
}

TEST_CASE("fnv1a_64 of bytes equals that of the same text") {
  const std::array<std::uint8_t, 4> bytes{'f', 'o', 0xff, 0};
  CHECK(util::fnv1a_64(bytes) == util::fnv1a_64(std::string_view("fo\xff\0", 4)));
}
