#include <doctest/doctest.h>

#include "agent/cli.hpp"
#include "agent/snapshot.hpp"
#include "peerlib/protocol.hpp"
#include "swim/tags.hpp"

using namespace agent;

namespace {
swim::member make(const std::string& name, int last, swim::member_state st, swim::tag_map tags = {}) {
  swim::member m;
  m.name = name;
  m.addr = swim::address::v4(127, 0, 0, static_cast<std::uint8_t>(last), 7946);
  m.state = st;
  m.incarnation = 3;
  m.meta = swim::encode_tags(tags);
  return m;
}
}  // namespace

TEST_CASE("snapshot: live members only, sorted, with cache URL and zone from tags") {
  auto self = make("b", 2, swim::member_state::alive, {{"cache_port", "8080"}, {"zone", "z1"}});
  std::vector<swim::member> all = {self, make("c", 3, swim::member_state::suspect),
                                   make("a", 1, swim::member_state::alive, {{"cache_port", "x"}}),
                                   make("d", 4, swim::member_state::dead),
                                   make("e", 5, swim::member_state::left)};
  auto s = build_snapshot(self, all, 7, false);
  REQUIRE(s.peers.size() == 3);
  CHECK(s.peers[0].name == "a");
  CHECK_FALSE(s.peers[0].cache_port);  // "x" is not a port: no URL rather than a wrong one
  CHECK(s.peers[1].name == "b");
  CHECK(s.peers[1].cache_url == "http://127.0.0.2:8080");
  CHECK(s.peers[1].zone == "z1");
  CHECK(s.peers[2].state == peerlib::peer_state::suspect);
  CHECK(s.version == 7);
  CHECK(s.self.name == "b");
}

TEST_CASE("snapshot: local mode publishes only this node") {
  auto self = make("b", 2, swim::member_state::alive);
  auto s = build_snapshot(self, {self, make("a", 1, swim::member_state::alive)}, 1, true);
  REQUIRE(s.peers.size() == 1);
  CHECK(s.peers[0].name == "b");
  CHECK(s.local_mode);
}

TEST_CASE("snapshot: round-trips through the socket protocol") {
  auto self = make("b", 2, swim::member_state::alive, {{"cache_port", "8080"}, {"k", "v \"q\"\n"}});
  auto s = build_snapshot(self, {self, make("a", 1, swim::member_state::suspect)}, 42, false);
  std::string line = peerlib::protocol::encode_snapshot(s);
  CHECK(line.find('\n') == std::string::npos);
  std::string err;
  auto back = peerlib::protocol::decode_snapshot(line, &err);
  REQUIRE_MESSAGE(back, err);
  CHECK(back->version == 42);
  CHECK_FALSE(back->local_mode);
  CHECK(back->peers == s.peers);
  CHECK(back->self == s.self);
  CHECK(same_view(*back, s));
}

TEST_CASE("snapshot: malformed lines are rejected with a reason") {
  std::string err;
  for (const char* bad : {"", "{", "[]", R"({"type":"members"})",
                          R"({"type":"snapshot","version":-1,"local_mode":true})",
                          R"({"type":"snapshot","version":1,"local_mode":true,"self":{"name":"a","address":"x"},"peers":[{"name":1}]})",
                          R"({"type":"snapshot","version":1,"local_mode":true,"self":{"name":"a","address":"x","port":70000},"peers":[]})"}) {
    CAPTURE(bad);
    CHECK_FALSE(peerlib::protocol::decode_snapshot(bad, &err));
    CHECK_FALSE(err.empty());
  }
}

TEST_CASE("cli: members table is aligned and filters by state") {
  std::string doc = R"({"node":"a","members":[
    {"name":"a","address":"127.0.0.1","port":7946,"state":"alive","tags":{"role":"cache"}},
    {"name":"bb","address":"::1","port":7000,"state":"dead","tags":{}}]})";
  std::string err;
  CHECK(cli::format_members(doc, std::nullopt, &err) ==
        "a   127.0.0.1:7946  alive  role=cache\n"
        "bb  [::1]:7000      dead\n");
  CHECK(cli::format_members(doc, std::string("dead"), &err) == "bb  [::1]:7000  dead\n");
  cli::format_members("nonsense", std::nullopt, &err);
  CHECK_FALSE(err.empty());
}
