#include <doctest/doctest.h>

#include "support/hex.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "support/pcap.hpp"
#include "swim/lzw.hpp"

namespace {

const auto from_hex = test_support::hex;

constexpr std::size_t unlimited = std::size_t{1} << 30;

/// Hand-built code streams for the hostile-input cases: codes packed LSB first
/// at explicit widths, so a test can say exactly which codes a stream holds.
struct code_stream {
  swim::bytes out;
  std::uint32_t acc = 0;
  unsigned n = 0;
  code_stream& put(std::uint32_t code, unsigned width = 9) {
    acc |= code << n;
    n += width;
    while (n >= 8) {
      out.push_back(static_cast<std::uint8_t>(acc));
      acc >>= 8;
      n -= 8;
    }
    return *this;
  }
  swim::bytes done() {
    if (n > 0) out.push_back(static_cast<std::uint8_t>(acc));
    n = 0;
    return out;
  }
};

/// Bytes where no two-byte sequence repeats (a prefix of the order-2 de Bruijn
/// sequence over 256 symbols, built from its Lyndon words "a" and "ab", a < b).
/// The compressor never finds a dictionary match in it, so it emits exactly
/// one code per input byte, which makes the output length predictable.
swim::bytes no_repeated_pairs(std::size_t len) {
  swim::bytes out;
  for (unsigned a = 0; a < 256 && out.size() < len; ++a) {
    out.push_back(static_cast<std::uint8_t>(a));
    for (unsigned b = a + 1; b < 256 && out.size() < len; ++b) {
      out.push_back(static_cast<std::uint8_t>(a));
      if (out.size() < len) out.push_back(static_cast<std::uint8_t>(b));
    }
  }
  out.resize(std::min(out.size(), len));
  return out;
}

/// Expected compressed size for `codes` data codes without dictionary hits,
/// straight from docs/wire.md §5.4: a leading clear at 9 bits; after each
/// code the counter (from 257) steps and the width grows when it reaches
/// 512/1024/2048; when it reaches 4095 a clear goes out at 12 bits and
/// everything restarts; then EOF at the current width, padded to a byte.
std::size_t expected_size(std::size_t codes) {
  std::size_t bits = 9;
  unsigned width = 9;
  std::uint32_t counter = 257;
  for (std::size_t i = 0; i < codes; ++i) {
    bits += width;
    ++counter;
    if (counter == (1u << width)) ++width;
    if (counter == 4095) {
      bits += width;
      width = 9;
      counter = 257;
    }
  }
  bits += width;
  return (bits + 7) / 8;
}

void check_round_trip(const swim::bytes& input) {
  const swim::bytes packed = swim::lzw::compress(input);
  const auto unpacked = swim::lzw::decompress(packed, unlimited);
  REQUIRE(unpacked.has_value());
  CHECK(*unpacked == input);
}

}  // namespace

TEST_CASE("lzw: Go's TCP ack vector (docs/wire.md §11 V15)") {
  const swim::bytes input = from_hex("0282a75061796c6f6164c0a55365714e6fcd1b5d");
  const swim::bytes expected = from_hex("0005083a05254c1e366fc29001566a4a99384ede34dbd02520");
  CHECK(swim::lzw::compress(input) == expected);
  const auto inflated = swim::lzw::decompress(expected, 1024);
  REQUIRE(inflated.has_value());
  CHECK(*inflated == input);
}

TEST_CASE("lzw: empty input is a clear code and an EOF code") {
  // 256 then 257, both 9 bits: 0x100 | 0x101 << 9 = 0x20300, LSB first, padded: 00 03 02.
  const swim::bytes packed = swim::lzw::compress({});
  CHECK(packed == swim::bytes{0x00, 0x03, 0x02});
  const auto out = swim::lzw::decompress(packed, 16);
  REQUIRE(out.has_value());
  CHECK(out->empty());
}

TEST_CASE("lzw: output length follows the code width exactly at every boundary") {
  // Lengths around the 9->10 (255 codes), 10->11 (767), 11->12 (1791) and
  // reset (3838) boundaries, and around the second cycle's boundaries.
  std::vector<std::size_t> lengths;
  for (const std::size_t centre : {1u, 255u, 767u, 1791u, 3838u, 3838u + 255u, 2u * 3838u, 3u * 3838u + 1791u}) {
    for (std::size_t len = centre > 6 ? centre - 6 : 1; len <= centre + 6; ++len) lengths.push_back(len);
  }
  lengths.push_back(65536);
  for (const std::size_t len : lengths) {
    CAPTURE(len);
    const swim::bytes input = no_repeated_pairs(len);
    REQUIRE(input.size() == len);
    const swim::bytes packed = swim::lzw::compress(input);
    CHECK(packed.size() == expected_size(len));
    const auto out = swim::lzw::decompress(packed, unlimited);
    REQUIRE(out.has_value());
    CHECK(*out == input);
  }
}

