#include "util/strings.hpp"

#include <doctest/doctest.h>

TEST_CASE("lower and upper change ASCII letters only") {
  CHECK(util::lower("Content-Type: X") == "content-type: x");
  CHECK(util::upper("running_1") == "RUNNING_1");
  CHECK(util::lower("") == "");
  CHECK(util::lower("\xC3\x84") == "\xC3\x84");  // UTF-8 bytes pass through
}

TEST_CASE("trim drops the C locale's white space at both ends") {
  CHECK(util::trim("  a b \t\r\n") == "a b");
  CHECK(util::trim("\v\fx\f\v") == "x");
  CHECK(util::trim(" \t ") == "");
  CHECK(util::trim("") == "");
  CHECK(util::trim("x") == "x");
  static_assert(util::trim(" x ") == "x");
}

TEST_CASE("iequals ignores ASCII case and nothing else") {
  CHECK(util::iequals("ETag", "etag"));
  CHECK(util::iequals("", ""));
  CHECK_FALSE(util::iequals("etag", "etags"));
  CHECK_FALSE(util::iequals("a-b", "a_b"));
  CHECK_FALSE(util::iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit but are not letters
  static_assert(util::iequals("Metadata-Flavor", "metadata-flavor"));
}
