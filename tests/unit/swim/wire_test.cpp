#include "swim/wire.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <doctest/doctest.h>

#include "support/hex.hpp"

#include "support/pcap.hpp"
#include "swim/lzw.hpp"
#include "swim/msgpack.hpp"

using namespace swim;
using wire::error;
using wire::parse_status;

namespace {

using test_support::hex;

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bytes str_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

byte_view prefix(const bytes& b, std::size_t n) { return byte_view(b).first(n); }

// docs/wire.md §11 test vectors, captured from real serf agents.
const bytes v1 = hex(
    "0085a44e6f6465a161a55365714e6f01aa536f7572636541646472a47f000002aa536f757263654e6f6465a162aa53"
    "6f75726365506f7274cd1f0a");
const bytes v2 = hex(
    "0282a75061796c6f6164da00820184aa41646a7573746d656e74cb3edc7b9f7e4d1c70a54572726f72cb3ff6e102cb"
    "c5f913a6486569676874cb3ee4f8b588e368f1a356656398cbbeefc53187387e23cb3ed8c35c81de88cfcb3ef7da63"
    "fe4854a8cbbef1211028a7d5b3cb3eed983048bae2edcbbee90ed9fccbad8acb3ee52e5296558b70cbbece7edc0378"
    "4595a55365714e6f01");
const bytes v3 = hex("0282a75061796c6f6164c0a55365714e6fcd1b59");
const bytes v4 = hex(
    "0caa5c84340702004800440486a441646472a47f000002ab496e6361726e6174696f6e01a44d657461afff82a4726f"
    "6c65a26462a26463a178a44e6f6465a162a4506f7274cd1f0aa356736ea60105020205050486a441646472a47f0000"
    "01ab496e6361726e6174696f6e01a44d657461abff81a4726f6c65a3776562a44e6f6465a161a4506f7274cd1f0aa3"
    "56736ea6010502020505");
const bytes v5 = hex(
    "0c1f88988b0486a441646472a47f000003ab496e6361726e6174696f6e01a44d657461a2ff80a44e6f6465a163a450"
    "6f7274cd1f0aa356736ea6010502020505");
const bytes v6 = hex(
    "0702003b001d0085a44e6f6465a162a55365714e6f0eaa536f7572636541646472a47f000001aa536f757263654e6f"
    "6465a161aa536f75726365506f7274cd1f0a0383a446726f6da161ab496e6361726e6174696f6e01a44e6f6465a16"
    "3");
const bytes v7 = hex("0c55ff57b20383a446726f6da161ab496e6361726e6174696f6e01a44e6f6465a163");
const bytes v8_fail = hex("0cbf8005c80583a446726f6da162ab496e6361726e6174696f6e01a44e6f6465a163");
const bytes v8_leave = hex("0cc887355e0583a446726f6da162ab496e6361726e6174696f6e01a44e6f6465a162");
const bytes v9 = hex(
    "0188a44e61636bc3a44e6f6465a163a4506f7274cd1f0aa55365714e6f0daa536f7572636541646472a47f000001aa"
    "536f757263654e6f6465a161aa536f75726365506f7274cd1f0aa6546172676574a47f000003");
const bytes v10 = hex("0b81a55365714e6f0e");
const bytes v11_join = hex("0c139aa55a080182a54c54696d6501a44e6f6465a162");
const bytes v11_leave = hex("0c4798dcf4080083a54c54696d6503a44e6f6465a162a55072756e65c2");
const bytes v11_event =
    hex("0c0b63d38d080384a24343c3a54c54696d6501a44e616d65a568656c6c6fa75061796c6f6164a5776f726c64");
const bytes v11_query_resp =
    hex("080585a5466c61677301a446726f6da162a24944ce4c1501b0a54c54696d6501a75061796c6f6164c0");
const bytes v12 = hex(
    "0113c3a5b71c95430c494a3f553509b4943ac0b92147b52facec57c6f5a1fda400d4c9f2d39e085a7a2686c72a7518"
    "f9d6a39c69");
const bytes v14 = hex(
    "0982a4416c676f00a3427566da00d4000d0c22a5e44d1a37c34a397943a6cc9c00acaacc2923670a9d3074ca3029e3"
    "a69980248748052143460ea93f0000085895c4cd983072dc604cf3c64d00524dca5c7cf54f1029396fd8941145460c"
    "d131a1f0907212a64d99506248417923874eb30f0a4a59c45806c0282b73dc980a5040808002650da92a6287231d26"
    "54d2380d608aaddb39dc040000c6b7afdfbf80030b1e4cb8b0e1c388132b5eccb8b1e3c790234b9e4cb9b2e5cb9833"
    "2b2e05576e9900ab369aa193b38d188a7320a98a5287629ece73596da553670e6c8781a0020808");
const bytes v15_ack = hex("0282a75061796c6f6164c0a55365714e6fcd1b5d");
const bytes v15_frame =
    hex("0982a4416c676f00a3427566b90005083a05254c1e366fc29001566a4a99384ede34dbd02520");

const bytes ip_a = {127, 0, 0, 1};
const bytes ip_b = {127, 0, 0, 2};
const bytes ip_c = {127, 0, 0, 3};

// A single decoded message of type T from a datagram with no errors.
template <class T>
T only(const bytes& datagram) {
  const wire::unpacked u = wire::unpack_packet(datagram);
  REQUIRE(u.errors.empty());
  REQUIRE(u.messages.size() == 1);
  REQUIRE(std::holds_alternative<T>(u.messages[0]));
  return std::get<T>(u.messages[0]);
}

template <class T>
T only_stream(const bytes& frame) {
  const wire::stream_result r = wire::parse_stream(frame);
  REQUIRE(r.status == parse_status::good);
  CHECK(r.consumed == frame.size());
  REQUIRE(std::holds_alternative<T>(r.message));
  return std::get<T>(r.message);
}

bytes without_crc(const bytes& b) { return bytes(b.begin() + 5, b.end()); }

}  // namespace

