// peerlib::protocol: request lines, as the CLI and peerlib send them and the agent reads them.

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "peerlib/protocol.hpp"

using namespace peerlib;

namespace {

/// The decoder's reason for rejecting `line` (and a failed check if it accepted it).
std::string request_error(const std::string& line) {
  std::string err;
  auto r = protocol::decode_request(line, &err);
  CHECK_FALSE(r);
  CHECK_FALSE(err.empty());
  return err;
}

const std::string not_a_request = R"(request must be a JSON object with a string "op")";
const std::string bad_join = R"(join needs a non-empty "addresses" array)";

}  // namespace

TEST_CASE("protocol: request lines have the documented form") {
  CHECK(protocol::encode_request({request_op::subscribe}) == R"({"op":"subscribe"})");
  CHECK(protocol::encode_request({request_op::members}) == R"({"op":"members"})");
  CHECK(protocol::encode_request({request_op::leave}) == R"({"op":"leave"})");
  CHECK(protocol::encode_request({request_op::join, {"10.0.0.2:7946", "[::1]:7000"}}) ==
        R"({"op":"join","addresses":["10.0.0.2:7946","[::1]:7000"]})");
  // Addresses belong to join only.
  CHECK(protocol::encode_request({request_op::leave, {"10.0.0.2"}}) == R"({"op":"leave"})");
}

TEST_CASE("protocol: every request round-trips") {
  for (const request& r : {request{request_op::subscribe}, request{request_op::members},
                           request{request_op::leave},
                           request{request_op::join, {"10.0.0.2:7946"}},
                           request{request_op::join, {"a", "b\"c", "10.0.0.3"}}}) {
    CAPTURE(protocol::to_string(r.op));
    std::string err;
    auto back = protocol::decode_request(protocol::encode_request(r), &err);
    REQUIRE_MESSAGE(back, err);
    CHECK(*back == r);
  }
}

TEST_CASE("protocol: request op names") {
  CHECK(std::string(protocol::to_string(request_op::subscribe)) == "subscribe");
  CHECK(std::string(protocol::to_string(request_op::members)) == "members");
  CHECK(std::string(protocol::to_string(request_op::join)) == "join");
  CHECK(std::string(protocol::to_string(request_op::leave)) == "leave");
}

TEST_CASE("protocol: requests as other clients write them") {
  // Key order, whitespace, a trailing newline or CR LF, and unknown keys do not matter.
  auto j = protocol::decode_request(
      " { \"addresses\" : [\"10.0.0.2\"], \"op\" : \"join\", \"x\":1 }\r\n");
  REQUIRE(j);
  CHECK(j->op == request_op::join);
  CHECK(j->addresses == std::vector<std::string>{"10.0.0.2"});
  auto s = protocol::decode_request("{\"op\":\"subscribe\"}\n");
  REQUIRE(s);
  CHECK(s->op == request_op::subscribe);
  // Addresses are ignored (not even checked) outside join.
  auto m = protocol::decode_request(R"({"op":"members","addresses":7})");
  REQUIRE(m);
  CHECK(m->op == request_op::members);
  CHECK(m->addresses.empty());
}

TEST_CASE("protocol: malformed requests are rejected with the reason the agent sends") {
  CHECK(request_error("") == not_a_request);
  CHECK(request_error("subscribe") == not_a_request);
  CHECK(request_error(R"({"op":"subscribe")") == not_a_request);
  CHECK(request_error(R"(["op","subscribe"])") == not_a_request);
  CHECK(request_error(R"("subscribe")") == not_a_request);
  CHECK(request_error("{}") == not_a_request);
  CHECK(request_error(R"({"Op":"subscribe"})") == not_a_request);
  CHECK(request_error(R"({"op":1})") == not_a_request);
  CHECK(request_error(R"({"op":null})") == not_a_request);
  CHECK(request_error(R"({"op":["join"]})") == not_a_request);
}

TEST_CASE("protocol: unknown ops are named in the error") {
  CHECK(request_error(R"({"op":"status"})") ==
        R"(unknown op "status" (subscribe, members, join, leave, keys, force-leave, info, monitor))");
  CHECK(request_error(R"({"op":"SUBSCRIBE"})") ==
        R"(unknown op "SUBSCRIBE" (subscribe, members, join, leave, keys, force-leave, info, monitor))");
  CHECK(request_error(R"({"op":""})") == R"(unknown op "" (subscribe, members, join, leave, keys, force-leave, info, monitor))");
}

TEST_CASE("protocol: a join needs a non-empty array of string addresses") {
  CHECK(request_error(R"({"op":"join"})") == bad_join);
  CHECK(request_error(R"({"op":"join","addresses":[]})") == bad_join);
  CHECK(request_error(R"({"op":"join","addresses":"10.0.0.2"})") == bad_join);
  CHECK(request_error(R"({"op":"join","addresses":{"a":"10.0.0.2"}})") == bad_join);
  CHECK(request_error(R"({"op":"join","addresses":["10.0.0.2",7946]})") ==
        "join addresses must be strings");
  CHECK(request_error(R"({"op":"join","addresses":[null]})") == "join addresses must be strings");
  // Encoding an empty join is allowed; the agent is the one that refuses it.
  CHECK(request_error(protocol::encode_request({request_op::join})) == bad_join);
}

TEST_CASE("protocol: decode_request without an error string") {
  CHECK_FALSE(protocol::decode_request("nonsense"));
  CHECK(protocol::decode_request(R"({"op":"leave"})"));
}
