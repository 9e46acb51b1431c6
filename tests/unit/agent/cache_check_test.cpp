// agent::cache_health on explicit time (both thresholds, each side of them, the
// start-up rule), agent::parse_check_target (the three forms and their errors), and
// what /metrics says about the check and about members whose cache is down; the
// [cache] check keys.
#include "agent/cache_check.hpp"

#include <vector>

#include <doctest/doctest.h>

#include "agent/config.hpp"
#include "agent/metrics.hpp"
#include "config_text.hpp"
#include "agent/status.hpp"
#include "swim/tags.hpp"

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

TEST_CASE("metrics: the cache check's families only with a check; members whose cache is down") {
  status s;
  s.node_name = "a";
  auto member = [](const char* name, swim::member_state st, swim::tag_map tags) {
    swim::member m;
    m.name = name;
    m.state = st;
    m.meta = swim::encode_tags(tags);
    return m;
  };
  s.members = {member("a", swim::member_state::alive, {{"cache", "down"}}),
               member("b", swim::member_state::suspect, {{"cache", "down"}}),
               member("c", swim::member_state::alive, {{"cache", "up"}}),
               member("d", swim::member_state::dead, {{"cache", "down"}}),
               member("e", swim::member_state::alive, {})};
  auto text = render_metrics(s);
  // Live members tagged down, this node included; the dead one is not counted.
  CHECK(text.find("\ncachecluster_members_cache_down 2\n") != std::string::npos);
  CHECK(text.find("cachecluster_cache_check_up") == std::string::npos);

  s.cache.configured = true;
  s.cache.state = cache_state::up;
  s.cache.passed = 41;
  s.cache.failed = 3;
  s.cache.transitions = 3;
  text = render_metrics(s);
  CHECK(text.find("\ncachecluster_cache_check_up 1\n") != std::string::npos);
  CHECK(text.find("\ncachecluster_cache_checks_total{result=\"passed\"} 41\n") !=
        std::string::npos);
  CHECK(text.find("\ncachecluster_cache_checks_total{result=\"failed\"} 3\n") != std::string::npos);
  CHECK(text.find("\ncachecluster_cache_check_transitions_total 3\n") != std::string::npos);
  s.cache.state = cache_state::starting;  // not passed yet: out of the lists, so 0
  CHECK(render_metrics(s).find("\ncachecluster_cache_check_up 0\n") != std::string::npos);
}

namespace {

cache_config cache_of(const std::string& text) { return config_text::load(text).cfg.cache; }

std::string config_error_of(const std::string& text) {
  return config_text::error_or_accepted(text);
}

}  // namespace

TEST_CASE("config: [cache] check and its timings, defaults and errors") {
  auto c = cache_of("[cache]\nport = 11211\n");
  CHECK(c.check.empty());
  CHECK(c.check_interval == 1s);
  CHECK(c.check_timeout == 1s);
  CHECK(c.check_failures == 2);
  CHECK(c.check_successes == 2);

  c = cache_of(
      "[cache]\ncheck = tcp://127.0.0.1:11211\ncheck_interval = 200ms\n"
      "check_failures = 3\ncheck_successes = 1\n");
  CHECK(c.check == "tcp://127.0.0.1:11211");
  CHECK(c.check_interval == 200ms);
  CHECK(c.check_timeout == 200ms);  // the default timeout never exceeds the interval
  CHECK(c.check_failures == 3);
  CHECK(c.check_successes == 1);
  CHECK(cache_of("[cache]\ncheck = exec:/usr/bin/true\ncheck_timeout = 250ms\n").check_timeout ==
        250ms);

  CHECK(config_error_of("[cache]\ncheck = 127.0.0.1:11211\n") ==
        "test.ini: [cache] check = \"127.0.0.1:11211\": must be tcp://HOST:PORT, "
        "http://HOST[:PORT][/PATH] or exec:COMMAND");
  CHECK(config_error_of("[cache]\ncheck = tcp://127.0.0.1\n").find("needs a port") !=
        std::string::npos);
  CHECK(config_error_of("[cache]\ncheck = tcp://x:1\ncheck_interval = 1s\ncheck_timeout = 2s\n") ==
        "test.ini: [cache] check_timeout = \"2s\": must not exceed check_interval (1s)");
  CHECK(config_error_of("[cache]\ncheck_failures = 0\n").find("1-100") != std::string::npos);
  CHECK(config_error_of("[cache]\ncheck = tcp://x:1\n[tags]\ncache = up\n") ==
        "test.ini: [tags] cache: is reserved for the state of [cache] check while a check is set "
        "(remove the tag)");
  // Without a check the tag is the operator's: cache = down takes the node out by hand.
  CHECK(config_error_of("[tags]\ncache = down\n") == "(accepted)");
}