// ---- docs/wire.md §11 vectors: decode and re-encode byte for byte -----------

TEST_CASE("wire: ping V1 decodes and re-encodes byte for byte") {
  const ping p = only<ping>(v1);
  CHECK(p.seq_no == 1);
  CHECK(p.node == "a");
  CHECK(p.source_addr == ip_b);
  CHECK(p.source_node == "b");
  CHECK(p.source_port == 7946);
  CHECK(wire::encode(p) == v1);
  // The same bytes are a TCP ping frame.
  CHECK(only_stream<ping>(v1) == p);
}

TEST_CASE("wire: ack V2 with a Serf coordinate re-encodes byte for byte") {
  const ack_resp a = only<ack_resp>(v2);
  CHECK(a.seq_no == 1);
  REQUIRE(a.payload.size() == 130);
  CHECK(a.payload[0] == 0x01);
  CHECK(a.payload[1] == 0x84);
  CHECK(wire::encode(a) == v2);
}

TEST_CASE("wire: ack V3 with nil payload re-encodes byte for byte") {
  const ack_resp a = only<ack_resp>(v3);
  CHECK(a.seq_no == 7001);
  CHECK(a.payload.empty());
  CHECK(wire::encode(a) == v3);
  CHECK(only_stream<ack_resp>(v3) == a);
}

TEST_CASE("wire: alive re-encodes V4 byte for byte") {
  const wire::unpacked u = wire::unpack_packet(v4);
  CHECK(u.errors.empty());
  CHECK(u.had_crc);
  CHECK_FALSE(u.had_label);
  REQUIRE(u.messages.size() == 2);
  const alive b = std::get<alive>(u.messages[0]);
  const alive a = std::get<alive>(u.messages[1]);
  CHECK(b.node == "b");
  CHECK(b.addr == ip_b);
  CHECK(b.incarnation == 1);
  CHECK(b.port == 7946);
  CHECK(b.meta == hex("ff82a4726f6c65a26462a26463a178"));
  CHECK(b.vsn == default_vsn());
  CHECK(a.node == "a");
  CHECK(a.addr == ip_a);
  CHECK(a.meta == hex("ff81a4726f6c65a3776562"));
  CHECK(a.vsn == default_vsn());

  const bytes eb = wire::encode(b);
  const bytes ea = wire::encode(a);
  CHECK(eb.size() == 72);
  CHECK(ea.size() == 68);
  CHECK(bytes(v4.begin() + 5 + 6, v4.begin() + 5 + 6 + 72) == eb);
  // The whole packet: crc(compound[alive b, alive a]).
  CHECK(wire::add_crc(wire::make_compound({eb, ea})) == v4);
}

TEST_CASE("wire: alive V5 with empty tags re-encodes byte for byte") {
  const alive c = only<alive>(v5);
  CHECK(c.node == "c");
  CHECK(c.addr == ip_c);
  CHECK(c.meta == hex("ff80"));
  CHECK(wire::add_crc(wire::encode(c)) == v5);
}

TEST_CASE("wire: compound V6 of ping and suspect re-encodes byte for byte") {
  const wire::unpacked u = wire::unpack_packet(v6);
  CHECK(u.errors.empty());
  CHECK_FALSE(u.had_crc);
  REQUIRE(u.messages.size() == 2);
  const ping p = std::get<ping>(u.messages[0]);
  const suspect s = std::get<suspect>(u.messages[1]);
  CHECK(p.node == "b");
  CHECK(p.seq_no == 14);
  CHECK(p.source_addr == ip_a);
  CHECK(p.source_node == "a");
  CHECK(p.source_port == 7946);
  CHECK(s == suspect{1, "c", "a"});
  CHECK(wire::make_compound({wire::encode(p), wire::encode(s)}) == v6);
}

TEST_CASE("wire: suspect V7 and dead V8 re-encode byte for byte") {
  const suspect s = only<suspect>(v7);
  CHECK(s == suspect{1, "c", "a"});
  CHECK(wire::add_crc(wire::encode(s)) == v7);

  const dead fail = only<dead>(v8_fail);
  CHECK(fail == dead{1, "c", "b"});
  CHECK(wire::add_crc(wire::encode(fail)) == v8_fail);

  const dead leave = only<dead>(v8_leave);
  CHECK(leave == dead{1, "b", "b"});
  CHECK(leave.from == leave.node);
  CHECK(wire::add_crc(wire::encode(leave)) == v8_leave);
}

TEST_CASE("wire: indirect ping V9 re-encodes byte for byte") {
  const indirect_ping_req r = only<indirect_ping_req>(v9);
  CHECK(r.nack);
  CHECK(r.node == "c");
  CHECK(r.port == 7946);
  CHECK(r.seq_no == 13);
  CHECK(r.source_addr == ip_a);
  CHECK(r.source_node == "a");
  CHECK(r.source_port == 7946);
  CHECK(r.target == ip_c);
  CHECK(wire::encode(r) == v9);
}

