// peerlib::protocol: the members document (the socket's members reply and GET /v1/members).

#include <string>

#include <doctest/doctest.h>

#include "peerlib/protocol.hpp"

using namespace peerlib;

namespace {

members_document sample() {
  members_document d;
  d.node = "cache-1";
  d.members = {
      {"cache-1", "10.0.0.1", 7946, "alive", 3, {{"role", "cache"}, {"zone", "z1"}},
       {1, 5, 2, 2, 5, 4}},
      {"cache-2", "2001:db8::7", 7000, "suspect", 9, {}, {1, 5, 2, 2, 5, 4}},
      {"cache-3", "10.0.0.3", 7946, "left", 4294967295u, {}, {}, 12, true},
  };
  return d;
}

const char* const one =
    R"({"node":"a","members":[{"name":"a","address":"10.0.0.1","port":7946,"state":"dead",)"
    R"("incarnation":17,"tags":{"role":"web"},"protocol":[1,5,2,2,5,4],"flaps":3,)"
    R"("suppressed":true,"grey":true}]})";

std::string members_error(const std::string& line) {
  std::string err;
  auto d = protocol::decode_members(line, &err);
  CHECK_FALSE(d);
  CHECK_FALSE(err.empty());
  return err;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

bool mentions(const std::string& err, const std::string& word) {
  return err.find(word) != std::string::npos;
}

}  // namespace

TEST_CASE("protocol: the members document, byte for byte, keys in the documented order") {
  auto d = protocol::decode_members(one);
  REQUIRE(d);
  CHECK(protocol::encode_members(*d) == one);
  members_document empty;
  empty.node = "lonely";
  CHECK(protocol::encode_members(empty) == R"({"node":"lonely","members":[]})");
}

TEST_CASE("protocol: members documents round-trip") {
  auto d = sample();
  std::string line = protocol::encode_members(d);
  CHECK(line.find('\n') == std::string::npos);
  std::string err;
  auto back = protocol::decode_members(line, &err);
  REQUIRE_MESSAGE(back, err);
  CHECK(*back == d);
  CHECK(back->members[2].incarnation == 4294967295u);
  CHECK(back->members[1].address == "2001:db8::7");
  CHECK(back->members[2].flaps == 12);
  CHECK(back->members[2].suppressed);
  CHECK(back->members[0].flaps == 0);
  CHECK_FALSE(back->members[0].suppressed);
  // The encoder keeps the order it is given (sorting is the agent's job).
  std::swap(d.members[0], d.members[2]);
  back = protocol::decode_members(protocol::encode_members(d));
  REQUIRE(back);
  CHECK(back->members[0].name == "cache-3");
}

TEST_CASE("protocol: the members encoder escapes and survives invalid UTF-8") {
  members_document d;
  d.node = "n";
  d.members = {{"p\xff", "10.0.0.1", 1, "alive", 1, {{"note", "say \"hi\"\\path\nnext"}}, {}}};
  std::string line;
  REQUIRE_NOTHROW(line = protocol::encode_members(d));
  CHECK(mentions(line, R"("note":"say \"hi\"\\path\nnext")"));
  CHECK(mentions(line, "\"name\":\"p\xef\xbf\xbd\""));  // U+FFFD
  auto back = protocol::decode_members(line);
  REQUIRE(back);
  CHECK(back->members[0].tags.at("note") == "say \"hi\"\\path\nnext");
}

TEST_CASE("protocol: optional member keys may be absent, unknown keys are ignored") {
  auto d = protocol::decode_members(
      R"({"node":"a","future":[1],"members":[{"name":"a","address":"::1","port":7000,)"
      R"("state":"alive","x":{}}]})");
  REQUIRE(d);
  CHECK(d->node == "a");
  REQUIRE(d->members.size() == 1);
  CHECK(d->members[0].incarnation == 0);
  CHECK(d->members[0].tags.empty());
  CHECK(d->members[0].protocol.empty());
  // Agents before flap damping send neither flaps nor suppressed.
  CHECK(d->members[0].flaps == 0);
  CHECK_FALSE(d->members[0].suppressed);
  // A state this version does not know is passed on as is.
  auto later = protocol::decode_members(replace(one, R"("state":"dead")", R"("state":"leaving")"));
  REQUIRE(later);
  CHECK(later->members[0].state == "leaving");
}

TEST_CASE("protocol: malformed members documents are rejected with a reason") {
  CHECK(members_error("") == "not valid JSON");
  CHECK(members_error(R"({"node":"a","members":[)") == "not valid JSON");
  CHECK(members_error("[]") == "not a members document");
  CHECK(members_error("nonsense") == "not valid JSON");
  CHECK(mentions(members_error(R"({"type":"error","message":"x"})"), "node"));
  CHECK(mentions(members_error(replace(one, R"("node":"a",)", "")), "node"));
  CHECK(mentions(members_error(replace(one, R"("node":"a")", R"("node":1)")), "node"));
  CHECK(mentions(members_error(replace(one, R"("members":[)", R"("member":[)")), "members"));
  CHECK(mentions(members_error(R"({"node":"a","members":{}})"), "members"));
  CHECK(mentions(members_error(R"({"node":"a","members":[1]})"), "not an object"));
}

TEST_CASE("protocol: members with missing or mistyped keys are rejected") {
  struct bad {
    const char* from;
    const char* to;
    const char* key;
  };
  for (auto b : {bad{R"("name":"a",)", "", "name"},
                 bad{R"("name":"a")", R"("name":["a"])", "name"},
                 bad{R"("address":"10.0.0.1",)", "", "address"},
                 bad{R"("address":"10.0.0.1")", R"("address":167772161)", "address"},
                 bad{R"("port":7946,)", "", "port"},
                 bad{R"("port":7946)", R"("port":"7946")", "port"},
                 bad{R"("port":7946)", R"("port":65536)", "port"},
                 bad{R"("port":7946)", R"("port":-1)", "port"},
                 bad{R"("port":7946)", R"("port":79.5)", "port"},
                 bad{R"("state":"dead",)", "", "state"},
                 bad{R"("state":"dead")", R"("state":3)", "state"},
                 bad{R"("incarnation":17)", R"("incarnation":4294967296)", "incarnation"},
                 bad{R"("incarnation":17)", R"("incarnation":"17")", "incarnation"},
                 bad{R"("tags":{"role":"web"})", R"("tags":["role","web"])", "tags"},
                 bad{R"("tags":{"role":"web"})", R"("tags":{"role":1})", "role"},
                 bad{R"("protocol":[1,5,2,2,5,4])", R"("protocol":"1,5,2")", "protocol"},
                 bad{R"("protocol":[1,5,2,2,5,4])", R"("protocol":[1,5,256])", "protocol"},
                 bad{R"("protocol":[1,5,2,2,5,4])", R"("protocol":[1,"5"])", "protocol"},
                 bad{R"("flaps":3)", R"("flaps":-1)", "flaps"},
                 bad{R"("flaps":3)", R"("flaps":"3")", "flaps"},
                 bad{R"("suppressed":true)", R"("suppressed":1)", "suppressed"},
                 bad{R"("suppressed":true)", R"("suppressed":"yes")", "suppressed"},
                 bad{R"("grey":true)", R"("grey":"true")", "grey"}}) {
    CAPTURE(b.to);
    CHECK(mentions(members_error(replace(one, b.from, b.to)), b.key));
  }
}
