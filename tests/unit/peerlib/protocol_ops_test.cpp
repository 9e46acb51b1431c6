// peerlib::protocol: the force-leave, info and monitor ops and their replies.

#include <string>

#include <doctest/doctest.h>

#include "peerlib/protocol.hpp"

using namespace peerlib;

namespace {

std::string request_error(const std::string& line) {
  std::string err;
  CHECK_FALSE(protocol::decode_request(line, &err));
  return err;
}

request force_leave(std::string node) {
  request r(request_op::force_leave);
  r.node = std::move(node);
  return r;
}

request monitor(std::string level) {
  request r(request_op::monitor);
  r.log_level = std::move(level);
  return r;
}

}  // namespace

TEST_CASE("protocol: force-leave, info and monitor requests") {
  CHECK(protocol::encode_request(force_leave("cache-3")) == R"({"op":"force-leave","node":"cache-3"})");
  CHECK(protocol::encode_request({request_op::info}) == R"({"op":"info"})");
  CHECK(protocol::encode_request(monitor("debug")) == R"({"op":"monitor","log_level":"debug"})");
  CHECK(protocol::encode_request(monitor("")) == R"({"op":"monitor"})");
  for (const request& r : {force_leave("cache-3"), request{request_op::info}, monitor("trace"),
                           monitor("")}) {
    auto back = protocol::decode_request(protocol::encode_request(r));
    REQUIRE(back);
    CHECK(*back == r);
  }
  CHECK(request_error(R"({"op":"force-leave"})") == R"(force-leave lacks "node")");
  CHECK(request_error(R"({"op":"force-leave","node":""})") == R"(force-leave needs a "node")");
  CHECK(request_error(R"({"op":"force-leave","node":7})") == R"(force-leave "node" is not a string)");
  CHECK(request_error(R"({"op":"monitor","log_level":"loud"})") ==
        R"(monitor "log_level" must be trace, debug, info, warn or error)");
  CHECK(request_error(R"({"op":"force_leave","node":"x"})").find("unknown op") == 0);
}

TEST_CASE("protocol: info and log lines round-trip; malformed ones are refused") {
  info_reply i;
  i.sections["agent"] = {{"name", "cache-1"}, {"version", "0.1.0"}};
  i.sections["members"] = {{"alive", "3"}, {"failed", "0"}};
  const std::string line = protocol::encode_info(i);
  CHECK(line.rfind(R"({"type":"info","sections":{)", 0) == 0);
  auto back = protocol::decode_info(line);
  REQUIRE(back);
  CHECK(*back == i);
  auto as_reply = protocol::decode_reply(request_op::info, line);
  REQUIRE(as_reply);
  CHECK(std::get<info_reply>(*as_reply) == i);
  std::string err;
  CHECK_FALSE(protocol::decode_info(R"({"type":"info","sections":{"a":{"b":1}}})", &err));
  CHECK(err == R"(info "a.b" is not a string)");
  CHECK_FALSE(protocol::decode_info(R"({"type":"info"})", &err));

  log_line l{"2024-05-01T12:00:00.250Z", "WARNING", "member \"x\"\nfailed"};
  const std::string ll = protocol::encode_log(l);
  CHECK(ll == R"({"type":"log","time":"2024-05-01T12:00:00.250Z","severity":"WARNING","message":"member \"x\"\nfailed"})");
  auto lb = protocol::decode_log(ll);
  REQUIRE(lb);
  CHECK(*lb == l);
  auto lr = protocol::decode_reply(request_op::monitor, ll);
  REQUIRE(lr);
  CHECK(std::get<log_line>(*lr) == l);
  CHECK_FALSE(protocol::decode_log(R"({"type":"log"})", &err));
  // force-leave answers with a result line; an error line is an error line for every op.
  auto r = protocol::decode_reply(request_op::force_leave,
                                  protocol::encode_result({true, "cache-3 is left"}));
  REQUIRE(r);
  CHECK(std::get<result>(*r).ok);
  auto e = protocol::decode_reply(request_op::monitor, protocol::encode_error({"nope"}));
  REQUIRE(e);
  CHECK(std::get<error_reply>(*e).message == "nope");
}
