// agent::serf_queries: Serf's queries and events fed as decoded payloads, with what the room
// sends and gossips recorded (no sockets): ping acks, key queries applied and answered in
// Serf's format, relays, dedup, and our own key queries gathered as Serf's KeyManager does.
#include "agent/serf_queries.hpp"

#include <doctest/doctest.h>

#include "agent/keyring_file.hpp"
#include "swim/msgpack.hpp"
#include "swim/serf.hpp"

using namespace agent;
namespace serf = swim::serf;
using peerlib::keys_action;

namespace {

const std::string k1 = "AAECAwQFBgcICQoLDA0ODw==";
const std::string k2 = "kZyQP8/oO2d4hDYCH3Z9ZHYGLA5hzd7yLCrGA3mH9BA=";

swim::address addr(int i) {
  return swim::address::v4(127, 0, 2, static_cast<std::uint8_t>(i), 7946);
}

swim::member mem(const std::string& name, int i,
                 swim::member_state st = swim::member_state::alive) {
  swim::member m;
  m.name = name;
  m.addr = addr(i);
  m.vsn = {1, 5, 2, 2, 5, 4};
  m.state = st;
  return m;
}

swim::bytes raw_key(const std::string& b64) { return *decode_key(b64); }

struct fixture {
  std::vector<std::pair<swim::address, swim::bytes>> sent;
  std::vector<swim::bytes> gossiped;
  std::vector<swim::member> members{mem("c1", 1), mem("s1", 2), mem("s2", 3), mem("c2", 4)};
  std::vector<swim::keyring> applied;
  key_manager keys;
  serf_queries room;
  swim::time_point now{};

  explicit fixture(std::vector<std::string> ring = {k1})
      : keys({}, make_ring(ring), [this](const swim::keyring& r) { applied.push_back(r); }),
        room(make_cfg(), keys, hooks(), 7) {}

  static swim::keyring make_ring(const std::vector<std::string>& b64) {
    std::vector<swim::bytes> ks;
    for (const auto& k : b64) ks.push_back(raw_key(k));
    return *swim::keyring::make(ks);
  }
  static serf_queries_config make_cfg() {
    serf_queries_config c;
    c.name = "c1";
    c.advertise = addr(1);
    c.tags = {{"role", "cache"}};
    return c;
  }
  serf_queries_hooks hooks() {
    serf_queries_hooks h;
    h.send_to = [this](const swim::address& to, swim::bytes b) {
      sent.emplace_back(to, std::move(b));
    };
    h.broadcast = [this](swim::bytes b) { gossiped.push_back(std::move(b)); };
    h.members = [this] { return members; };
    return h;
  }

  /// A query from s1 (127.0.2.2:7946).
  static serf::query query_from_s1(std::string name, swim::bytes payload, std::uint64_t ltime,
                                   std::uint32_t id, std::uint32_t flags = 0) {
    serf::query q;
    q.ltime = ltime;
    q.id = id;
    q.addr = swim::bytes{127, 0, 2, 2};
    q.port = 7946;
    q.source_node = "s1";
    q.flags = flags;
    q.timeout_ns = 3'200'000'000;
    q.name = std::move(name);
    q.payload = std::move(payload);
    return q;
  }
  void deliver(const swim::bytes& payload) { room.on_user_message(payload, now); }

  /// The responses sent straight to s1, decoded.
  std::vector<serf::query_response> responses_to_s1() const {
    std::vector<serf::query_response> out;
    for (const auto& [to, b] : sent)
      if (to == addr(2))
        if (auto r = serf::decode_query_response(b)) out.push_back(*r);
    return out;
  }
};

}  // namespace

