// Gossip encryption against captured Serf traffic (tests/golden/enc.pcap, agents
// started with -encrypt AAECAwQFBgcICQoLDA0ODw==) and docs/wire.md §11 V12/V13:
// everything opens with the key, and sealing the plaintext again with the
// captured nonce gives the captured bytes.
#include <doctest/doctest.h>

#include <algorithm>

#include "support/hex.hpp"
#include "support/pcap.hpp"
#include "swim/encryption.hpp"
#include "swim/keyring.hpp"
#include "swim/wire.hpp"

using namespace swim;
using test_support::hex;

namespace {

bytes test_key() {
  bytes k(16);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}

keyring ring_of(std::vector<bytes> keys) {
  auto r = keyring::make(keys);
  REQUIRE(r);
  return *r;
}

encryption::nonce nonce_of(byte_view sealed) {
  encryption::nonce n{};
  std::copy_n(sealed.begin() + 1, n.size(), n.begin());
  return n;
}

test_support::capture load(const std::string& name) {
  std::string err;
  auto cap = test_support::read_pcap(std::string(CACHECLUSTER_GOLDEN_DIR) + "/" + name, &err);
  INFO(err);
  REQUIRE(cap);
  return *cap;
}

const char* v12 =
    "0113c3a5b71c95430c494a3f553509b4943ac0b92147b52facec57c6f5a1fda400d4c9f2d39e085a7a2686c72a7518f9"
    "d6a39c69";

}  // namespace

TEST_CASE("encryption: V12 opens with the key and seals back byte for byte") {
  const bytes sealed = hex(v12);
  REQUIRE(sealed.size() == 52);
  wire::error why = wire::error::ok;
  auto plain = encryption::open(ring_of({test_key()}), sealed, {}, &why);
  REQUIRE(plain);
  CHECK(*plain == hex("0cb714e528080182a54c54696d6501a44e6f6465a26562"));
  CHECK(encryption::seal(test_key(), *plain, {}, nonce_of(sealed)) == sealed);
  CHECK(encryption::seal_packet(ring_of({test_key()}), *plain, nonce_of(sealed)) == sealed);
  // The plaintext is a CRC'd Serf join intent: a whole, valid memberlist datagram.
  auto u = wire::unpack_packet(*plain);
  CHECK(u.errors.empty());
  CHECK(u.messages.size() == 1);
}

TEST_CASE("encryption: every key is tried, in order; a wrong key or a changed byte fails") {
  const bytes sealed = hex(v12);
  bytes other(32, 0x42);
  wire::error why = wire::error::ok;
  CHECK_FALSE(encryption::open(ring_of({other}), sealed, {}, &why));
  CHECK(why == wire::error::decrypt_failed);
  CHECK(encryption::open(ring_of({other, test_key()}), sealed, {}, &why));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    bytes bad = sealed;
    bad[i] ^= 0x01;
    why = wire::error::ok;
    CAPTURE(i);
    CHECK_FALSE(encryption::open(ring_of({test_key()}), bad, {}, &why));
    CHECK(why == (i == 0 ? wire::error::bad_field : wire::error::decrypt_failed));
  }
  // AAD must match: the datagram has none.
  CHECK_FALSE(encryption::open(ring_of({test_key()}), sealed, hex("00"), &why));
  // Shorter than version + nonce + tag.
  CHECK_FALSE(encryption::open(ring_of({test_key()}), byte_view(sealed).first(28), {}, &why));
  CHECK(why == wire::error::truncated);
}

TEST_CASE("encryption: version 0 pads with PKCS#7 and both versions open") {
  const bytes key = test_key();
  for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 100u}) {
    CAPTURE(len);
    bytes msg(len, 0x5a);
    auto n = encryption::random_nonce();
    bytes v0 = encryption::seal(key, msg, {}, n, 0);
    CHECK(v0.size() == 29 + (len / 16 + 1) * 16);
    bytes v1 = encryption::seal(key, msg, {}, n, 1);
    CHECK(v1.size() == 29 + len);
    auto a = encryption::open(ring_of({key}), v0, {}, nullptr);
    auto b = encryption::open(ring_of({key}), v1, {}, nullptr);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == msg);
    CHECK(*b == msg);
  }
  wire::error why = wire::error::ok;
  bytes v2 = encryption::seal(key, hex("00"), {}, encryption::random_nonce(), 1);
  v2[0] = 2;
  CHECK_FALSE(encryption::open(ring_of({key}), v2, {}, &why));
  CHECK(why == wire::error::bad_field);
}

