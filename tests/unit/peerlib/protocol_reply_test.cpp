// peerlib::protocol: result and error lines, and decode_reply, which reads whatever the
// agent answers to a request of a given kind.

#include <string>
#include <variant>

#include <doctest/doctest.h>

#include "peerlib/protocol.hpp"

using namespace peerlib;

namespace {

bool mentions(const std::string& err, const std::string& word) {
  return err.find(word) != std::string::npos;
}

const char* const snapshot_line =
    R"({"type":"snapshot","protocol":1,"version":2,"local_mode":true,)"
    R"("self":{"name":"a","address":"10.0.0.1"},"peers":[{"name":"a","address":"10.0.0.1"}]})";
const char* const members_line =
    R"({"node":"a","members":[{"name":"a","address":"10.0.0.1","port":7946,"state":"alive"}]})";

}  // namespace

// ---- result lines ----

TEST_CASE("protocol: result lines have the documented form and round-trip") {
  CHECK(protocol::encode_result({true, "joined 1 of 1 address(es)"}) ==
        R"x({"type":"result","ok":true,"message":"joined 1 of 1 address(es)"})x");
  CHECK(protocol::encode_result({false, "leave timed out"}) ==
        R"({"type":"result","ok":false,"message":"leave timed out"})");
  for (const result& r :
       {result{true, "left"}, result{false, ""}, result{false, "a \"quoted\"\nline"}}) {
    CAPTURE(r.message);
    auto back = protocol::decode_result(protocol::encode_result(r));
    REQUIRE(back);
    CHECK(*back == r);
  }
}

TEST_CASE("protocol: result lines: message is optional, ok is not, types are checked") {
  auto r = protocol::decode_result(R"({"ok":true,"type":"result","later":1})");
  REQUIRE(r);
  CHECK(r->ok);
  CHECK(r->message.empty());
  std::string err;
  CHECK_FALSE(protocol::decode_result("", &err));
  CHECK(err == "not valid JSON");
  CHECK_FALSE(protocol::decode_result(R"({"type":"result","ok":tru})", &err));
  CHECK(err == "not valid JSON");
  CHECK_FALSE(protocol::decode_result(R"({"type":"error","message":"x"})", &err));
  CHECK(err == "not a result line");
  CHECK_FALSE(protocol::decode_result(R"({"ok":true,"message":"x"})", &err));
  CHECK(err == "not a result line");
  CHECK_FALSE(protocol::decode_result(R"({"type":["result"],"ok":true})", &err));
  CHECK(err == "not a result line");
  CHECK_FALSE(protocol::decode_result(R"([{"type":"result","ok":true}])", &err));
  CHECK(err == "not a result line");
  CHECK_FALSE(protocol::decode_result(R"({"type":"result","message":"x"})", &err));
  CHECK(mentions(err, "ok"));
  CHECK_FALSE(protocol::decode_result(R"({"type":"result","ok":1,"message":"x"})", &err));
  CHECK(mentions(err, "ok"));
  CHECK_FALSE(protocol::decode_result(R"({"type":"result","ok":"true"})", &err));
  CHECK(mentions(err, "ok"));
  CHECK_FALSE(protocol::decode_result(R"({"type":"result","ok":true,"message":7})", &err));
  CHECK(mentions(err, "message"));
}

// ---- error lines ----

TEST_CASE("protocol: error lines have the documented form and round-trip") {
  CHECK(protocol::encode_error({R"(unknown op "x")"}) ==
        R"({"type":"error","message":"unknown op \"x\""})");
  for (const char* m : {"", "join needs a non-empty \"addresses\" array", "tab\there"}) {
    CAPTURE(m);
    auto back = protocol::decode_error(protocol::encode_error({m}));
    REQUIRE(back);
    CHECK(back->message == m);
  }
  // Never throws on bytes that are not UTF-8 (an op name echoed back, say).
  std::string line;
  REQUIRE_NOTHROW(line = protocol::encode_error({"bad \xc3"}));
  auto back = protocol::decode_error(line);
  REQUIRE(back);
  CHECK(back->message == "bad \xef\xbf\xbd");
}

TEST_CASE("protocol: malformed error lines are rejected") {
  std::string err;
  CHECK_FALSE(protocol::decode_error("{", &err));
  CHECK(err == "not valid JSON");
  CHECK_FALSE(protocol::decode_error(R"({"type":"result","ok":false,"message":"x"})", &err));
  CHECK(err == "not an error line");
  CHECK_FALSE(protocol::decode_error(R"({"message":"x"})", &err));
  CHECK(err == "not an error line");
  CHECK_FALSE(protocol::decode_error(R"({"type":"error","message":{"text":"x"}})", &err));
  CHECK(mentions(err, "message"));
  auto bare = protocol::decode_error(R"({"type":"error"})");
  REQUIRE(bare);
  CHECK(bare->message.empty());
}

// ---- decode_reply ----

TEST_CASE("protocol: decode_reply reads the reply each op expects") {
  auto s = protocol::decode_reply(request_op::subscribe, snapshot_line);
  REQUIRE(s);
  REQUIRE(std::holds_alternative<snapshot>(*s));
  CHECK(std::get<snapshot>(*s).version == 2);

  auto m = protocol::decode_reply(request_op::members, members_line);
  REQUIRE(m);
  REQUIRE(std::holds_alternative<members_document>(*m));
  CHECK(std::get<members_document>(*m).members.at(0).state == "alive");

  for (auto op : {request_op::join, request_op::leave}) {
    CAPTURE(protocol::to_string(op));
    auto r = protocol::decode_reply(op, R"({"type":"result","ok":true,"message":"left"})");
    REQUIRE(r);
    REQUIRE(std::holds_alternative<result>(*r));
    CHECK(std::get<result>(*r) == result{true, "left"});
  }
}

TEST_CASE("protocol: decode_reply accepts an error line for every op") {
  for (auto op :
       {request_op::subscribe, request_op::members, request_op::join, request_op::leave}) {
    CAPTURE(protocol::to_string(op));
    auto e = protocol::decode_reply(op, R"({"type":"error","message":"no"})");
    REQUIRE(e);
    REQUIRE(std::holds_alternative<error_reply>(*e));
    CHECK(std::get<error_reply>(*e).message == "no");
  }
}

TEST_CASE("protocol: decode_reply rejects a reply meant for another op") {
  std::string err;
  CHECK_FALSE(protocol::decode_reply(request_op::subscribe, members_line, &err));
  CHECK(err == "not a snapshot line");
  CHECK_FALSE(protocol::decode_reply(request_op::join, snapshot_line, &err));
  CHECK(err == "not a result line");
  CHECK_FALSE(protocol::decode_reply(request_op::leave, members_line, &err));
  CHECK(err == "not a result line");
  CHECK_FALSE(protocol::decode_reply(request_op::members, snapshot_line, &err));
  CHECK(mentions(err, "node"));
  CHECK_FALSE(protocol::decode_reply(request_op::members, "", &err));
  CHECK(err == "not valid JSON");
  CHECK_FALSE(protocol::decode_reply(request_op::join, "ok", &err));
  CHECK(err == "not valid JSON");
  // A malformed error line is not an error reply.
  CHECK_FALSE(protocol::decode_reply(request_op::join, R"({"type":"error","message":1})", &err));
  CHECK(mentions(err, "message"));
}