TEST_CASE("wire: nack V10 re-encodes byte for byte") {
  const nack_resp n = only<nack_resp>(v10);
  CHECK(n.seq_no == 14);
  CHECK(wire::encode(n) == v10);
}

TEST_CASE("wire: Serf user messages V11 come out as raw payloads and re-encode") {
  for (const bytes* v : {&v11_join, &v11_leave, &v11_event}) {
    const user_msg m = only<user_msg>(*v);
    CHECK(m.payload == bytes(v->begin() + 6, v->end()));
    CHECK(wire::add_crc(wire::encode(m)) == *v);
  }
  const user_msg q = only<user_msg>(v11_query_resp);
  CHECK(q.payload.size() == v11_query_resp.size() - 1);
  CHECK(q.payload[0] == 0x05);
  CHECK(wire::encode(q) == v11_query_resp);
}

TEST_CASE("wire: V15 ack compresses to Go's frame and inflates back") {
  CHECK(wire::encode(ack_resp{7005, {}}) == v15_ack);
  CHECK(wire::compress(v15_ack) == v15_frame);
  // UDP: compress → ack.
  CHECK(only<ack_resp>(v15_frame) == ack_resp{7005, {}});
  // TCP: the compressed frame is one stream frame.
  CHECK(only_stream<ack_resp>(v15_frame) == ack_resp{7005, {}});
}

TEST_CASE("wire: V14 compressed push-pull join decodes header and first node state") {
  const push_pull pp = only_stream<push_pull>(v14);
  CHECK(pp.join);
  REQUIRE(pp.states.size() == 1);
  const push_node_state& s = pp.states[0];
  CHECK(s.addr == ip_b);
  CHECK(s.incarnation == 1);
  CHECK(s.name == "b");
  CHECK(s.port == 7946);
  CHECK(s.state == member_state::alive);
  CHECK(s.vsn == default_vsn());
  REQUIRE(s.meta.size() >= 3);
  CHECK(s.meta[0] == 0xff);
  CHECK(s.meta[1] == 0x82);
  REQUIRE(pp.user_state.size() == 585);
  CHECK(pp.user_state[0] == 0x02);
  CHECK(pp.user_state[1] == 0x86);

  // The inflated frame starts as the spec shows, and our encoder rebuilds it.
  const bytes plain = wire::encode(pp);
  CHECK(plain.size() == 694);
  const bytes head = hex(
      "0683a44a6f696ec3a54e6f64657301ac5573657253746174654c656ecd024987a441646472a47f000002ab496e63"
      "61726e6174696f6e01a44d657461afff82a4");
  CHECK(bytes(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(head.size())) == head);
  CHECK(wire::compress(plain) == v14);

  // The plain frame parses to the same thing.
  CHECK(only_stream<push_pull>(plain) == pp);
}

TEST_CASE("wire: encrypted-looking input is rejected, never decoded") {
  // V12 in plaintext mode: vsn 1 reads as an indirect ping of garbage.
  const wire::unpacked u = wire::unpack_packet(v12);
  CHECK(u.messages.empty());
  CHECK(u.errors.size() == 1);

  // V13's header: an encrypted stream frame.
  const bytes v13_head = hex("0a000000f501d8b2c7d4d95e3514cace7d74");
  const wire::stream_result r = wire::parse_stream(v13_head);
  CHECK(r.status == parse_status::bad);
  CHECK(r.err == error::encrypted);
}

// ---- truncation ---------------------------------------------------------------

TEST_CASE("wire: every truncation of every datagram vector is an error") {
  const std::vector<const bytes*> vectors = {&v1,  &v2,       &v3,        &v4,        &v5,
                                             &v6,  &v7,       &v8_fail,   &v8_leave,  &v9,
                                             &v10, &v11_join, &v11_leave, &v11_event, &v15_frame};
  for (const bytes* v : vectors) {
    for (std::size_t n = 0; n < v->size(); ++n) {
      CAPTURE(n);
      const wire::unpacked u = wire::unpack_packet(prefix(*v, n));
      CHECK_FALSE(u.errors.empty());
    }
  }
  // A compound cut inside its second part still delivers the first.
  const wire::unpacked u = wire::unpack_packet(prefix(v6, v6.size() - 1));
  REQUIRE(u.messages.size() == 1);
  CHECK(std::holds_alternative<ping>(u.messages[0]));
  CHECK(u.errors == std::vector<error>{error::truncated});
}

TEST_CASE("wire: every proper prefix of a stream frame is indeterminate") {
  push_pull pp;
  pp.join = true;
  pp.states.push_back({"a", ip_a, 7946, hex("ff80"), 3, member_state::alive, default_vsn()});
  pp.states.push_back({"b", bytes(16, 1), 7000, {}, 9, member_state::left, {1, 5, 2}});
  pp.user_state = {2, 0x80};
  const std::vector<bytes> frames = {
      v1,
      v3,
      v15_frame,
      v14,
      wire::encode(pp),
      wire::compress(wire::encode(pp)),
      wire::encode_user_stream(str_bytes("hello")),
      wire::encode(err_resp{"nope"}),
      wire::compress(wire::encode(err_resp{"nope"})),
  };
  for (const bytes& f : frames) {
    CAPTURE(f.size());
    const wire::stream_result full = wire::parse_stream(f);
    REQUIRE(full.status == parse_status::good);
    CHECK(full.consumed == f.size());
    for (std::size_t n = 0; n < f.size(); ++n) {
      CAPTURE(n);
      const wire::stream_result r = wire::parse_stream(prefix(f, n));
      CHECK(r.status == parse_status::indeterminate);
    }
    // Extra bytes after the frame are not consumed.
    bytes more = f;
    more.push_back(0x42);
    const wire::stream_result r = wire::parse_stream(more);
    CHECK(r.status == parse_status::good);
    CHECK(r.consumed == f.size());
  }
}