TEST_CASE("serf_queries: _serf_ping is acked straight to the querier and gossiped on once") {
  fixture f;
  const auto q = fixture::query_from_s1("_serf_ping", {}, 5, 1234, serf::query_flag_ack);
  const swim::bytes raw = serf::encode(q);
  f.deliver(raw);
  auto rs = f.responses_to_s1();
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].ack());
  CHECK(rs[0].from == "c1");
  CHECK(rs[0].id == 1234);
  CHECK(rs[0].ltime == 5);
  CHECK(rs[0].payload.empty());
  // Exactly Serf's ack bytes: Flags 1, From, ID, LTime, nil Payload.
  CHECK(f.sent[0].second == serf::encode(rs[0]));
  REQUIRE(f.gossiped.size() == 1);
  CHECK(f.gossiped[0] == raw);  // the bytes as received
  CHECK(f.room.query_clock() == 6);

  // The same query again (gossip brings it several times): nothing more.
  f.deliver(raw);
  CHECK(f.sent.size() == 1);
  CHECK(f.gossiped.size() == 1);
  CHECK(f.room.stats().duplicates == 1);
  // A query without the ack flag gets no ack; a user query gets an ack but no response.
  f.deliver(serf::encode(fixture::query_from_s1("_serf_ping", {}, 5, 99)));
  CHECK(f.sent.size() == 1);
  f.deliver(serf::encode(fixture::query_from_s1("myq", {'x'}, 6, 7, serf::query_flag_ack)));
  CHECK(f.sent.size() == 2);
  CHECK(f.gossiped.size() == 3);
}

TEST_CASE("serf_queries: no-broadcast queries are answered but not gossiped on") {
  fixture f;
  f.deliver(serf::encode(fixture::query_from_s1(
      "_serf_ping", {}, 1, 1, serf::query_flag_ack | serf::query_flag_no_broadcast)));
  CHECK(f.responses_to_s1().size() == 1);
  CHECK(f.gossiped.empty());
  CHECK(f.room.stats().queries_relayed == 0);
}

TEST_CASE("serf_queries: filters decide who acks; the query is gossiped on regardless") {
  fixture f;
  auto q = fixture::query_from_s1("_serf_ping", {}, 1, 1, serf::query_flag_ack);
  q.filters = {serf::encode(serf::filter(serf::node_filter{{"s2"}}))};
  f.deliver(serf::encode(q));
  CHECK(f.sent.empty());
  CHECK(f.gossiped.size() == 1);
  CHECK(f.room.stats().filtered == 1);

  CHECK(serf_queries::passes_filters({serf::encode(serf::filter(serf::node_filter{{"a", "c1"}}))},
                                     "c1", {}));
  const std::map<std::string, std::string> tags{{"role", "cache"}};
  CHECK(serf_queries::passes_filters({serf::encode(serf::filter(serf::tag_filter{"role", "^ca"}))},
                                     "c1", tags));
  CHECK(serf_queries::passes_filters({serf::encode(serf::filter(serf::tag_filter{"role", "ach"}))},
                                     "c1", tags));  // unanchored, like Go's MatchString
  CHECK_FALSE(serf_queries::passes_filters(
      {serf::encode(serf::filter(serf::tag_filter{"role", "^web$"}))}, "c1", tags));
  CHECK_FALSE(serf_queries::passes_filters(
      {serf::encode(serf::filter(serf::tag_filter{"role", "(("}))}, "c1", tags));  // bad regex
  CHECK(serf_queries::passes_filters({serf::encode(serf::filter(serf::tag_filter{"dc", "^$"}))},
                                     "c1", tags));                          // missing tag: ""
  CHECK_FALSE(serf_queries::passes_filters({swim::bytes{9}}, "c1", tags));  // unknown filter type
}

TEST_CASE("serf_queries: Serf's key queries rotate our ring and are answered in Serf's format") {
  fixture f;
  auto send = [&](const std::string& name, const std::string& key, std::uint64_t lt) {
    serf::key_request kr;
    if (!key.empty()) kr.key = raw_key(key);
    f.sent.clear();
    f.deliver(serf::encode(fixture::query_from_s1(name, serf::encode(kr), lt, 100 + lt)));
    auto rs = f.responses_to_s1();
    REQUIRE(rs.size() == 1);
    CHECK_FALSE(rs[0].ack());
    CHECK(rs[0].from == "c1");
    CHECK(rs[0].ltime == lt);
    auto k = serf::decode_key_response(rs[0].payload);
    REQUIRE(k);
    return *k;
  };
  auto r = send("_serf_install-key", k2, 1);
  CHECK(r.result);
  CHECK(r.message.empty());
  CHECK(f.keys.list() == std::vector<std::string>{k1, k2});
  r = send("_serf_use-key", k2, 2);
  CHECK(r.result);
  CHECK(f.keys.list() == std::vector<std::string>{k2, k1});
  r = send("_serf_list-keys", "", 3);
  CHECK(r.result);
  CHECK(r.keys == std::vector<std::string>{k2, k1});
  CHECK(r.primary_key == k2);
  r = send("_serf_remove-key", k2, 4);  // the primary: refused, reason given
  CHECK_FALSE(r.result);
  CHECK_FALSE(r.message.empty());
  r = send("_serf_remove-key", k1, 5);
  CHECK(r.result);
  CHECK(f.keys.list() == std::vector<std::string>{k2});
  CHECK(f.applied.size() == 3);  // install, use, remove reached the node
  CHECK(f.room.stats().key_changes == 3);
  // An unknown internal query gets no response.
  f.sent.clear();
  f.deliver(serf::encode(fixture::query_from_s1("_serf_conflict", {'c', '2'}, 6, 1)));
  CHECK(f.sent.empty());
}

