// Serf's queries, query responses, user events, relays and key-rotation payloads
// (swim/serf.hpp; docs/wire.md §9.3, §9.6, §11 V11 and V17), and node::send_user.
#include <string_view>

#include <doctest/doctest.h>

#include "support/hex.hpp"
#include "support/pcap.hpp"
#include "swim/msgpack.hpp"
#include "swim/node.hpp"
#include "swim/serf.hpp"
#include "swim/wire.hpp"

using namespace swim;
using test_support::hex;

namespace {

// plain.pcap frame 111 without its CRC header: b's `serf query myq payload` (ack requested,
// timeout 2 s), as gossiped to a. docs/wire.md §11 V17.
const bytes query_myq =
    hex("048ba441646472a47f000002a746696c74657273c0a5466c61677301a24944ce4c1501b0a54c54696d6501"
        "a44e616d65a36d7971a75061796c6f6164a77061796c6f6164a4506f7274cd1f0aab52656c6179466163746f"
        "7200aa536f757263654e6f6465a162a754696d656f7574ce77359400");
// plain.pcap frame 113: c's ack to that query, straight to b (no CRC). V11.
const bytes ack_from_c =
    hex("0585a5466c61677301a446726f6da163a24944ce4c1501b0a54c54696d6501a75061796c6f6164c0");
// V11: `serf event hello world`.
const bytes event_hello =
    hex("0384a24343c3a54c54696d6501a44e616d65a568656c6c6fa75061796c6f6164a5776f726c64");

bytes key16() {
  bytes k;
  for (int i = 0; i < 16; ++i) k.push_back(static_cast<std::uint8_t>(i));
  return k;
}

}  // namespace