// ---- round trips and encoding details ----------------------------------------

TEST_CASE("wire: ping omits empty source fields and counts only present keys") {
  ping p{5, "x", {}, 0, ""};
  const bytes e = wire::encode(p);
  CHECK(e == hex("0082a44e6f6465a178a55365714e6f05"));
  CHECK(only<ping>(e) == p);

  ping q{6, "", {}, 0, "me"};
  const bytes eq = wire::encode(q);
  CHECK(eq == hex("0083a44e6f6465a0a55365714e6f06aa536f757263654e6f6465a26d65"));
  CHECK(only<ping>(eq) == q);

  indirect_ping_req r{9, ip_c, 7946, "c", false, {}, 0, ""};
  const bytes er = wire::encode(r);
  CHECK(er[1] == 0x85);
  CHECK(only<indirect_ping_req>(er) == r);
}

TEST_CASE("wire: every message type round-trips") {
  const bytes ip6(16, 0xfe);
  CHECK(only<ping>(wire::encode(ping{0xffffffffu, "n", ip6, 65535, "s"})) ==
        ping{0xffffffffu, "n", ip6, 65535, "s"});
  CHECK(only<ack_resp>(wire::encode(ack_resp{1u << 31, bytes(70000, 3)})) ==
        ack_resp{1u << 31, bytes(70000, 3)});
  CHECK(only<nack_resp>(wire::encode(nack_resp{0})) == nack_resp{0});
  const alive al{7, std::string(40, 'n'), ip6, 1, bytes(512, 9), {1, 5, 2}};
  CHECK(only<alive>(wire::encode(al)) == al);
  const wire::stream_result r = wire::parse_stream(wire::encode(err_resp{std::string(300, 'e')}));
  REQUIRE(r.status == parse_status::good);
  CHECK(std::get<err_resp>(r.message).error == std::string(300, 'e'));
  // Compression keeps a datagram intact (types under compress are handled normally).
  const bytes compound = wire::make_compound({wire::encode(al), wire::encode(nack_resp{4})});
  const wire::unpacked u = wire::unpack_packet(wire::add_crc(wire::compress(compound)));
  CHECK(u.errors.empty());
  CHECK(u.had_crc);
  REQUIRE(u.messages.size() == 2);
  CHECK(std::get<alive>(u.messages[0]) == al);
  CHECK(std::get<nack_resp>(u.messages[1]) == nack_resp{4});
  // TCP user message.
  const user_msg um = only_stream<user_msg>(wire::encode_user_stream(bytes(100, 8)));
  CHECK(um.payload == bytes(100, 8));
  CHECK(wire::encode_user_stream({}) == hex("0881aa557365724d73674c656e00"));
}

TEST_CASE("wire: decoder accepts what Go accepts, rejects what Go rejects") {
  // Node as str8 is accepted (INTEROP).
  const bytes str8_node = hex("0082a44e6f6465d90161a55365714e6f01");
  CHECK(only<ping>(str8_node).node == "a");
  // Node as bin8 is rejected ("Unrecognized descriptor byte: c4").
  const wire::unpacked bin_node = wire::unpack_packet(hex("0082a44e6f6465c40161a55365714e6f01"));
  CHECK(bin_node.messages.empty());
  CHECK(bin_node.errors == std::vector<error>{error::bad_msgpack});
  // SourceAddr as bin8 is accepted (INTEROP).
  const bytes bin_addr = hex(
      "0085a44e6f6465a161a55365714e6f01aa536f7572636541646472c4047f000002aa536f757263654e6f6465a16"
      "2aa536f75726365506f7274cd1f0a");
  CHECK(only<ping>(bin_addr).source_addr == ip_b);
  // Keys in any order, unknown keys skipped, a SeqNo as uint32.
  const bytes shuffled = hex("0083a55365714e6fce00000007a358595a92c0c3a44e6f6465a161");
  const ping sp = only<ping>(shuffled);
  CHECK(sp.seq_no == 7);
  CHECK(sp.node == "a");
  // Nack as fixint 1.
  indirect_ping_req ir{9, ip_c, 7946, "c", false, {}, 0, ""};
  bytes eir = wire::encode(ir);
  REQUIRE(eir[3] == 'N');
  REQUIRE(eir[7] == 0xc2);
  eir[7] = 0x01;
  CHECK(only<indirect_ping_req>(eir).nack);
  // The array form of a struct (declaration order): nack{SeqNo}.
  CHECK(only<nack_resp>(hex("0b9105")).seq_no == 5);
  // Port beyond uint16 and a negative SeqNo are field errors.
  const wire::unpacked big_port = wire::unpack_packet(hex(
      "0486a441646472a47f000003ab496e6361726e6174696f6e01a44d657461c0a44e6f6465a163a4506f7274ce00"
      "010000a356736ea6010502020505"));
  CHECK(big_port.errors == std::vector<error>{error::bad_field});
  CHECK(wire::unpack_packet(hex("0b81a55365714e6fff")).errors ==
        std::vector<error>{error::bad_field});
  // An alive with a 5-byte address is useless to the node.
  const wire::unpacked bad_addr =
      wire::unpack_packet(wire::encode(alive{1, "x", bytes(5, 1), 1, {}, default_vsn()}));
  CHECK(bad_addr.errors == std::vector<error>{error::bad_field});
  // Trailing bytes after the body are ignored, as Go's decoder does.
  bytes trailing = v10;
  trailing.push_back(0xc1);
  CHECK(only<nack_resp>(trailing).seq_no == 14);
  // Meta `a0` decodes to empty and re-encodes as nil, as Go does.
  const bytes a0_meta = hex(
      "0486a441646472a47f000003ab496e6361726e6174696f6e01a44d657461a0a44e6f6465a163a4506f7274cd1f"
      "0aa356736ea6010502020505");
  const alive am = only<alive>(a0_meta);
  CHECK(am.meta.empty());
  const bytes reenc = wire::encode(am);
  CHECK(reenc[reenc.size() - 27] == 0xc0);
}

