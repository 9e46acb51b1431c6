// peerlib::protocol: the keys op (`cachecluster keys`, docs/protocol.md): its request line and
// the keys line the agent answers with.

#include <string>

#include <doctest/doctest.h>

#include "peerlib/protocol.hpp"

using namespace peerlib;

namespace {
const std::string k1 = "AAECAwQFBgcICQoLDA0ODw==";
const std::string k2 = "kZyQP8/oO2d4hDYCH3Z9ZHYGLA5hzd7yLCrGA3mH9BA=";

std::string request_error(const std::string& line) {
  std::string err;
  auto r = protocol::decode_request(line, &err);
  CHECK_FALSE(r);
  return err;
}
}  // namespace

TEST_CASE("protocol keys: request lines have the documented form") {
  CHECK(protocol::encode_request(request::keys_request(keys_action::list)) ==
        R"({"op":"keys","action":"list"})");
  CHECK(protocol::encode_request(request::keys_request(keys_action::install, k1)) ==
        R"({"op":"keys","action":"install","key":")" + k1 + R"("})");
  CHECK(protocol::encode_request(request::keys_request(keys_action::remove, k2, 2500)) ==
        R"({"op":"keys","action":"remove","key":")" + k2 + R"(","timeout_ms":2500})");
  // A key given to list is not sent.
  CHECK(protocol::encode_request(request::keys_request(keys_action::list, k1)) ==
        R"({"op":"keys","action":"list"})");
}

TEST_CASE("protocol keys: every keys request round-trips") {
  for (const request& r :
       {request::keys_request(keys_action::list), request::keys_request(keys_action::list, "", 1),
        request::keys_request(keys_action::install, k1),
        request::keys_request(keys_action::use, k2, 60000),
        request::keys_request(keys_action::remove, k1)}) {
    auto back = protocol::decode_request(protocol::encode_request(r));
    REQUIRE(back);
    CHECK(*back == r);
  }
}

TEST_CASE("protocol keys: bad keys requests are refused with a reason") {
  CHECK(request_error(R"({"op":"keys"})") ==
        R"(keys needs an "action": list, install, use or remove)");
  CHECK(request_error(R"({"op":"keys","action":"rotate"})") ==
        R"(keys needs an "action": list, install, use or remove)");
  CHECK(request_error(R"({"op":"keys","action":7})") ==
        R"(keys needs an "action": list, install, use or remove)");
  CHECK(request_error(R"({"op":"keys","action":"install"})") == R"(keys lacks "key")");
  CHECK(request_error(R"({"op":"keys","action":"use","key":""})") == R"(keys use needs a "key")");
  CHECK(request_error(R"({"op":"keys","action":"remove","key":5})") ==
        R"(keys "key" is not a string)");
  CHECK(request_error(R"({"op":"keys","action":"list","timeout_ms":0})") ==
        R"(keys "timeout_ms" is not a positive integer)");
  CHECK(request_error(R"({"op":"keys","action":"list","timeout_ms":-5})") ==
        R"(keys "timeout_ms" is not a positive integer)");
  CHECK(request_error(R"({"op":"keys","action":"list","timeout_ms":"5s"})") ==
        R"(keys "timeout_ms" is not a positive integer)");
  CHECK(request_error(R"({"op":"rotate"})") ==
        R"(unknown op "rotate" (subscribe, members, join, leave, keys, force-leave, info, monitor))");
  // Keys of other ops are ignored, as for join's addresses.
  auto m = protocol::decode_request(R"({"op":"members","action":"install"})");
  REQUIRE(m);
  CHECK(*m == request{request_op::members});
}

TEST_CASE("protocol keys: keys lines have the documented form and round-trip") {
  keys_result k;
  k.action = keys_action::list;
  k.ok = false;
  k.message = "1/4 members reported failure";
  k.members = 4;
  k.responses = 3;
  k.failures = {{"c2", "no response"}};
  k.notes = {{"s1", "truncated key list response, showing first 1 of 2 keys"}};
  k.keys = {{k1, 3}, {k2, 1}};
  k.primary_keys = {{k1, 3}};
  const std::string line = protocol::encode_keys_result(k);
  CHECK(line ==
        R"({"type":"keys","action":"list","ok":false,"message":"1/4 members reported failure",)"
        R"("members":4,"responses":3,"failures":{"c2":"no response"},)"
        R"("notes":{"s1":"truncated key list response, showing first 1 of 2 keys"},)"
        R"("keys":{")" +
            k1 + R"(":3,")" + k2 + R"(":1},"primary_keys":{")" + k1 + R"(":3}})");
  auto back = protocol::decode_keys_result(line);
  REQUIRE(back);
  CHECK(*back == k);

  // As the reply to a keys request, and an error line instead of one.
  auto r = protocol::decode_reply(request_op::keys, line);
  REQUIRE(r);
  CHECK(std::get<keys_result>(*r) == k);
  auto e = protocol::decode_reply(request_op::keys, R"({"type":"error","message":"no"})");
  REQUIRE(e);
  CHECK(std::get<error_reply>(*e).message == "no");

  // Minimal line: only action and ok.
  auto min = protocol::decode_keys_result(R"({"type":"keys","action":"use","ok":true})");
  REQUIRE(min);
  CHECK(min->action == keys_action::use);
  CHECK(min->ok);
  CHECK(min->members == 0);
  CHECK(min->failures.empty());
}

TEST_CASE("protocol keys: malformed keys lines are refused") {
  std::string err;
  CHECK_FALSE(protocol::decode_keys_result(R"({"type":"result","ok":true})", &err));
  CHECK(err == "not a keys line");
  CHECK_FALSE(protocol::decode_keys_result(R"({"type":"keys","ok":true})", &err));
  CHECK(err == R"(keys lacks "action")");
  CHECK_FALSE(protocol::decode_keys_result(R"({"type":"keys","action":"list"})", &err));
  CHECK(err == R"(keys lacks a boolean "ok")");
  CHECK_FALSE(protocol::decode_keys_result(
      R"({"type":"keys","action":"list","ok":true,"keys":{"a":-1}})", &err));
  CHECK(err == R"(keys "keys" holds something other than a count)");
  CHECK_FALSE(protocol::decode_keys_result(
      R"({"type":"keys","action":"list","ok":true,"failures":["a"]})", &err));
  CHECK(err == R"(keys "failures" is not an object)");
  CHECK_FALSE(protocol::decode_keys_result("{", &err));
  CHECK(err == "not valid JSON");
}