TEST_CASE("lzw: round trips of random and structured inputs of many sizes") {
  std::mt19937_64 rng(0x5eed1234u);
  SUBCASE("every size up to 600, random bytes") {
    for (std::size_t len = 0; len <= 600; ++len) {
      swim::bytes in(len);
      for (auto& b : in) b = static_cast<std::uint8_t>(rng());
      check_round_trip(in);
    }
  }
  SUBCASE("small alphabets fill the dictionary and force resets") {
    for (const unsigned alphabet : {2u, 3u, 4u, 16u, 64u}) {
      for (const std::size_t len : {1000u, 4095u, 4096u, 20000u, 200000u}) {
        CAPTURE(alphabet);
        CAPTURE(len);
        swim::bytes in(len);
        for (auto& b : in) b = static_cast<std::uint8_t>(rng() % alphabet);
        check_round_trip(in);
      }
    }
  }
  SUBCASE("long runs exercise the code == next case") {
    for (const std::size_t len : {2u, 3u, 4u, 5u, 6u, 7u, 100u, 5000u, 1000000u}) {
      check_round_trip(swim::bytes(len, 0x61));
      check_round_trip(swim::bytes(len, 0x00));
      check_round_trip(swim::bytes(len, 0xFF));
    }
  }
  SUBCASE("text-like and repeated message shapes") {
    std::string text;
    for (int i = 0; i < 3000; ++i) {
      text += "member node-" + std::to_string(i % 97) + " alive incarnation " + std::to_string(i) + "\n";
    }
    const swim::byte_view tv = swim::as_bytes(text);
    check_round_trip(swim::bytes(tv.begin(), tv.end()));
    const swim::bytes ping = from_hex(
        "0085a44e6f6465a161a55365714e6f01aa536f7572636541646472a47f000002aa536f757263654e6f6465a162aa536f"
        "75726365506f7274cd1f0a");
    swim::bytes many;
    for (int i = 0; i < 500; ++i) many.insert(many.end(), ping.begin(), ping.end());
    check_round_trip(many);
  }
  SUBCASE("all 256 byte values, then repeated") {
    swim::bytes in;
    for (int r = 0; r < 40; ++r) {
      for (int v = 0; v < 256; ++v) in.push_back(static_cast<std::uint8_t>(v));
    }
    check_round_trip(in);
  }
}

TEST_CASE("lzw: reproduces every captured compressed payload") {
  // Per capture: how many compress{Algo,Buf} messages there are (UDP datagrams
  // incl. compound parts, plus TCP stream directions that start with 0x09).
  // enc.pcap has compressed frames too, but only inside the encryption.
  struct expectation {
    std::string file;
    std::size_t udp;
    std::size_t tcp;
  };
  std::size_t total = 0;
  for (const auto& e : {expectation{"plain.pcap", 5, 4}, expectation{"probe.pcap", 1, 4},
                        expectation{"fake.pcap", 8, 27}, expectation{"err.pcap", 4, 2},
                        expectation{"enc.pcap", 0, 0}}) {
    CAPTURE(e.file);
    std::string why;
    const auto cap = test_support::read_pcap(test_support::golden_path(e.file), &why);
    REQUIRE_MESSAGE(cap.has_value(), why);
    const auto payloads = test_support::find_lzw_payloads(*cap);
    std::size_t udp = 0;
    std::size_t tcp = 0;
    for (const auto& p : payloads) {
      CAPTURE(p.frame);
      CAPTURE(p.tcp);
      (p.tcp ? tcp : udp) += 1;
      CHECK(p.algo == 0);
      const auto inflated = swim::lzw::decompress(p.buf, 1u << 20);
      REQUIRE(inflated.has_value());
      CHECK(!inflated->empty());
      CHECK(swim::lzw::compress(*inflated) == p.buf);
    }
    CHECK(udp == e.udp);
    CHECK(tcp == e.tcp);
    total += payloads.size();
  }
  CHECK(total == 55);
}