TEST_CASE("serf_queries: without encryption the key queries fail with Serf's messages") {
  fixture f(std::vector<std::string>{});
  f.deliver(serf::encode(fixture::query_from_s1(
      "_serf_install-key", serf::encode(serf::key_request{raw_key(k1)}), 1, 1)));
  f.deliver(serf::encode(
      fixture::query_from_s1("_serf_list-keys", serf::encode(serf::key_request{}), 2, 2)));
  auto rs = f.responses_to_s1();
  REQUIRE(rs.size() == 2);
  auto a = serf::decode_key_response(rs[0].payload);
  auto b = serf::decode_key_response(rs[1].payload);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == serf::key_response{false, "No keyring to modify (encryption not enabled)", {}, ""});
  CHECK(*b == serf::key_response{false, "Keyring is empty (encryption not enabled)", {}, ""});
}

TEST_CASE("serf_queries: a relay factor sends copies through other alive members") {
  fixture f;
  f.members.push_back(mem("old", 9, swim::member_state::dead));
  auto q = fixture::query_from_s1("_serf_ping", {}, 1, 77, serf::query_flag_ack);
  q.relay_factor = 2;
  f.deliver(serf::encode(q));
  // One ack to s1, plus two relays through members other than us, all alive.
  REQUIRE(f.sent.size() == 3);
  CHECK(f.sent[0].first == addr(2));
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK(f.sent[i].first != addr(1));
    CHECK(f.sent[i].first != addr(9));
    auto r = serf::decode_relay(f.sent[i].second);
    REQUIRE(r);
    CHECK(r->header.dest_ip == swim::bytes{127, 0, 2, 2});
    CHECK(r->header.dest_port == 7946);
    CHECK(r->header.dest_name == "s1");
    CHECK(r->inner == f.sent[0].second);
  }
  CHECK(f.sent[1].first != f.sent[2].first);
  // Too few members for the factor: no relays (query.go: "needs to be worth it").
  fixture g;
  g.members = {mem("c1", 1), mem("s1", 2)};
  q.relay_factor = 2;
  g.deliver(serf::encode(q));
  CHECK(g.sent.size() == 1);
}

TEST_CASE("serf_queries: relay messages are forwarded unchanged to their destination") {
  fixture f;
  const swim::bytes inner =
      serf::encode(serf::query_response{9, 42, "s2", serf::query_flag_ack, {}});
  f.deliver(serf::encode_relay({swim::bytes{127, 0, 2, 3}, 7946, "", "s2"}, inner));
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].first == addr(3));
  CHECK(f.sent[0].second == inner);
  CHECK(f.room.stats().relays_forwarded == 1);
  // Garbage is counted, not forwarded.
  f.deliver(swim::bytes{9, 0x81});
  CHECK(f.sent.size() == 1);
  CHECK(f.room.stats().malformed == 1);
}