// ---- framing errors -------------------------------------------------------------

TEST_CASE("wire: CRC, label and unknown types") {
  bytes bad_crc = v7;
  bad_crc[2] ^= 1;
  CHECK(wire::unpack_packet(bad_crc).errors == std::vector<error>{error::bad_crc});
  bytes bad_body = v7;
  bad_body.back() ^= 1;
  CHECK(wire::unpack_packet(bad_body).errors == std::vector<error>{error::bad_crc});

  // A label in front (memberlist >= 0.3.0) is skipped.
  const bytes labelled = cat({hex("f403616263"), v10});
  const wire::unpacked l = wire::unpack_packet(labelled);
  CHECK(l.had_label);
  CHECK(l.errors.empty());
  REQUIRE(l.messages.size() == 1);
  CHECK(std::get<nack_resp>(l.messages[0]).seq_no == 14);
  CHECK(wire::unpack_packet(cat({hex("f403616263"), v7})).had_crc);
  CHECK(wire::unpack_packet(hex("f400")).errors == std::vector<error>{error::bad_label});
  CHECK(wire::unpack_packet(hex("f4")).errors == std::vector<error>{error::bad_label});
  CHECK(wire::unpack_packet(hex("f40561")).errors == std::vector<error>{error::bad_label});

  // hasCrc below the top, push-pull over UDP, unknown bytes.
  CHECK(wire::unpack_packet(wire::make_compound({without_crc(v7), v7})).errors ==
        std::vector<error>{error::unknown_type});
  CHECK(wire::unpack_packet(hex("06")).errors == std::vector<error>{error::unknown_type});
  CHECK(wire::unpack_packet(hex("0d81a54572726f72a0")).errors ==
        std::vector<error>{error::unknown_type});
  CHECK(wire::unpack_packet(hex("63")).errors == std::vector<error>{error::unknown_type});
  CHECK(wire::unpack_packet({}).errors == std::vector<error>{error::empty});

  // Streams: unknown type, nested compression.
  CHECK(wire::parse_stream(hex("04")).err == error::unknown_type);
  CHECK(wire::parse_stream(wire::compress(wire::compress(v3))).err == error::unknown_type);
  CHECK(wire::parse_stream(wire::compress(hex("0281"))).err == error::truncated);
  CHECK(wire::parse_stream(hex("0982a4416c676f01a3427566a0")).err == error::bad_compress);
  CHECK(wire::parse_stream(hex("0982a4416c676f00a3427566a20000")).err == error::bad_compress);
}

TEST_CASE("wire: error names are distinct") {
  std::set<std::string_view> names;
  for (int i = 0; i < static_cast<int>(error::count_); ++i) {
    names.insert(wire::to_string(static_cast<error>(i)));
  }
  CHECK(names.size() == static_cast<std::size_t>(error::count_));
  CHECK(wire::to_string(error::bad_crc) == "bad_crc");
}

// ---- hostile input ------------------------------------------------------------------

TEST_CASE("wire: compound with 255 zero-length parts or bogus lengths") {
  bytes zero = {0x07, 0xff};
  zero.insert(zero.end(), 2 * 255, 0);
  const wire::unpacked u = wire::unpack_packet(zero);
  CHECK(u.messages.empty());
  CHECK(u.errors.size() == 255);
  CHECK(u.errors[0] == error::empty);

  bytes huge = {0x07, 0xff};
  huge.insert(huge.end(), 2 * 255, 0xff);
  const wire::unpacked h = wire::unpack_packet(huge);
  CHECK(h.messages.empty());
  CHECK(h.errors.size() == 255);
  CHECK(h.errors[0] == error::truncated);

  CHECK(wire::unpack_packet(hex("07")).errors == std::vector<error>{error::truncated});
  CHECK(wire::unpack_packet(hex("070300010001")).errors == std::vector<error>{error::truncated});
  // Zero parts is simply nothing.
  const wire::unpacked none = wire::unpack_packet(hex("0700"));
  CHECK(none.messages.empty());
  CHECK(none.errors.empty());
}