TEST_CASE("encryption: AES-192 and AES-256 keys seal and open; other sizes are refused") {
  for (std::size_t size : {16u, 24u, 32u}) {
    bytes key(size, 7);
    auto sealed = encryption::seal(key, hex("0102"), {}, encryption::random_nonce());
    CHECK(encryption::open(ring_of({key}), sealed, {}, nullptr) == hex("0102"));
  }
  std::string err;
  CHECK_FALSE(keyring::make({bytes(15, 1)}, &err));
  CHECK(err.find("16, 24 or 32") != std::string::npos);
  CHECK(keyring::key_error(bytes(33, 0)));
}

TEST_CASE("encryption: enc.pcap's datagrams open, unpack and seal back byte for byte") {
  const auto cap = load("enc.pcap");
  REQUIRE(cap.udp.size() == 34);
  const keyring ring = ring_of({test_key()});
  std::size_t messages = 0;
  for (const auto& d : cap.udp) {
    CAPTURE(d.frame);
    auto plain = encryption::open(ring, d.payload, {}, nullptr);
    REQUIRE(plain);
    CHECK(plain->size() + encryption::overhead == d.payload.size());
    auto u = wire::unpack_packet(*plain);
    CHECK(u.errors.empty());
    messages += u.messages.size();
    CHECK(encryption::seal_packet(ring, *plain, nonce_of(d.payload)) == d.payload);
  }
  CHECK(messages >= 34);
}

TEST_CASE("encryption: enc.pcap's streams (V13) open with the header as AAD and seal back") {
  const auto cap = load("enc.pcap");
  const keyring ring = ring_of({test_key()});
  std::size_t directions = 0;
  for (const auto& conn : cap.tcp) {
    for (const bytes* data : {&conn.from_initiator, &conn.from_responder}) {
      if (data->empty()) continue;
      ++directions;
      REQUIRE((*data)[0] == encryption::stream_type);
      // Every prefix is "read more"; the whole frame opens.
      for (std::size_t cut : {std::size_t{0}, std::size_t{4}, std::size_t{5}, data->size() - 1}) {
        CAPTURE(cut);
        CHECK(encryption::open_stream(ring, byte_view(*data).first(cut), 20u << 20).status ==
              wire::parse_status::indeterminate);
      }
      auto o = encryption::open_stream(ring, *data, 20u << 20);
      REQUIRE(o.status == wire::parse_status::good);
      CHECK(o.consumed == data->size());
      auto frame = wire::parse_stream(o.frame);
      REQUIRE(frame.status == wire::parse_status::good);
      CHECK(frame.consumed == o.frame.size());
      CHECK(std::holds_alternative<push_pull>(frame.message));
      const bytes sealed(data->begin() + encryption::stream_header, data->end());
      CHECK(encryption::seal_stream(ring, o.frame, nonce_of(sealed)) == *data);
      // The AAD is the header: the same ciphertext under another length does not open.
      bytes moved = *data;
      moved.push_back(0);
      moved[4] = static_cast<std::uint8_t>(moved[4] + 1);
      CHECK(encryption::open_stream(ring, moved, 20u << 20).status == wire::parse_status::bad);
    }
  }
  CHECK(directions == 2);
  // A declared length over the limit is refused before it arrives.
  auto big = encryption::open_stream(ring, hex("0a7fffffff01"), 20u << 20);
  CHECK(big.status == wire::parse_status::bad);
  CHECK(big.err == wire::error::too_large);
}

TEST_CASE("encryption: err.pcap's reply to a plaintext join is the sealed errMsg") {
  const auto cap = load("err.pcap");
  const keyring ring = ring_of({test_key()});
  bool found = false;
  for (const auto& conn : cap.tcp) {
    if (conn.responder.port != 7947 || conn.from_responder.empty()) continue;
    auto o = encryption::open_stream(ring, conn.from_responder, 20u << 20);
    REQUIRE(o.status == wire::parse_status::good);
    auto frame = wire::parse_stream(o.frame);
    REQUIRE(frame.status == wire::parse_status::good);
    const auto* e = std::get_if<err_resp>(&frame.message);
    REQUIRE(e);
    CHECK(e->error == "Encryption is configured but remote state is not encrypted");
    found = true;
  }
  CHECK(found);
}

TEST_CASE("keyring: install, use and remove follow Serf's rules") {
  bytes a(16, 1), b(16, 2), c(32, 3);
  keyring r = ring_of({a});
  CHECK(r.primary() == a);
  CHECK_FALSE(r.install(b));
  CHECK_FALSE(r.install(b));  // twice is fine
  CHECK(r.keys().size() == 2);
  CHECK(r.primary() == a);     // installing does not change the primary
  CHECK(r.use(c));             // not installed
  CHECK_FALSE(r.use(b));
  CHECK(r.primary() == b);
  CHECK(r.remove(b));          // the primary cannot go
  CHECK_FALSE(r.remove(a));
  CHECK(r.keys() == std::vector<bytes>{b});
  CHECK(r.remove(a));          // no longer installed
  CHECK(r.install(bytes(7, 0)));  // wrong size
}
