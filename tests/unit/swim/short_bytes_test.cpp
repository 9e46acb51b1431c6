#include "swim/short_bytes.hpp"

#include <doctest/doctest.h>

#include <numeric>
#include <utility>

#include "swim/msgpack.hpp"

using swim::bytes;
using swim::byte_view;
using swim::short_bytes;

namespace {

bytes counting(std::size_t n) {
  bytes b(n);
  std::iota(b.begin(), b.end(), std::uint8_t{1});
  return b;
}

}  // namespace

TEST_CASE("short_bytes holds short and long contents and views them as a span") {
  for (std::size_t n : {0u, 1u, 4u, 6u, 16u, 17u, 40u, 600u}) {
    CAPTURE(n);
    const bytes want = counting(n);
    short_bytes s(want);
    CHECK(s.size() == n);
    CHECK(s.empty() == (n == 0));
    byte_view v = s;
    CHECK(bytes(v.begin(), v.end()) == want);
    CHECK(s == byte_view(want));
    CHECK(s.to_bytes() == want);
    if (n > 0) CHECK(s[n - 1] == want[n - 1]);
  }
}

TEST_CASE("short_bytes copies, moves and reassigns across the inline limit") {
  short_bytes big(counting(40));
  short_bytes small{127, 0, 0, 1};

  short_bytes copy = big;
  CHECK(copy == big);
  CHECK(copy.data() != big.data());  // a deep copy

  short_bytes moved = std::move(copy);
  CHECK(moved == big);
  CHECK(copy.empty());

  moved = small;  // long to short: the inline bytes count again
  CHECK(moved == small);
  CHECK(moved.size() == 4);
  moved = big;  // and back, reusing or replacing the heap block
  CHECK(moved == big);

  short_bytes a(counting(20));
  a.assign(big.begin(), big.end());  // grows past its heap block
  CHECK(a == big);
  a.clear();
  CHECK(a.empty());
  CHECK(a == byte_view{});

  short_bytes b = small;
  b = std::move(moved);
  CHECK(b == big);
  b = short_bytes(small);
  CHECK(b == small);

  CHECK_FALSE(short_bytes{1, 2, 3} == short_bytes{1, 2});
  CHECK_FALSE(short_bytes{1, 2, 3} == short_bytes{1, 2, 4});
}

TEST_CASE("msgpack reads a Go []byte into short_bytes from every encoding") {
  struct form {
    bytes encoded;
    bytes want;
  };
  bytes long_bin{0xc4, 20};
  const bytes twenty = counting(20);
  long_bin.insert(long_bin.end(), twenty.begin(), twenty.end());
  const form forms[] = {
      {{0xc4, 4, 10, 0, 0, 1}, {10, 0, 0, 1}},       // bin8
      {{0xa3, 'a', 'b', 'c'}, {'a', 'b', 'c'}},       // fixstr
      {{0xc0}, {}},                                   // nil
      {{0x93, 1, 5, 0xcc, 200}, {1, 5, 200}},         // array of integers
      {long_bin, twenty},                             // beyond the inline bytes
  };
  for (const auto& f : forms) {
    short_bytes out{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};  // stale contents
    swim::msgpack::reader r(f.encoded);
    REQUIRE(r.read_bytes(out) == swim::msgpack::status::ok);
    CHECK(out == byte_view(f.want));
    CHECK(r.remaining() == 0);
  }
  short_bytes out;
  const bytes truncated{0xc4, 4, 10, 0};
  swim::msgpack::reader r(truncated);
  CHECK(r.read_bytes(out) == swim::msgpack::status::truncated);
}