TEST_CASE("serf query: the captured query decodes and re-encodes byte for byte") {
  auto q = serf::decode_query(query_myq);
  REQUIRE(q);
  CHECK(q->ltime == 1);
  CHECK(q->id == 0x4c1501b0u);
  CHECK(q->addr == bytes{127, 0, 0, 2});
  CHECK(q->port == 7946);
  CHECK(q->source_node == "b");
  CHECK(q->filters.empty());
  CHECK(q->ack());
  CHECK_FALSE(q->no_broadcast());
  CHECK(q->relay_factor == 0);
  CHECK(q->timeout_ns == 2'000'000'000);
  CHECK(q->name == "myq");
  CHECK(q->payload == bytes{'p', 'a', 'y', 'l', 'o', 'a', 'd'});
  CHECK(serf::encode(*q) == query_myq);
  CHECK(serf::type_of(query_myq) == serf::message_type::query);
  // Not a query: other types and every truncation.
  CHECK_FALSE(serf::decode_query(ack_from_c));
  CHECK_FALSE(serf::decode_query({}));
  for (std::size_t n = 1; n < query_myq.size(); ++n)
    CHECK_FALSE(serf::decode_query(byte_view(query_myq).first(n)));
}

TEST_CASE("serf query: the captured ack and the V11 user event round-trip") {
  auto r = serf::decode_query_response(ack_from_c);
  REQUIRE(r);
  CHECK(r->ack());
  CHECK(r->from == "c");
  CHECK(r->id == 0x4c1501b0u);
  CHECK(r->ltime == 1);
  CHECK(r->payload.empty());
  CHECK(serf::encode(*r) == ack_from_c);

  auto e = serf::decode_user_event(event_hello);
  REQUIRE(e);
  CHECK(e->cc);
  CHECK(e->ltime == 1);
  CHECK(e->name == "hello");
  CHECK(e->payload == bytes{'w', 'o', 'r', 'l', 'd'});
  CHECK(serf::encode(*e) == event_hello);
  CHECK_FALSE(serf::decode_user_event(ack_from_c));
}

TEST_CASE("serf query: a query with filters, no-broadcast, relay factor and a big ltime") {
  serf::query q;
  q.ltime = 1ull << 33;
  q.id = 0x7fffffff;
  q.addr = bytes{10, 0, 0, 1};
  q.port = 7946;
  q.source_node = "node-1";
  q.filters = {serf::encode(serf::filter(serf::node_filter{{"a", "b"}})),
               serf::encode(serf::filter(serf::tag_filter{"role", "^cache$"}))};
  q.flags = serf::query_flag_ack | serf::query_flag_no_broadcast;
  q.relay_factor = 3;
  q.timeout_ns = 15'000'000'000;
  q.name = "_serf_ping";
  const bytes e = serf::encode(q);
  auto back = serf::decode_query(e);
  REQUIRE(back);
  CHECK(*back == q);
  CHECK(back->no_broadcast());
  // Filters: node filter 00 | ["a","b"]; tag filter 01 | {Expr, Tag} sorted.
  CHECK(q.filters[0] == hex("0092a161a162"));
  CHECK(q.filters[1] == hex("0182a445787072a75e636163686524a3546167a4726f6c65"));
  auto f0 = serf::decode_filter(q.filters[0]);
  auto f1 = serf::decode_filter(q.filters[1]);
  REQUIRE(f0);
  REQUIRE(f1);
  CHECK(std::get<serf::node_filter>(*f0).nodes == std::vector<std::string>{"a", "b"});
  CHECK(std::get<serf::tag_filter>(*f1) == serf::tag_filter{"role", "^cache$"});
  CHECK_FALSE(serf::decode_filter(hex("0281a0a0")));  // unknown filter type
  CHECK_FALSE(serf::decode_filter({}));
}

TEST_CASE("serf keys: key request and key response payloads as Serf writes them") {
  // keymanager.go encodeMessage(messageKeyRequestType, keyRequest{Key}): 07 | {"Key": raw}.
  const bytes install = serf::encode(serf::key_request{key16()});
  CHECK(install == hex("0781a34b6579b0000102030405060708090a0b0c0d0e0f"));
  // list-keys: an empty key is Go's nil slice.
  CHECK(serf::encode(serf::key_request{}) == hex("0781a34b6579c0"));
  auto k = serf::decode_key_request(install);
  REQUIRE(k);
  CHECK(k->key == key16());
  auto empty = serf::decode_key_request(hex("0781a34b6579c0"));
  REQUIRE(empty);
  CHECK(empty->key.empty());
  CHECK_FALSE(serf::decode_key_request({}));

  // nodeKeyResponse{Result, Message, Keys, PrimaryKey}, keys sorted: a failure...
  const serf::key_response fail{false, "No keyring to modify (encryption not enabled)", {}, ""};
  const bytes f = serf::encode(fail);
  CHECK(f[0] == 8);
  CHECK(bytes(f.begin(), f.begin() + 8) == hex("0884a44b657973c0"));
  auto fb = serf::decode_key_response(f);
  REQUIRE(fb);
  CHECK(*fb == fail);
  // ...and a list answer.
  const serf::key_response list{true,
                                "",
                                {"AAECAwQFBgcICQoLDA0ODw==", "ZmZmZmZmZmZmZmZmZmZmZg=="},
                                "AAECAwQFBgcICQoLDA0ODw=="};
  const bytes l = serf::encode(list);
  CHECK(l ==
        hex("0884a44b65797392b841414543417751464267634943516f4c4441304f44773d3db85a6d5a6d5a6d5a"
            "6d5a6d5a6d5a6d5a6d5a6d5a6d5a673d3da74d657373616765a0aa5072696d6172794b6579b8414145"
            "43417751464267634943516f4c4441304f44773d3da6526573756c74c3"));
  auto lb = serf::decode_key_response(l);
  REQUIRE(lb);
  CHECK(*lb == list);
  CHECK_FALSE(serf::decode_key_response(install));  // type byte 7, not 8
}

TEST_CASE("serf relay: header, then the inner message forwarded as is") {
  serf::relay_header h{bytes{127, 0, 0, 2}, 7946, "", "b"};
  const bytes inner = ack_from_c;
  const bytes r = serf::encode_relay(h, inner);
  // 09 | {DestAddr: {IP, Port, Zone}, DestName} | inner.
  CHECK(bytes(r.begin(), r.end() - static_cast<std::ptrdiff_t>(inner.size())) ==
        hex("0982a844657374416464728"
            "3a24950a47f000002a4506f7274cd1f0aa45a6f6e65a0a844657374"
            "4e616d65a162"));
  auto back = serf::decode_relay(r);
  REQUIRE(back);
  CHECK(back->header == h);
  CHECK(back->inner == inner);
  CHECK_FALSE(serf::decode_relay(serf::encode_relay(h, {})));  // nothing to forward
  CHECK_FALSE(serf::decode_relay(ack_from_c));
}

namespace {
struct capture_transport : transport {
  std::vector<std::pair<address, bytes>> packets;
  void send_packet(const address& to, bytes packet) override {
    packets.push_back({to, std::move(packet)});
  }
  void send_stream(stream_id, const address&, bytes, bool, time_point) override {}
};
}  // namespace

TEST_CASE("node::send_user: one datagram to the address, a user message without CRC") {
  capture_transport out;
  delegate events;
  config c;
  c.name = "a";
  c.advertise = address::v4(127, 0, 0, 1, 7946);
  node n(c, out, events, 1, time_point{});
  const address to = address::v4(127, 0, 0, 2, 7946);
  n.send_user(to, ack_from_c);
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].first == to);
  bytes expect{0x08};
  expect.insert(expect.end(), ack_from_c.begin(), ack_from_c.end());
  CHECK(out.packets[0].second == expect);  // as plain.pcap frame 113
  CHECK(n.queued_broadcasts() == 1);       // only our own alive: nothing was queued
}