TEST_CASE("wire: nesting beyond the depth limit is rejected") {
  bytes m = v10;
  for (int i = 0; i < 4; ++i) m = wire::make_compound({m});
  CHECK(only<nack_resp>(m).seq_no == 14);  // depth 4 is allowed
  const bytes deeper = wire::make_compound({m});
  CHECK(wire::unpack_packet(deeper).errors == std::vector<error>{error::too_deep});
  bytes z = v10;
  for (int i = 0; i < 5; ++i) z = wire::compress(z);
  CHECK(wire::unpack_packet(z).errors == std::vector<error>{error::too_deep});
  // Deeply nested msgpack in an unknown key is cut off by the skip limit.
  bytes deep_key = hex("0b82a158");
  deep_key.insert(deep_key.end(), 10000, 0x91);
  deep_key.push_back(0x01);
  CHECK(wire::unpack_packet(deep_key).errors == std::vector<error>{error::too_deep});
}

TEST_CASE("wire: huge declared lengths are rejected without allocation") {
  // A ping whose Node claims 4 GiB.
  CHECK(wire::unpack_packet(hex("0081a44e6f6465dbffffffff61")).errors ==
        std::vector<error>{error::truncated});
  // A map claiming 4 G entries.
  CHECK(wire::unpack_packet(hex("00dfffffffff")).errors == std::vector<error>{error::truncated});
  // Streams: the same is just "read more" until the frame limit is reached.
  const bytes huge_node = hex("0081a44e6f6465dbffffffff61");
  CHECK(wire::parse_stream(huge_node).status == parse_status::indeterminate);
  wire::limits small;
  small.max_stream_frame = 16;
  bytes padded = huge_node;
  padded.resize(16, 0x61);
  const wire::stream_result r = wire::parse_stream(padded, small);
  CHECK(r.status == parse_status::bad);
  CHECK(r.err == error::too_large);
  // A zero limit rejects everything instead of reading past an empty view.
  wire::limits none;
  none.max_stream_frame = 0;
  CHECK(wire::parse_stream(v3, none).err == error::too_large);
  CHECK(wire::parse_stream(v15_frame, none).err == error::too_large);
}

TEST_CASE("wire: push-pull header limits") {
  auto header = [](std::string_view nodes, std::string_view len) {
    return cat({hex("0683a44a6f696ec2a54e6f646573"), hex(nodes), hex("ac5573657253746174654c656e"),
                hex(len)});
  };
  auto parse = [](const bytes& b, const wire::limits& lim = {}) {
    return wire::parse_stream(b, lim);
  };
  CHECK(parse(header("ff", "00")).err == error::bad_field);                  // Nodes -1
  CHECK(parse(header("00", "d0ff")).err == error::bad_field);                // UserStateLen -1
  CHECK(parse(header("d3ffffffffffffffff", "00")).err == error::bad_field);  // int64 -1
  CHECK(parse(header("ce00100001", "00")).err == error::too_large);          // > 2^20 nodes
  CHECK(parse(header("cf7fffffffffffffff", "00")).err == error::too_large);
  CHECK(parse(header("00", "ce01400001")).err == error::too_large);  // > 20 MiB
  CHECK(parse(header("00", "cf7fffffffffffffff")).err == error::too_large);
  CHECK(parse(header("cf8000000000000000", "00")).err == error::bad_field);  // > INT64_MAX
  // A million nodes claimed, none sent: read more (no allocation up front).
  CHECK(parse(header("ce00100000", "00")).status == parse_status::indeterminate);
  // Empty push-pull.
  const wire::stream_result ok = parse(header("00", "00"));
  REQUIRE(ok.status == parse_status::good);
  CHECK(std::get<push_pull>(ok.message) == push_pull{});
  // A user state that would pass the frame limit is rejected before it arrives.
  wire::limits small;
  small.max_stream_frame = 100;
  CHECK(parse(header("00", "60"), small).err == error::too_large);
  CHECK(parse(header("00", "30"), small).status == parse_status::indeterminate);
  // TCP user message lengths.
  CHECK(parse(hex("0881aa557365724d73674c656eff")).err == error::bad_field);
  CHECK(parse(hex("0881aa557365724d73674c656ecf7fffffffffffffff")).err == error::too_large);
  // A node state with a bad address or state value.
  push_pull pp;
  pp.states.push_back({"a", bytes(3, 1), 1, {}, 1, member_state::alive, default_vsn()});
  CHECK(parse(wire::encode(pp)).err == error::bad_field);
  pp.states[0].addr = ip_a;
  bytes st = wire::encode(pp);
  // Patch State 0 → 7: the byte after "State".
  std::size_t pos = 0;
  for (std::size_t i = 0; i + 7 <= st.size(); ++i) {
    if (st[i] == 0xa5 && st[i + 1] == 'S' && st[i + 2] == 't') pos = i + 6;
  }
  REQUIRE(pos != 0);
  REQUIRE(st[pos] == 0x00);
  st[pos] = 0x07;
  CHECK(parse(st).err == error::bad_field);
  // A short Vsn is kept as is: the node decides.
  pp.states[0].vsn = {1, 5, 2};
  CHECK(std::get<push_pull>(parse(wire::encode(pp)).message).states[0].vsn == bytes{1, 5, 2});
}

TEST_CASE("wire: compression bombs stop at the inflate limit") {
  const bytes zeros(1u << 20, 0);  // 1 MiB of zeros inflates from a few KiB
  const bytes packed = wire::compress(zeros);
  CHECK(packed.size() < zeros.size() / 20);
  wire::limits lim;
  lim.max_inflated = 64u << 10;
  CHECK(wire::unpack_packet(packed, lim).errors == std::vector<error>{error::bad_compress});
  lim.max_stream_frame = 64u << 10;
  CHECK(wire::parse_stream(packed, lim).err == error::bad_compress);
}

