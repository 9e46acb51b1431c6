// peerlib::protocol: snapshot lines (strict types, tolerant of new keys).

#include "peerlib/protocol.hpp"

#include <doctest/doctest.h>

using namespace peerlib;

namespace {

const char* const good =
    R"({"type":"snapshot","protocol":1,"version":7,"local_mode":false,)"
    R"("self":{"name":"a","address":"10.0.0.1","port":7946,"cache_port":8080,"cache_url":"http://10.0.0.1:8080","zone":"z1","state":"alive","incarnation":3,"tags":{"cache_port":"8080","zone":"z1"}},)"
    R"("peers":[{"name":"a","address":"10.0.0.1","port":7946,"cache_port":8080,"cache_url":"http://10.0.0.1:8080","zone":"z1","state":"alive","incarnation":3,"tags":{}},)"
    R"({"name":"b","address":"10.0.0.2","port":7946,"cache_port":null,"cache_url":"","zone":"","state":"suspect","incarnation":1,"tags":{"role":"cache"}}]})";

std::string decode_error(const std::string& line) {
  std::string err;
  auto s = protocol::decode_snapshot(line, &err);
  CHECK_FALSE(s);
  return err;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("protocol: a full snapshot decodes and round-trips") {
  auto s = protocol::decode_snapshot(good);
  REQUIRE(s);
  CHECK(s->version == 7);
  CHECK_FALSE(s->local_mode);
  CHECK(s->self.name == "a");
  CHECK(s->self.cache_port == 8080);
  CHECK(s->self.tags.at("zone") == "z1");
  REQUIRE(s->peers.size() == 2);
  CHECK(s->peers[1].state == peer_state::suspect);
  CHECK_FALSE(s->peers[1].cache_port);
  CHECK(s->peers[1].tags.at("role") == "cache");
  auto again = protocol::decode_snapshot(protocol::encode_snapshot(*s));
  REQUIRE(again);
  CHECK(again->self == s->self);
  CHECK(again->peers == s->peers);
}

TEST_CASE("protocol: unknown keys and absent optional keys are accepted") {
  auto s = protocol::decode_snapshot(
      R"({"type":"snapshot","protocol":1,"version":1,"local_mode":true,"extra":[1,2],)"
      R"("self":{"name":"a","address":"::1","future":{}},"peers":[{"name":"a","address":"::1"}]})");
  REQUIRE(s);
  CHECK(s->local_mode);
  CHECK(s->peers[0].port == 0);
  CHECK(s->peers[0].cache_url.empty());
  CHECK(s->peers[0].state == peer_state::alive);
}

TEST_CASE("protocol: malformed snapshots are rejected with a reason") {
  CHECK(decode_error("") == "not valid JSON");
  CHECK(decode_error("{\"type\":\"snapshot\"") == "not valid JSON");
  CHECK(decode_error("[]") == "not a snapshot line");
  CHECK(decode_error(R"({"type":"error","message":"x"})") == "not a snapshot line");
  CHECK(decode_error(replace(good, R"("version":7)", R"("version":-1)")).find("version") != std::string::npos);
  CHECK(decode_error(replace(good, R"("version":7)", R"("version":"7")")).find("version") != std::string::npos);
  CHECK(decode_error(replace(good, R"("local_mode":false)", R"("local_mode":0)")).find("local_mode") != std::string::npos);
  CHECK(decode_error(replace(good, R"("port":7946,"cache_port":8080,"cache_url":"http://10.0.0.1:8080","zone":"z1","state":"alive","incarnation":3,"tags":{"cache)", R"("port":70000,"cache_port":8080,"cache_url":"http://10.0.0.1:8080","zone":"z1","state":"alive","incarnation":3,"tags":{"cache)")).find("port") != std::string::npos);
  CHECK(decode_error(replace(good, R"("state":"suspect")", R"("state":"dead")")).find("state") != std::string::npos);
  CHECK(decode_error(replace(good, R"({"role":"cache"})", R"({"role":1})")).find("role") != std::string::npos);
  CHECK(decode_error(replace(good, R"("peers":[)", R"("peerz":[)")).find("peers") != std::string::npos);
  CHECK(decode_error(replace(good, R"({"name":"b",)", R"({"nom":"b",)")).find("name") != std::string::npos);
  CHECK(decode_error(replace(good, R"("incarnation":1,)", R"("incarnation":4294967296,)")).find("incarnation") != std::string::npos);
}

TEST_CASE("protocol: a snapshot with invalid UTF-8 in a tag encodes without throwing") {
  snapshot s;
  s.self = {"a", "10.0.0.1", 7946, std::nullopt, "", "", peer_state::alive, 1, {{"note", "bad\xff"}}};
  s.peers = {s.self};
  std::string line;
  REQUIRE_NOTHROW(line = protocol::encode_snapshot(s));
  CHECK(line.find("bad\xef\xbf\xbd") != std::string::npos);  // U+FFFD
  CHECK(protocol::decode_snapshot(line));
}

TEST_CASE("protocol: a snapshot of a newer, or no, protocol revision is rejected") {
  CHECK(decode_error(replace(good, R"("protocol":1)", R"("protocol":2)")) ==
        "the agent speaks protocol revision 2; this peerlib understands up to 1: upgrade peerlib");
  for (const char* bad : {R"("protocol":0)", R"("protocol":"1")", R"("protocol":-1)", R"("protocol":1.5)"})
    CHECK(decode_error(replace(good, R"("protocol":1)", bad)) ==
          "snapshot lacks a positive integer \"protocol\" revision");
  CHECK(decode_error(replace(good, R"("protocol":1,)", "")) ==
        "snapshot lacks a positive integer \"protocol\" revision");
  CHECK(protocol::decode_snapshot(good));
}

TEST_CASE("protocol: a snapshot without self is rejected") {
  auto err = decode_error(R"({"type":"snapshot","protocol":1,"version":1,"local_mode":true,"peers":[]})");
  CHECK(err.find("self") != std::string::npos);
  err = decode_error(R"({"type":"snapshot","protocol":1,"version":1,"local_mode":true,"self":[],"peers":[]})");
  CHECK(err == "self: peer is not an object");
}