TEST_CASE(
    "serf_queries: user events are gossiped on once, deduplicated by LTime and name+payload") {
  fixture f;
  serf::user_event e{10, "deploy", {'v', '1'}, true};
  f.deliver(serf::encode(e));
  f.deliver(serf::encode(e));
  CHECK(f.gossiped.size() == 1);
  CHECK(f.gossiped[0] == serf::encode(e));
  // Same LTime, another payload: a different event.
  e.payload = {'v', '2'};
  f.deliver(serf::encode(e));
  CHECK(f.gossiped.size() == 2);
  CHECK(f.room.event_clock() == 11);
  // Far ahead, then something older than the ring remembers: dropped.
  f.deliver(serf::encode(serf::user_event{2000, "x", {}, false}));
  f.deliver(serf::encode(serf::user_event{10, "deploy", {'v', '3'}, true}));
  CHECK(f.gossiped.size() == 3);
  CHECK(f.room.stats().too_old == 1);
  // A ring slot reused by a newer LTime forgets the old one (bounded memory).
  f.deliver(serf::encode(serf::user_event{2000 + 512, "x", {}, false}));
  CHECK(f.gossiped.size() == 4);
  CHECK(f.room.stats().events == 4);
}

TEST_CASE("serf_queries: queries are deduplicated by LTime and ID; old ones dropped") {
  fixture f;
  f.deliver(serf::encode(fixture::query_from_s1("a", {}, 3, 1)));
  f.deliver(serf::encode(fixture::query_from_s1("a", {}, 3, 2)));  // same LTime, another ID
  f.deliver(serf::encode(fixture::query_from_s1("a", {}, 3, 1)));
  CHECK(f.gossiped.size() == 2);
  f.deliver(serf::encode(fixture::query_from_s1("a", {}, 1000, 1)));
  f.deliver(serf::encode(fixture::query_from_s1("a", {}, 3, 3)));  // 3 < 1001 - 512
  CHECK(f.gossiped.size() == 3);
  CHECK(f.room.stats().too_old == 1);
  CHECK(f.room.stats().duplicates == 1);
}