TEST_CASE("serf push-pull clocks: read from every Serf push-pull in plain.pcap") {
  std::string why;
  auto cap = test_support::read_pcap(test_support::golden_path("plain.pcap"), &why);
  REQUIRE_MESSAGE(cap.has_value(), why);
  std::size_t states = 0;
  for (const auto& conn : cap->tcp) {
    for (const bytes* data : {&conn.from_initiator, &conn.from_responder}) {
      auto r = wire::parse_stream(*data);
      if (r.status != wire::parse_status::good) continue;
      const auto* pp = std::get_if<push_pull>(&r.message);
      if (pp == nullptr || pp->user_state.empty()) continue;
      auto c = serf::decode_push_pull_clocks(pp->user_state);
      REQUIRE(c);
      CHECK(c->ltime >= 1);  // each agent has sent its join intent
      states++;
    }
  }
  CHECK(states >= 2);
}

TEST_CASE("serf push-pull clocks: a hand-built state, other fields skipped") {
  bytes s{2};
  msgpack::writer w(s);
  w.map_header(6);
  w.str("Events");
  w.array_header(1);
  w.map_header(2);
  w.str("Events");
  w.array_header(1);
  w.map_header(2);
  w.str("Name");
  w.str("deploy");
  w.str("Payload");
  w.byte_slice(bytes{'x'});
  w.str("LTime");
  w.uint(8);
  w.str("EventLTime");
  w.uint(9);
  w.str("LTime");
  w.uint(5);
  w.str("LeftMembers");
  w.nil();
  w.str("QueryLTime");
  w.uint(700);
  w.str("StatusLTimes");
  w.map_header(1);
  w.str("s1");
  w.uint(1);
  auto c = serf::decode_push_pull_clocks(s);
  REQUIRE(c);
  CHECK(*c == serf::push_pull_clocks{5, 9, 700});
  CHECK_FALSE(serf::decode_push_pull_clocks(byte_view(s).first(s.size() - 1)));
  s[0] = 3;
  CHECK_FALSE(serf::decode_push_pull_clocks(s));
}