TEST_CASE("lzw: decoder corner cases Go's reader accepts") {
  SUBCASE("no leading clear code") {
    const auto out = swim::lzw::decompress(code_stream{}.put('a').put('b').put(258).put(257).done(), 64);
    REQUIRE(out.has_value());
    CHECK(*out == swim::bytes{'a', 'b', 'a', 'b'});
  }
  SUBCASE("code == next (KwKwK) right after the first literal") {
    const auto out = swim::lzw::decompress(code_stream{}.put(256).put('x').put(258).put(257).done(), 64);
    REQUIRE(out.has_value());
    CHECK(*out == swim::bytes{'x', 'x', 'x'});
  }
  SUBCASE("clear in the middle resets the dictionary and the width") {
    const auto out = swim::lzw::decompress(
        code_stream{}.put(256).put('a').put('b').put(256).put('c').put('d').put(258).put(257).done(), 64);
    REQUIRE(out.has_value());
    CHECK(*out == swim::bytes{'a', 'b', 'c', 'd', 'c', 'd'});
  }
  SUBCASE("bytes after the EOF code are ignored") {
    swim::bytes s = swim::lzw::compress(swim::as_bytes("hello hello hello"));
    s.push_back(0xAB);
    s.push_back(0xCD);
    const auto out = swim::lzw::decompress(s, 64);
    REQUIRE(out.has_value());
    CHECK(std::string(out->begin(), out->end()) == "hello hello hello");
  }
  SUBCASE("a stream that fills all 4096 codes without a clear keeps decoding") {
    // 3838 literals with no repeated pairs take the counter from 258 to 4095;
    // the reader then stops adding entries but still accepts literals and 4095.
    code_stream cs;
    cs.put(256);
    const swim::bytes lits = no_repeated_pairs(3900);
    unsigned width = 9;
    std::uint32_t hi = 257;
    for (const std::uint8_t b : lits) {
      cs.put(b, width);
      ++hi;
      if (hi == (1u << width) && width < 12) ++width;
      if (hi == 4096) hi = 4095;
    }
    cs.put(4095, 12).put(257, 12);
    const auto out = swim::lzw::decompress(cs.done(), unlimited);
    REQUIRE(out.has_value());
    REQUIRE(out->size() == lits.size() + 2);
    CHECK(std::equal(lits.begin(), lits.end(), out->begin()));
  }
}

TEST_CASE("lzw: hostile input is rejected") {
  SUBCASE("missing EOF code") {
    const swim::bytes good = from_hex("0005083a05254c1e366fc29001566a4a99384ede34dbd02520");
    for (std::size_t cut = 0; cut < good.size() - 1; ++cut) {
      CAPTURE(cut);
      CHECK_FALSE(swim::lzw::decompress(swim::byte_view(good).first(cut), 1024).has_value());
    }
    CHECK_FALSE(swim::lzw::decompress(code_stream{}.put(256).put('a').put('b').done(), 64).has_value());
  }
  SUBCASE("codes beyond the next code") {
    CHECK_FALSE(swim::lzw::decompress(code_stream{}.put(256).put(258).put(257).done(), 64).has_value());
    CHECK_FALSE(swim::lzw::decompress(code_stream{}.put(256).put('a').put(259).put(257).done(), 64).has_value());
    CHECK_FALSE(swim::lzw::decompress(code_stream{}.put('a').put(511).put(257).done(), 64).has_value());
  }
  SUBCASE("a dictionary code straight after a clear") {
    CHECK_FALSE(swim::lzw::decompress(
                    code_stream{}.put(256).put('a').put('b').put(256).put(258).put(257).done(), 64)
                    .has_value());
  }
  SUBCASE("a decompression bomb stops at max_output") {
    const swim::bytes bomb = swim::lzw::compress(swim::bytes(8u << 20, 0));
    CHECK(bomb.size() < 20000);
    CHECK_FALSE(swim::lzw::decompress(bomb, 1u << 20).has_value());
    CHECK_FALSE(swim::lzw::decompress(bomb, (8u << 20) - 1).has_value());
    const auto exact = swim::lzw::decompress(bomb, 8u << 20);
    REQUIRE(exact.has_value());
    CHECK(exact->size() == (8u << 20));
  }
  SUBCASE("limits hold for single literals too") {
    const swim::bytes s = swim::lzw::compress(swim::as_bytes("abc"));
    CHECK_FALSE(swim::lzw::decompress(s, 2).has_value());
    CHECK(swim::lzw::decompress(s, 3).has_value());
    CHECK_FALSE(swim::lzw::decompress(s, 0).has_value());
  }
  SUBCASE("empty and random garbage never crash") {
    CHECK_FALSE(swim::lzw::decompress({}, 64).has_value());
    std::mt19937_64 rng(42);
    for (int i = 0; i < 20000; ++i) {
      swim::bytes junk(rng() % 64);
      for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
      if (!junk.empty() && (i & 1) != 0) junk[0] = 0x00;  // often a plausible clear start
      const auto out = swim::lzw::decompress(junk, 4096);
      if (out) CHECK(out->size() <= 4096);
    }
  }
}