TEST_CASE("wire: one datagram inflates at most max_inflated_total, over all its parts") {
  // Each part is a compressed user message that inflates to exactly 1 MiB, well under the
  // per-payload limit; 15 of them fit one datagram (docs/wire.md §4).
  bytes msg(1u << 20, 0);
  msg[0] = static_cast<std::uint8_t>(message_type::user);
  const bytes part = wire::compress(msg);
  const std::vector<bytes> parts(15, part);
  const bytes datagram = wire::make_compound(parts);
  CHECK(datagram.size() <= 65535);
  wire::limits lim;
  REQUIRE(lim.max_inflated_total == 4u << 20);
  REQUIRE(lim.max_inflated >= msg.size());
  const auto u = wire::unpack_packet(datagram, lim);
  // Four parts use the 4 MiB budget; each later one is refused without being inflated.
  CHECK(u.messages.size() == 4);
  CHECK(u.errors == std::vector<error>(11, error::too_large));
  // Nested compression shares the same budget: compress(compound[4 x compress(1 MiB)]).
  const bytes nested = wire::compress(wire::make_compound(std::vector<bytes>(4, part)));
  const auto n = wire::unpack_packet(wire::make_compound({nested, part}), lim);
  // The outer payload (a compound of 4 x ~1.9 KB) counts too, so the fourth inner part no
  // longer fits what is left: it stops at the budget (bad_compress, as a bomb over the
  // per-payload limit does), and so does the part after it.
  CHECK(n.messages.size() == 3);
  CHECK(n.errors == std::vector<error>(2, error::bad_compress));
  // Both sides of the limit: with one byte more, the fifth part fails at the byte it lacks
  // (a failed part spends nothing, so every later one fails the same way)...
  lim.max_inflated_total = (4u << 20) + 1;
  const auto v = wire::unpack_packet(datagram, lim);
  CHECK(v.messages.size() == 4);
  CHECK(v.errors == std::vector<error>(11, error::bad_compress));
  // ...and with 5 MiB five parts pass.
  lim.max_inflated_total = 5u << 20;
  CHECK(wire::unpack_packet(datagram, lim).messages.size() == 5);
}

// ---- resumable stream parsing (docs/wire.md §6.1) --------------------------------------

namespace {

// A plain push-pull of `n` node states (each ~100 bytes) and `user` bytes of user state.
push_pull big_push_pull(std::size_t n, std::size_t user = 0) {
  push_pull pp;
  pp.join = true;
  for (std::size_t i = 0; i < n; ++i) {
    pp.states.push_back({"node-" + std::to_string(i),
                         bytes{10, static_cast<std::uint8_t>(i >> 16),
                               static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)},
                         7946, bytes(24, static_cast<std::uint8_t>('a' + i % 26)),
                         static_cast<std::uint32_t>(i), member_state::alive, default_vsn()});
  }
  pp.user_state = bytes(user, 0x5a);
  return pp;
}

// Feed `frame` to a stream_parser in pieces of `step` bytes and check that every answer is
// parse_stream's on the same prefix, up to the first one that is not indeterminate.
wire::stream_result feed(const bytes& frame, std::size_t step, const wire::limits& lim,
                         wire::stream_parser& p) {
  for (std::size_t n = std::min(step, frame.size());; n = std::min(n + step, frame.size())) {
    const byte_view prefix(frame.data(), n);
    wire::stream_result got = p.parse(prefix);
    const wire::stream_result want = wire::parse_stream(prefix, lim);
    CAPTURE(n);
    REQUIRE(got.status == want.status);
    CHECK(got.err == want.err);
    if (got.status != parse_status::indeterminate) {
      CHECK(got.consumed == want.consumed);
      CHECK(got.message == want.message);
      return got;
    }
    if (n == frame.size()) return got;
  }
}

}  // namespace

TEST_CASE("wire: stream_parser answers as parse_stream at every prefix") {
  bytes bad_state = wire::encode(big_push_pull(5));
  // Corrupt the third state's State (0 -> 7): bad_field once that state is read.
  std::size_t seen = 0;
  for (std::size_t i = 0; i + 7 <= bad_state.size(); ++i) {
    if (bad_state[i] == 0xa5 && bad_state[i + 1] == 'S' && bad_state[i + 2] == 't' && ++seen == 3) {
      bad_state[i + 6] = 0x07;
      break;
    }
  }
  REQUIRE(seen == 3);
  const std::vector<bytes> frames{
      wire::encode(big_push_pull(40, 300)),
      wire::encode(big_push_pull(0)),
      wire::compress(wire::encode(big_push_pull(40, 10))),
      wire::encode(ping{7, "a", bytes{127, 0, 0, 1}, 7946, "b"}),
      wire::encode_user_stream(bytes(500, 1)),
      bad_state,
  };
  for (std::size_t step : {1u, 7u, 64u, 1000u}) {
    for (const bytes& f : frames) {
      CAPTURE(step);
      wire::stream_parser p;
      const auto r = feed(f, step, {}, p);
      if (&f != &frames.back()) CHECK(r.status == parse_status::good);
      else CHECK(r.err == error::bad_field);
    }
  }
  // A frame over the limit is too_large at the same prefix; a truncated one stays
  // indeterminate to its last byte.
  wire::limits small;
  small.max_stream_frame = 2000;
  wire::stream_parser p(small);
  CHECK(feed(wire::encode(big_push_pull(40)), 100, small, p).err == error::too_large);
  const bytes whole = wire::encode(big_push_pull(10));
  wire::stream_parser q;
  CHECK(feed(bytes(whole.begin(), whole.end() - 1), 13, {}, q).status ==
        parse_status::indeterminate);
}

