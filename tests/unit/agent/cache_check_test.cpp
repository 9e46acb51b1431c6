// agent::cache_health on explicit time (both thresholds, each side of them, the
// start-up rule) and agent::parse_check_target (the three forms and their errors).
#include "agent/cache_check.hpp"

#include <vector>

#include <doctest/doctest.h>

using namespace agent;
using namespace std::chrono_literals;

namespace {

using clock_t_ = cache_health::clock;
const clock_t_::time_point t0{std::chrono::seconds(1000)};

/// Feed `outcomes` one second apart from `at`; returns the state after each.
std::vector<cache_state> feed(cache_health& h, std::vector<bool> outcomes,
                              clock_t_::time_point at = t0) {
  std::vector<cache_state> out;
  for (bool ok : outcomes) {
    h.result(ok, at);
    at += 1s;
    out.push_back(h.state());
  }
  return out;
}

using S = cache_state;

}  // namespace

TEST_CASE("cache_health: starts out of the lists; the first pass lists it at once") {
  cache_health h(3, 2);
  CHECK(h.state() == S::starting);
  CHECK_FALSE(h.up());
  CHECK_FALSE(h.since());
  CHECK(h.result(true, t0));  // up() changed
  CHECK(h.state() == S::up);
  CHECK(h.since() == t0);
  CHECK(h.transitions() == 1);
}

TEST_CASE(
    "cache_health: a start that keeps failing turns down after check_failures, still unlisted") {
  cache_health h(3, 2);
  CHECK_FALSE(h.result(false, t0));
  CHECK_FALSE(h.result(false, t0 + 1s));
  CHECK(h.state() == S::starting);
  CHECK_FALSE(h.result(false, t0 + 2s));  // the listing does not change: it never was listed
  CHECK(h.state() == S::down);
  CHECK(h.since() == t0 + 2s);
  CHECK(h.transitions() == 0);
  // Down now: coming back takes check_successes passes, as after any failure.
  CHECK_FALSE(h.result(true, t0 + 3s));
  CHECK(h.result(true, t0 + 4s));
  CHECK(h.up());
}

TEST_CASE("cache_health: check_failures in a row take it down, one fewer does not") {
  cache_health h(3, 2);
  h.result(true, t0);
  // Two failures, a pass, two failures: never three in a row.
  CHECK(feed(h, {false, false, true, false, false}, t0 + 1s) ==
        std::vector<S>{S::up, S::up, S::up, S::up, S::up});
  CHECK(h.failures_in_a_row() == 2);
  CHECK(h.result(false, t0 + 10s));  // the third in a row
  CHECK(h.state() == S::down);
  CHECK(h.since() == t0 + 10s);
  CHECK(h.failed() == 5);
  CHECK(h.passed() == 2);
}

TEST_CASE("cache_health: check_successes in a row bring it back, one fewer does not") {
  cache_health h(2, 3);
  h.result(true, t0);
  feed(h, {false, false}, t0 + 1s);
  REQUIRE(h.state() == S::down);
  CHECK(feed(h, {true, true, false, true, true}, t0 + 5s) ==
        std::vector<S>{S::down, S::down, S::down, S::down, S::down});
  CHECK(h.successes_in_a_row() == 2);
  CHECK(h.result(true, t0 + 20s));
  CHECK(h.state() == S::up);
  CHECK(h.since() == t0 + 20s);
  CHECK(h.transitions() == 3);  // listed at the first pass, then down, then up
}

TEST_CASE("cache_health: thresholds of 1 follow every result; 0 counts as 1") {
  cache_health h(0, 0);
  CHECK(feed(h, {true, false, true, false}) == std::vector<S>{S::up, S::down, S::up, S::down});
  CHECK(h.transitions() == 4);
  // Repeating a state is not a change.
  CHECK_FALSE(h.result(false, t0 + 10s));
}

TEST_CASE("parse_check_target: tcp, http and exec") {
  auto t = parse_check_target("tcp://127.0.0.1:11211");
  REQUIRE(t);
  CHECK(t->kind == check_kind::tcp);
  CHECK(t->host == "127.0.0.1");
  CHECK(t->port == 11211);
  CHECK(t->to_string() == "tcp://127.0.0.1:11211");

  t = parse_check_target("tcp://[::1]:11211");
  REQUIRE(t);
  CHECK(t->host == "::1");
  CHECK(t->to_string() == "tcp://[::1]:11211");

  t = parse_check_target("http://127.0.0.1:8080/healthz?deep=1");
  REQUIRE(t);
  CHECK(t->kind == check_kind::http);
  CHECK(t->port == 8080);
  CHECK(t->path == "/healthz?deep=1");

  t = parse_check_target("http://localhost");
  REQUIRE(t);
  CHECK(t->host == "localhost");
  CHECK(t->port == 80);
  CHECK(t->path == "/");

  t = parse_check_target("http://cache.internal:81?x=1#frag");
  REQUIRE(t);
  CHECK(t->path == "/?x=1");

  t = parse_check_target("exec:test -S /run/memcached.sock && echo ok");
  REQUIRE(t);
  CHECK(t->kind == check_kind::exec);
  CHECK(t->command == "test -S /run/memcached.sock && echo ok");
}

TEST_CASE("parse_check_target: what it refuses, and why") {
  auto why = [](std::string_view text) {
    std::string w;
    CHECK_FALSE(parse_check_target(text, &w));
    return w;
  };
  CHECK(why("127.0.0.1:11211").find("tcp://HOST:PORT") != std::string::npos);
  CHECK(why("udp://127.0.0.1:11211").find("tcp://HOST:PORT") != std::string::npos);
  CHECK(why("tcp://127.0.0.1").find("needs a port") != std::string::npos);
  CHECK(why("tcp://127.0.0.1:0").find("1-65535") != std::string::npos);
  CHECK(why("tcp://127.0.0.1:70000").find("1-65535") != std::string::npos);
  CHECK(why("tcp://127.0.0.1:11211/x").find("nothing else") != std::string::npos);
  CHECK(why("tcp://:11211").find("HOST") != std::string::npos);
  CHECK(why("tcp://[::1:11211").find("HOST") != std::string::npos);
  CHECK(why("http://a b/").find("space") != std::string::npos);
  CHECK(why("http://user:pw@127.0.0.1/").find("passwords") != std::string::npos);
  CHECK(why("https://127.0.0.1/").find("https is not supported") != std::string::npos);
  CHECK(why("exec:").find("needs a command") != std::string::npos);
  CHECK(why("exec:   ").find("needs a command") != std::string::npos);
  CHECK(why("").find("tcp://HOST:PORT") != std::string::npos);
}
