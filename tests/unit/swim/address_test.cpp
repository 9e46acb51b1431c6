#include <doctest/doctest.h>

#include "swim/address.hpp"

using namespace swim;

TEST_CASE("address: parses IPv4 and IPv6 with and without ports") {
  auto a = address::parse("127.0.0.2:7946", 1);
  REQUIRE(a);
  CHECK(a->to_string() == "127.0.0.2:7946");
  auto b = address::parse("10.1.2.3", 7946);
  REQUIRE(b);
  CHECK(b->port == 7946);
  auto c = address::parse("[::1]:8000", 1);
  REQUIRE(c);
  CHECK(c->ip_len == 16);
  CHECK(c->to_string() == "[::1]:8000");
  auto d = address::parse("fe80::1", 7946);
  REQUIRE(d);
  CHECK(d->port == 7946);
  CHECK(d->ip_string() == "fe80::1");
}

TEST_CASE("address: rejects malformed input") {
  for (const char* bad : {"", "1.2.3", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "[::1", "[::1]x",
                          "host.example:80", "1.2.3.4:80:90x", "[::1]:abc"}) {
    CAPTURE(bad);
    CHECK_FALSE(address::parse(bad, 7946));
  }
}

TEST_CASE("address: IPv4-mapped IPv6 from Go normalises to IPv4") {
  const std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 3};
  auto a = address::from_ip_bytes({mapped, 16}, 7946);
  REQUIRE(a);
  CHECK(a->is_v4());
  CHECK(*a == address::v4(127, 0, 0, 3, 7946));
  const std::uint8_t three[3] = {1, 2, 3};
  CHECK_FALSE(address::from_ip_bytes({three, 3}, 1));
}