TEST_CASE("serf_queries: our key query applies locally, gossips Serf's query, gathers answers") {
  fixture f;
  std::optional<peerlib::keys_result> out;
  f.room.keys(keys_action::install, k2, std::nullopt, f.now,
              [&](peerlib::keys_result r) { out = std::move(r); });
  CHECK(f.keys.list() == std::vector<std::string>{k1, k2});  // applied here at once
  REQUIRE(f.gossiped.size() == 1);
  auto q = serf::decode_query(f.gossiped[0]);
  REQUIRE(q);
  CHECK(q->name == "_serf_install-key");
  CHECK(q->source_node == "c1");
  CHECK(q->addr == swim::bytes{127, 0, 2, 1});
  CHECK(q->port == 7946);
  CHECK(q->flags == 0);
  CHECK(q->id <= 0x7fffffffu);
  // Serf's default: 200 ms x 16 x ceil(log10(4 + 1)) = 3.2 s.
  CHECK(q->timeout_ns == 3'200'000'000);
  CHECK(f.room.default_timeout() == std::chrono::milliseconds(3200));
  auto kr = serf::decode_key_request(q->payload);
  REQUIRE(kr);
  CHECK(kr->key == raw_key(k2));
  CHECK(f.room.next_deadline() == f.now + std::chrono::milliseconds(3200));
  CHECK_FALSE(out);

  auto answer = [&](const std::string& from, serf::key_response k, std::uint32_t id) {
    f.deliver(serf::encode(serf::query_response{q->ltime, id, from, 0, serf::encode(k)}));
  };
  answer("s1", {true, "", {}, ""}, q->id);
  answer("s1", {true, "", {}, ""}, q->id);      // a duplicate: counted once
  answer("s2", {true, "", {}, ""}, q->id + 1);  // wrong ID: ignored
  f.deliver(serf::encode(serf::query_response{q->ltime, q->id, "s2", serf::query_flag_ack, {}}));
  answer("s2", {false, "key size must be 16, 24 or 32 bytes", {}, ""}, q->id);
  CHECK_FALSE(out);
  answer("c2", {true, "", {}, ""}, q->id);
  REQUIRE(out);  // every live member answered: done before the deadline
  CHECK(out->action == keys_action::install);
  CHECK_FALSE(out->ok);
  CHECK(out->members == 4);
  CHECK(out->responses == 4);
  CHECK(out->failures ==
        std::map<std::string, std::string>{{"s2", "key size must be 16, 24 or 32 bytes"}});
  CHECK(out->message == "1/4 members reported failure");
  CHECK_FALSE(f.room.next_deadline());
  // A late answer changes nothing.
  answer("s2", {true, "", {}, ""}, q->id);
}

TEST_CASE(
    "serf_queries: list gathers each key with its count; silent members fail at the deadline") {
  fixture f({k1, k2});
  std::optional<peerlib::keys_result> out;
  f.room.keys(keys_action::list, "", std::chrono::seconds(2), f.now,
              [&](peerlib::keys_result r) { out = std::move(r); });
  REQUIRE(f.gossiped.size() == 1);
  auto q = serf::decode_query(f.gossiped[0]);
  REQUIRE(q);
  CHECK(q->name == "_serf_list-keys");
  CHECK(q->payload == serf::encode(serf::key_request{}));
  CHECK(q->timeout_ns == 2'000'000'000);
  f.deliver(serf::encode(serf::query_response{
      q->ltime, q->id, "s1", 0, serf::encode(serf::key_response{true, "", {k1, k2}, k1})}));
  f.deliver(serf::encode(serf::query_response{
      q->ltime, q->id, "s2", 0, serf::encode(serf::key_response{true, "", {k1}, k1})}));
  f.room.tick(f.now + std::chrono::milliseconds(1999));
  CHECK_FALSE(out);
  f.room.tick(f.now + std::chrono::seconds(2));
  REQUIRE(out);
  CHECK_FALSE(out->ok);
  CHECK(out->responses == 3);  // c1 (ourselves), s1, s2
  CHECK(out->keys == std::map<std::string, std::uint32_t>{{k1, 3}, {k2, 2}});
  CHECK(out->primary_keys == std::map<std::string, std::uint32_t>{{k1, 3}});
  CHECK(out->failures == std::map<std::string, std::string>{{"c2", "no response"}});
  CHECK(out->message == "3/4 members answered");
}

TEST_CASE("serf_queries: a bad key is refused before any query; a lone agent answers itself") {
  fixture f;
  std::optional<peerlib::keys_result> out;
  f.room.keys(keys_action::use, "not base64!", std::nullopt, f.now,
              [&](peerlib::keys_result r) { out = std::move(r); });
  REQUIRE(out);
  CHECK_FALSE(out->ok);
  CHECK(out->message.rfind("bad key: ", 0) == 0);
  CHECK(f.gossiped.empty());

  fixture alone;
  alone.members = {mem("c1", 1)};
  out.reset();
  alone.room.keys(keys_action::list, "", std::nullopt, alone.now,
                  [&](peerlib::keys_result r) { out = std::move(r); });
  REQUIRE(out);
  CHECK(out->ok);
  CHECK(out->members == 1);
  CHECK(out->keys == std::map<std::string, std::uint32_t>{{k1, 1}});
  CHECK(out->message == "1/1 members answered");
  // Serf's default timeout with one member: 200 ms x 16 x ceil(log10 2) = 3.2 s.
  CHECK(alone.room.default_timeout() == std::chrono::milliseconds(3200));
}

TEST_CASE("serf_queries: the query clock stays ahead of every query seen") {
  fixture f;
  f.deliver(serf::encode(fixture::query_from_s1("x", {}, 41, 1)));
  f.room.keys(keys_action::list, "", std::nullopt, f.now, [](peerlib::keys_result) {});
  auto q = serf::decode_query(f.gossiped.back());
  REQUIRE(q);
  CHECK(q->ltime == 42);
  CHECK(f.room.query_clock() == 43);
}

TEST_CASE("serf_queries: a Serf push-pull's clocks are witnessed minus one") {
  fixture f;
  swim::bytes state{2};
  swim::msgpack::writer w(state);
  w.map_header(3);
  w.str("EventLTime");
  w.uint(40);
  w.str("LTime");
  w.uint(3);
  w.str("QueryLTime");
  w.uint(900);
  f.room.on_remote_state(state);
  CHECK(f.room.query_clock() == 900);
  CHECK(f.room.event_clock() == 40);
  // Our next query carries that clock, so Serf agents (clock 900) do not find it too old.
  f.room.keys(keys_action::list, "", std::nullopt, f.now, [](peerlib::keys_result) {});
  auto q = serf::decode_query(f.gossiped.back());
  REQUIRE(q);
  CHECK(q->ltime == 900);
  // Lower clocks, or state that is not Serf's, change nothing.
  f.room.on_remote_state(swim::bytes{2, 0x81, 0xaa});
  f.room.on_remote_state(swim::bytes{});
  CHECK(f.room.query_clock() == 901);
}