TEST_CASE("wire: a plain push-pull read 16 KiB at a time is decoded once, not once per read") {
  // ~4 MiB: 40,000 node states. parse_stream from the start after every read would decode
  // sum(k x 16 KiB) for k = 1..256, about 128 times the frame; the parser decodes each byte
  // about once, plus the state a read cut in two (< 128 bytes per read).
  const bytes frame = wire::encode(big_push_pull(40000, 1000));
  constexpr std::size_t chunk = 16 * 1024;
  const std::size_t reads = (frame.size() + chunk - 1) / chunk;
  wire::stream_parser p;
  wire::stream_result r;
  std::size_t calls = 0;
  for (std::size_t n = chunk;; n += chunk) {
    ++calls;
    r = p.parse(byte_view(frame.data(), std::min(n, frame.size())));
    if (r.status != parse_status::indeterminate || n >= frame.size()) break;
  }
  REQUIRE(r.status == parse_status::good);
  CHECK(calls == reads);
  CHECK(r.consumed == frame.size());
  CHECK(std::get<push_pull>(r.message) == big_push_pull(40000, 1000));
  MESSAGE("frame " << frame.size() << " bytes in " << reads << " reads: decoded " << p.work()
                   << " bytes");
  CHECK(p.work() >= frame.size() - 1000 - 1);  // everything but the type byte and user state
  CHECK(p.work() <= frame.size() + reads * 128);
}

// ---- golden captures ------------------------------------------------------------------

namespace {

// Rebuild a datagram from its decoded messages, following the framing the
// original used: [crc] [compress] [compound] message(s).
bytes rebuild(const bytes& original, const wire::unpacked& u) {
  std::vector<bytes> parts;
  for (const wire::packet_message& m : u.messages) {
    parts.push_back(std::visit([](const auto& v) { return wire::encode(v); }, m));
  }
  byte_view inner = original;
  if (u.had_crc) inner = inner.subspan(5);
  const bool compressed = inner[0] == static_cast<std::uint8_t>(message_type::compress);
  bool compound = inner[0] == static_cast<std::uint8_t>(message_type::compound);
  if (compressed) {
    const auto c = test_support::read_compress_message(inner);
    REQUIRE(c);
    const auto plain = lzw::decompress(c->buf, 1u << 20);
    REQUIRE(plain);
    compound = (*plain)[0] == static_cast<std::uint8_t>(message_type::compound);
  }
  bytes out = compound ? wire::make_compound(parts) : parts.at(0);
  if (compressed) out = wire::compress(out);
  if (u.had_crc) out = wire::add_crc(out);
  return out;
}

}  // namespace

TEST_CASE(
    "wire: every plaintext datagram and stream in the golden captures decodes and re-encodes") {
  for (const std::string file : {"plain.pcap", "probe.pcap", "err.pcap", "fake.pcap"}) {
    CAPTURE(file);
    std::string why;
    const auto cap = test_support::read_pcap(CACHECLUSTER_GOLDEN_DIR "/" + file, &why);
    REQUIRE_MESSAGE(cap, why);
    std::size_t datagrams = 0;
    std::size_t streams = 0;
    for (const test_support::udp_datagram& d : cap->udp) {
      // Only traffic sent by the serf agents themselves (port 7946 on both ends).
      if (d.src.port != 7946 || d.dst.port != 7946) continue;
      CAPTURE(d.frame);
      const wire::unpacked u = wire::unpack_packet(d.payload);
      CHECK(u.errors.empty());
      REQUIRE_FALSE(u.messages.empty());
      CHECK(rebuild(d.payload, u) == d.payload);
      ++datagrams;
    }
    for (const test_support::tcp_stream& s : cap->tcp) {
      if (s.gap) continue;
      for (const bytes* dir : {&s.from_initiator, &s.from_responder}) {
        if (dir->empty()) continue;
        CAPTURE(s.first_frame);
        const wire::stream_result r = wire::parse_stream(*dir);
        if ((*dir)[0] == static_cast<std::uint8_t>(message_type::encrypt)) {
          // err.pcap: the encrypted agent's reply to a plaintext join.
          CHECK(r.status == parse_status::bad);
          CHECK(r.err == error::encrypted);
          continue;
        }
        CHECK(r.status == parse_status::good);
        CHECK(r.consumed == dir->size());
        if (r.status != parse_status::good) continue;
        // Go compresses every stream frame it sends, and we rebuild it exactly.
        bytes plain = std::visit(
            [](const auto& m) -> bytes {
              using T = std::decay_t<decltype(m)>;
              if constexpr (std::is_same_v<T, user_msg>) {
                return wire::encode_user_stream(m.payload);
              } else {
                return wire::encode(m);
              }
            },
            r.message);
        if ((*dir)[0] == static_cast<std::uint8_t>(message_type::compress))
          plain = wire::compress(plain);
        // fake.pcap's TCP frames may come from the prototype nodes, whose bytes differ from Go's.
        if (file != "fake.pcap") CHECK(plain == *dir);
        ++streams;
      }
    }
    MESSAGE(file << ": " << datagrams << " datagrams, " << streams << " stream frames");
    CHECK(datagrams > 0);
  }
}
