#include <doctest/doctest.h>

#include "support/hex.hpp"

#include <string_view>

#include "swim/crc32.hpp"

namespace {

const auto from_hex = test_support::hex;

/// The CRC a captured hasCrc packet carries (bytes 1..4, big-endian) and the one computed over the rest.
void check_crc_packet(std::string_view hex) {
  const swim::bytes p = from_hex(hex);
  REQUIRE(p.size() > 5);
  REQUIRE(p[0] == 12);
  const std::uint32_t carried = (std::uint32_t{p[1]} << 24) | (std::uint32_t{p[2]} << 16) |
                                (std::uint32_t{p[3]} << 8) | p[4];
  CHECK(swim::crc32_ieee(swim::byte_view(p).subspan(5)) == carried);
}

}  // namespace

TEST_CASE("crc32: standard check values") {
  CHECK(swim::crc32_ieee(swim::as_bytes("123456789")) == 0xCBF43926u);
  CHECK(swim::crc32_ieee({}) == 0u);
  CHECK(swim::crc32_ieee(swim::as_bytes("a")) == 0xE8B7BE43u);
  CHECK(swim::crc32_ieee(swim::as_bytes("The quick brown fox jumps over the lazy dog")) == 0x414FA339u);
  const swim::bytes zeros(32, 0);
  CHECK(swim::crc32_ieee(zeros) == 0x190A55ADu);
}

TEST_CASE("crc32: captured hasCrc packets (docs/wire.md §11 V4, V5, V7, V8)") {
  SUBCASE("V4 crc(compound[alive b, alive a])") {
    const swim::bytes p = from_hex(
        "0caa5c84340702004800440486a441646472a47f000002ab496e6361726e6174696f6e01a44d657461afff82a4726f"
        "6c65a26462a26463a178a44e6f6465a162a4506f7274cd1f0aa356736ea60105020205050486a441646472a47f0000"
        "01ab496e6361726e6174696f6e01a44d657461abff81a4726f6c65a3776562a44e6f6465a161a4506f7274cd1f0aa3"
        "56736ea6010502020505");
    REQUIRE(p.size() == 151);
    CHECK(swim::crc32_ieee(swim::byte_view(p).subspan(5)) == 0xaa5c8434u);
  }
  SUBCASE("V5 crc(alive c)") {
    check_crc_packet(
        "0c1f88988b0486a441646472a47f000003ab496e6361726e6174696f6e01a44d657461a2ff80a44e6f6465a163a4"
        "506f7274cd1f0aa356736ea6010502020505");
  }
  SUBCASE("V7 crc(suspect c from a)") {
    check_crc_packet("0c55ff57b20383a446726f6da161ab496e6361726e6174696f6e01a44e6f6465a163");
  }
  SUBCASE("V8 crc(dead c from b) and the graceful leave crc(dead b from b)") {
    check_crc_packet("0cbf8005c80583a446726f6da162ab496e6361726e6174696f6e01a44e6f6465a163");
    check_crc_packet("0cc887355e0583a446726f6da162ab496e6361726e6174696f6e01a44e6f6465a162");
  }
}

TEST_CASE("crc32: a single flipped bit changes the checksum") {
  swim::bytes data(64);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  const std::uint32_t base = swim::crc32_ieee(data);
  for (std::size_t i = 0; i < data.size() * 8; ++i) {
    data[i / 8] ^= static_cast<std::uint8_t>(1u << (i % 8));
    CHECK(swim::crc32_ieee(data) != base);
    data[i / 8] ^= static_cast<std::uint8_t>(1u << (i % 8));
  }
}
