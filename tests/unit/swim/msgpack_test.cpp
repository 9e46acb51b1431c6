#include "swim/msgpack.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/hex.hpp"

using swim::byte_view;
using swim::bytes;
using swim::msgpack::reader;
using swim::msgpack::status;
using swim::msgpack::writer;

namespace {

using test_support::hex;

// A reader that owns its input, for one-expression checks.
struct owned {
  explicit owned(bytes b) : buf(std::move(b)), r(buf) {}
  status read_uint64(std::uint64_t& v) { return r.read_uint64(v); }
  status read_string(std::string& v) { return r.read_string(v); }
  status read_bytes(bytes& v) { return r.read_bytes(v); }
  status read_map_header(std::size_t& v) { return r.read_map_header(v); }
  bytes buf;
  reader r;
};

bytes enc_uint(std::uint64_t v) {
  bytes out;
  writer(out).uint(v);
  return out;
}

bytes enc_sint(std::int64_t v) {
  bytes out;
  writer(out).sint(v);
  return out;
}

bytes enc_str_len(std::size_t n) {
  bytes out;
  writer(out).str(std::string(n, 'x'));
  return out;
}

bytes header_of(const bytes& b, std::size_t n) {
  return bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

TEST_CASE("msgpack: unsigned integers use the smallest form at every boundary") {
  struct row {
    std::uint64_t v;
    const char* hex;
  };
  const row rows[] = {
      {0, "00"},
      {127, "7f"},
      {128, "cc80"},
      {255, "ccff"},
      {256, "cd0100"},
      {7946, "cd1f0a"},
      {65535, "cdffff"},
      {65536, "ce00010000"},
      {0xffffffffu, "ceffffffff"},
      {1ull << 32, "cf0000000100000000"},
      {std::numeric_limits<std::uint64_t>::max(), "cfffffffffffffffff"},
  };
  for (const row& r : rows) {
    CAPTURE(r.v);
    CHECK(enc_uint(r.v) == hex(r.hex));
    std::uint64_t back = 1;
    const bytes rd_in = hex(r.hex);
    reader rd(rd_in);
    REQUIRE(rd.read_uint64(back) == status::ok);
    CHECK(back == r.v);
    CHECK(rd.remaining() == 0);
  }
}

TEST_CASE("msgpack: signed integers, non-negative in unsigned forms") {
  struct row {
    std::int64_t v;
    const char* hex;
  };
  const row rows[] = {
      {0, "00"},
      {127, "7f"},
      {128, "cc80"},
      {255, "ccff"},
      {256, "cd0100"},
      {65535, "cdffff"},
      {65536, "ce00010000"},
      {1ll << 32, "cf0000000100000000"},
      {-1, "ff"},
      {-32, "e0"},
      {-33, "d0df"},
      {-128, "d080"},
      {-129, "d1ff7f"},
      {-32768, "d18000"},
      {-32769, "d2ffff7fff"},
      {-2147483648ll, "d280000000"},
      {-2147483649ll, "d3ffffffff7fffffff"},
      {std::numeric_limits<std::int64_t>::min(), "d38000000000000000"},
  };
  for (const row& r : rows) {
    CAPTURE(r.v);
    CHECK(enc_sint(r.v) == hex(r.hex));
    std::int64_t back = 1;
    const bytes rd_in = hex(r.hex);
    reader rd(rd_in);
    REQUIRE(rd.read_int64(back) == status::ok);
    CHECK(back == r.v);
  }
}

TEST_CASE("msgpack: integer reads range-check into the target width") {
  std::uint8_t u8 = 0;
  std::uint16_t u16 = 0;
  std::uint32_t u32 = 0;
  {
    const bytes r_in = hex("ccff");
    reader r(r_in);
    CHECK(r.read_uint(u8) == status::ok);
    CHECK(u8 == 255);
  }
  {
    const bytes r_in = hex("cd0100");
    reader r(r_in);
    CHECK(r.read_uint(u8) == status::out_of_range);
  }
  {
    const bytes r_in = hex("ce00010000");
    reader r(r_in);  // 65536 into a uint16 port
    CHECK(r.read_uint(u16) == status::out_of_range);
  }
  {
    const bytes r_in = hex("cf0000000100000000");
    reader r(r_in);  // 2^32 into a uint32
    CHECK(r.read_uint(u32) == status::out_of_range);
  }
  {
    const bytes r_in = hex("ff");
    reader r(r_in);  // -1 into unsigned
    CHECK(r.read_uint(u32) == status::out_of_range);
  }
  {
    const bytes r_in = hex("d0ff");
    reader r(r_in);  // int8 -1 into unsigned
    CHECK(r.read_uint(u32) == status::out_of_range);
  }
  {
    const bytes r_in = hex("d2000000ff");
    reader r(r_in);  // a non-negative int32 is fine for unsigned
    CHECK(r.read_uint(u32) == status::ok);
    CHECK(u32 == 255);
  }
  {
    const bytes r_in = hex("d10102");
    reader r(r_in);  // any width is accepted
    CHECK(r.read_uint(u16) == status::ok);
    CHECK(u16 == 0x0102);
  }
  {
    std::int64_t i = 0;
    const bytes r_in = hex("cf8000000000000000");
    reader r(r_in);  // 2^63 does not fit an int64
    CHECK(r.read_int64(i) == status::out_of_range);
  }
  {
    const bytes r_in = hex("a161");
    reader r(r_in);  // a string is not an integer
    CHECK(r.read_uint(u32) == status::bad);
  }
  {
    const bytes r_in = hex("c0");
    reader r(r_in);  // nil sets the zero value, as go-msgpack does
    u32 = 9;
    CHECK(r.read_uint(u32) == status::ok);
    CHECK(u32 == 0);
  }
}

TEST_CASE("msgpack: str family sizes at 31/32, 255/256, 65535/65536") {
  struct row {
    std::size_t n;
    std::size_t header;
    const char* hex;
  };
  const row rows[] = {
      {0, 1, "a0"},       {31, 1, "bf"},      {32, 3, "da0020"},  // never str8 (d9)
      {255, 3, "da00ff"}, {256, 3, "da0100"}, {65535, 3, "daffff"}, {65536, 5, "db00010000"},
  };
  for (const row& r : rows) {
    CAPTURE(r.n);
    const bytes b = enc_str_len(r.n);
    CHECK(b.size() == r.header + r.n);
    CHECK(header_of(b, r.header) == hex(r.hex));
    std::string back;
    reader rd(b);
    REQUIRE(rd.read_string(back) == status::ok);
    CHECK(back.size() == r.n);
    CHECK(rd.remaining() == 0);
  }
}

TEST_CASE("msgpack: byte slices are str, nil when empty") {
  bytes out;
  writer w(out);
  w.byte_slice({});
  const bytes ip = {127, 0, 0, 1};
  w.byte_slice(ip);
  w.raw({});
  CHECK(out == hex("c0a47f000001a0"));

  const bytes big(300, 7);
  bytes out2;
  writer(out2).byte_slice(big);
  CHECK(header_of(out2, 3) == hex("da012c"));
}

TEST_CASE("msgpack: maps, arrays, bool and float64 headers") {
  bytes out;
  writer w(out);
  w.map_header(0);
  w.map_header(15);
  w.map_header(16);
  w.map_header(65535);
  w.map_header(65536);
  w.array_header(15);
  w.array_header(16);
  w.array_header(65536);
  w.boolean(false);
  w.boolean(true);
  w.float64(1e-5);
  CHECK(out == hex("808fde0010deffffdf000100009fdc0010dd00010000c2c3cb3ee4f8b588e368f1"));

  reader r(out);
  std::size_t n = 0;
  for (std::size_t want : {0u, 15u, 16u, 65535u, 65536u}) {
    REQUIRE(r.read_map_header(n) == status::ok);
    CHECK(n == want);
  }
  for (std::size_t want : {15u, 16u, 65536u}) {
    REQUIRE(r.read_array_header(n) == status::ok);
    CHECK(n == want);
  }
  bool b = true;
  CHECK(r.read_bool(b) == status::ok);
  CHECK_FALSE(b);
  CHECK(r.read_bool(b) == status::ok);
  CHECK(b);
  double d = 0;
  CHECK(r.read_float64(d) == status::ok);
  CHECK(d == 1e-5);
  CHECK(r.remaining() == 0);
}

TEST_CASE("msgpack: str8 accepted for strings, bin only for byte slices") {
  std::string s;
  bytes b;
  {
    const bytes r_in = hex("d90161");
    reader r(r_in);  // str8 "a": Go accepts it
    CHECK(r.read_string(s) == status::ok);
    CHECK(s == "a");
  }
  for (const char* bin : {"c40161", "c5000161", "c60000000161"}) {
    CAPTURE(bin);
    const bytes r1_in = hex(bin);
    reader r1(r1_in);
    CHECK(r1.read_string(s) == status::bad);  // "Unrecognized descriptor byte: c4"
    const bytes r2_in = hex(bin);
    reader r2(r2_in);
    CHECK(r2.read_bytes(b) == status::ok);
    CHECK(b == bytes{'a'});
  }
  {
    const bytes r_in = hex("d90161");
    reader r(r_in);
    CHECK(r.read_bytes(b) == status::ok);
    CHECK(b == bytes{'a'});
  }
  {
    const bytes r_in = hex("c0");
    reader r(r_in);
    s.assign(1, 'x');
    CHECK(r.read_string(s) == status::ok);
    CHECK(s.empty());
  }
  {
    const bytes r_in = hex("c0");
    reader r(r_in);
    b = {1};
    CHECK(r.read_bytes(b) == status::ok);
    CHECK(b.empty());
  }
  {
    const bytes r_in = hex("93017fccff");
    reader r(r_in);  // []uint8 from an array of ints
    CHECK(r.read_bytes(b) == status::ok);
    CHECK(b == bytes{1, 127, 255});
  }
  {
    const bytes r_in = hex("9101cd0100");
    reader r(r_in);
    CHECK(r.read_bytes(b) == status::ok);
    const bytes r2_in = hex("91cd0100");
    reader r2(r2_in);  // 256 does not fit a byte
    CHECK(r2.read_bytes(b) == status::out_of_range);
  }
  {
    const bytes r_in = hex("01");
    reader r(r_in);
    CHECK(r.read_string(s) == status::bad);
  }
}

TEST_CASE("msgpack: bool from c2/c3 and fixint 0/1 only") {
  bool v = false;
  for (auto [h, want] : std::vector<std::pair<const char*, bool>>{
           {"c2", false}, {"c3", true}, {"00", false}, {"01", true}}) {
    const bytes r_in = hex(h);
    reader r(r_in);
    CHECK(r.read_bool(v) == status::ok);
    CHECK(v == want);
  }
  const bytes r_in = hex("02");
  reader r(r_in);
  CHECK(r.read_bool(v) == status::bad);
}

TEST_CASE("msgpack: truncated is distinct from bad") {
  std::string s;
  std::uint64_t u = 0;
  std::size_t n = 0;
  CHECK(owned(hex("")).read_uint64(u) == status::truncated);
  CHECK(owned(hex("cd1f")).read_uint64(u) == status::truncated);
  CHECK(owned(hex("a3616263")).read_string(s) == status::ok);
  CHECK(owned(hex("a36162")).read_string(s) == status::truncated);
  CHECK(owned(hex("da00")).read_string(s) == status::truncated);
  CHECK(owned(hex("de00")).read_map_header(n) == status::truncated);
  CHECK(owned(hex("c1")).read_uint64(u) == status::bad);
  CHECK(owned(hex("c1")).read_string(s) == status::bad);
  const bytes r_in = hex("c1");
  reader r(r_in);
  CHECK(r.skip() == status::bad);
}

TEST_CASE("msgpack: huge declared lengths never allocate") {
  std::string s;
  bytes b;
  // 4 GiB str/bin with a handful of bytes behind it: truncated, nothing reserved.
  CHECK(owned(hex("dbffffffff6162")).read_string(s) == status::truncated);
  CHECK(owned(hex("c6ffffffff6162")).read_bytes(b) == status::truncated);
  CHECK(owned(hex("ddffffffff01")).read_bytes(b) == status::truncated);
  // Skipping a map/array of 4 G elements runs into the end of the input.
  const bytes r1_in = hex("dfffffffff0101");
  reader r1(r1_in);
  CHECK(r1.skip() == status::truncated);
  const bytes r2_in = hex("ddffffffff");
  reader r2(r2_in);
  CHECK(r2.skip() == status::truncated);
  const bytes r3_in = hex("c9ffffffff01");
  reader r3(r3_in);  // ext32
  CHECK(r3.skip() == status::truncated);
}

TEST_CASE("msgpack: skip walks every type and limits nesting") {
  // fixmap{ "k": [1, -1, 1.5f32, 2.5, nil, true, "s", bin8, fixext1, ext8], "m": {} }, then 07
  const bytes v =
      hex("82a16b9a01ffca3fc00000cb4004000000000000c0c3a173c40161d40102c7010203a16d8007");
  reader r(v);
  REQUIRE(r.skip() == status::ok);
  std::uint64_t after = 0;
  REQUIRE(r.read_uint64(after) == status::ok);
  CHECK(after == 7);

  // Every proper prefix is truncated, never bad.
  for (std::size_t i = 0; i + 1 < v.size(); ++i) {
    CAPTURE(i);
    reader p(byte_view(v).first(i));
    CHECK(p.skip() == status::truncated);
  }

  // 100 nested arrays: beyond the depth limit, stopped without recursion blow-up.
  bytes deep(100000, 0x91);
  deep.push_back(0x01);
  reader d(deep);
  CHECK(d.skip() == status::too_deep);
  bytes shallow(10, 0x91);
  shallow.push_back(0x01);
  reader sh(shallow);
  CHECK(sh.skip() == status::ok);
  CHECK(sh.remaining() == 0);
}

TEST_CASE("msgpack: struct as a map in any order with unknown keys, or as an array") {
  constexpr std::string_view fields[] = {"SeqNo", "Node"};
  struct msg {
    std::uint32_t seq = 0;
    std::string node;
  };
  auto decode = [&](const bytes& in, msg& m) {
    reader r(in);
    return r.read_struct(
        fields, [&](std::size_t i) { return i == 0 ? r.read_uint(m.seq) : r.read_string(m.node); });
  };
  msg m;
  // {"Extra": {"x": [1, 2]}, "Node": "a", "SeqNo": 5}
  CHECK(decode(hex("83a54578747261 81a17892 0102 a44e6f6465a161 a55365714e6f05"), m) == status::ok);
  CHECK(m.seq == 5);
  CHECK(m.node == "a");

  msg m2;
  CHECK(decode(hex("9307a162c3"), m2) == status::ok);  // array form, extra element skipped
  CHECK(m2.seq == 7);
  CHECK(m2.node == "b");

  msg m3;
  CHECK(decode(hex("81a46e6f646505"), m3) == status::ok);  // keys are case-sensitive
  CHECK(m3.seq == 0);
  CHECK(m3.node.empty());

  msg m4;
  CHECK(decode(hex("81a44e6f6465c40161"), m4) == status::bad);  // bin for a string field
  msg m5;
  CHECK(decode(hex("81c4044e6f6465a161"), m5) == status::bad);  // bin key
  msg m6;
  CHECK(decode(hex("a161"), m6) == status::bad);  // not a struct
}
