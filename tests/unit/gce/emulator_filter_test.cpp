// gce-emulator's Compute filter language (gce/emulator/filter.hpp) and the
// request-target helpers it is fed through (gce/emulator/url.hpp).

#include "gce/emulator/filter.hpp"
#include "gce/emulator/url.hpp"

#include <doctest/doctest.h>

namespace emu = gce::emulator;

namespace {

emu::emu_instance vm() {
  emu::emu_instance in;
  in.name = "cache-1";
  in.zone = "us-central1-a";
  in.id = "9300000000000000042";
  in.status = "RUNNING";
  in.tags = {"peer", "http-server"};
  in.labels = {{"app", "cache"}, {"env", "prod"}};
  in.metadata = {{"cluster", "a"}};
  return in;
}

/// Whether `filter` matches vm(); fails the test if the filter is invalid.
bool match(std::string_view filter) {
  const emu::filter_result r = emu::evaluate_filter(filter, vm());
  INFO("filter: " << filter << " error: " << r.error);
  REQUIRE(r.valid);
  return r.match;
}

/// The error of an invalid filter; fails the test if the filter is valid.
std::string error_of(std::string_view filter, const emu::emu_instance& in = vm()) {
  const emu::filter_result r = emu::evaluate_filter(filter, in);
  INFO("filter: " << filter);
  REQUIRE_FALSE(r.valid);
  CHECK_FALSE(r.match);
  return r.error;
}

}  // namespace

TEST_CASE("emulator filter: the empty filter matches everything") {
  CHECK(match(""));
  emu::emu_instance bare;
  CHECK(emu::evaluate_filter("", bare).match);
}

TEST_CASE("emulator filter: = and != compare whole values, quoted or bare") {
  CHECK(match("status = RUNNING"));
  CHECK(match("status=\"RUNNING\""));
  CHECK(match("   status   =   RUNNING   "));
  CHECK_FALSE(match("status = running"));  // values are case-sensitive
  CHECK_FALSE(match("status = RUN"));      // no prefix match
  CHECK(match("name = cache-1"));
  CHECK(match("zone = us-central1-a"));
  CHECK(match("id = \"9300000000000000042\""));
  CHECK_FALSE(match("id = 42"));
  CHECK(match("status != TERMINATED"));
  CHECK_FALSE(match("status != RUNNING"));
  CHECK(match(R"(name = "cache\-1")"));    // a backslash escapes the next character
  auto quoted = vm();
  quoted.name = "a\"b";
  CHECK(emu::evaluate_filter(R"(name = "a\"b")", quoted).match);
}

TEST_CASE("emulator filter: labels, present or missing") {
  CHECK(match("labels.app = cache"));
  CHECK_FALSE(match("labels.app = web"));
  CHECK(match("labels.env != dev"));
  CHECK_FALSE(match("labels.missing = x"));  // a missing label equals nothing...
  CHECK(match("labels.missing != x"));       // ...and differs from everything
  CHECK(match("labels.app:*"));              // :* = the label is present
  CHECK_FALSE(match("labels.missing:*"));
  CHECK(match("labels.app:ach"));            // : = contains
  CHECK_FALSE(match("labels.app:web"));
}

TEST_CASE("emulator filter: : is contains, :* is presence") {
  CHECK(match("name:cache"));
  CHECK(match("name:-1"));
  CHECK_FALSE(match("name:web"));
  CHECK(match("name:*"));
  CHECK(match("zone:central"));
}

TEST_CASE("emulator filter: eq and ne match the whole value against a regex") {
  CHECK(match("name eq cache-.*"));
  CHECK(match("name eq \"cache-[0-9]+\""));
  CHECK_FALSE(match("name eq cache"));  // a full match, not a search
  CHECK_FALSE(match("name ne cache-.*"));
  CHECK(match("name ne web-.*"));
  CHECK(match("labels.app eq ca.he"));
  CHECK_FALSE(match("labels.missing eq .*"));  // no field, no match
  CHECK(match("labels.missing ne .*"));
}

TEST_CASE("emulator filter: tags.items is list membership") {
  CHECK(match("tags.items = peer"));
  CHECK(match("tags.items:http-server"));
  CHECK(match("tags.items eq http-server"));
  CHECK_FALSE(match("tags.items = http"));  // members, not substrings
  CHECK_FALSE(match("tags.items != peer"));
  CHECK(match("tags.items ne web"));
}

TEST_CASE("emulator filter: AND, juxtaposition, OR, NOT and parentheses") {
  CHECK(match(R"((status = "RUNNING") AND (labels.app = "cache"))"));  // what gce::server_filter sends
  CHECK_FALSE(match(R"((status = "RUNNING") AND (labels.app = "web"))"));
  CHECK(match("status = RUNNING labels.app = cache"));  // juxtaposition is AND
  CHECK_FALSE(match("status = RUNNING labels.app = web"));
  CHECK(match("name = web OR name = cache-1"));
  CHECK_FALSE(match("name = web OR name = db"));
  CHECK(match("NOT name = web"));
  CHECK_FALSE(match("NOT name = cache-1"));
  CHECK(match("NOT (name = web OR status = TERMINATED)"));
  CHECK(match("NOT(name = web)"));
  CHECK(match("((name = cache-1))"));
}

TEST_CASE("emulator filter: OR binds tighter than AND, as AIP-160 says") {
  // (name = cache-1 OR status = RUNNING) AND labels.app = web: false. With the
  // usual C precedence it would read name = cache-1 OR (...) and be true.
  CHECK_FALSE(match("name = cache-1 OR status = RUNNING AND labels.app = web"));
  CHECK_FALSE(match("name = cache-1 OR status = RUNNING labels.app = web"));
  CHECK(match("labels.app = web OR name = cache-1 AND status = RUNNING"));
}

TEST_CASE("emulator filter: keywords are upper case and stand alone") {
  // "and" is no keyword: it is read as a field without an operator.
  CHECK(error_of("status = RUNNING and name = x") == "expected an operator after and");
  // NOTname is a field name, not NOT name.
  CHECK(error_of("NOTname = x") == "unknown field NOTname");
  // A value ends at white space or ')': "RUNNINGOR" is one value.
  CHECK_FALSE(match("status = RUNNINGOR name = cache-1"));
}

TEST_CASE("emulator filter: bad filters are invalid, with the reason") {
  CHECK(error_of("foo = bar") == "unknown field foo");
  CHECK(error_of("metadata.items.cluster = a") == "metadata is not filterable");
  CHECK(error_of("metadata = a") == "metadata is not filterable");
  CHECK(error_of("status") == "expected an operator after status");
  CHECK(error_of("name < x") == "expected an operator after name");
  CHECK(error_of("status =") == "expected a value");
  CHECK(error_of("= RUNNING") == "expected a field");
  CHECK(error_of("(status = RUNNING") == "missing )");
  CHECK(error_of("status = RUNNING)") == "trailing input");
  CHECK(error_of("name = \"open") == "unterminated string");
  CHECK(error_of("status = RUNNING AND") == "expected a field");
  CHECK(error_of("name eq \"[\"") == "bad regex [");
  // Every term is evaluated: an unknown field after a false term still fails.
  CHECK(error_of("name = web AND foo = bar") == "unknown field foo");
  CHECK(error_of("name = cache-1 OR foo = bar") == "unknown field foo");
}

TEST_CASE("emulator filter: a bad regex is only noticed when the field exists") {
  CHECK_FALSE(match("labels.missing eq \"[\""));
  CHECK(error_of("labels.app eq \"[\"") == "bad regex [");
}

TEST_CASE("emulator url: target, query and path helpers") {
  const auto t = emu::split_target("/a/b?x=1&y=2");
  CHECK(t.path == "/a/b");
  CHECK(t.query == "x=1&y=2");
  CHECK(emu::split_target("/a").query.empty());
  CHECK(emu::split_target("/a?").query.empty());

  CHECK(emu::url_decode("a%20b+c%3D") == "a b c=");
  CHECK(emu::url_decode("100%") == "100%");      // no digits: kept
  CHECK(emu::url_decode("%zz%4") == "%zz%4");
  CHECK(emu::url_decode("%ff") == "\xff");

  const auto q = emu::parse_query("filter=status%20%3D%20RUNNING&maxResults=2&flag&&x=1&x=2");
  CHECK(q.at("filter") == "status = RUNNING");
  CHECK(q.at("maxResults") == "2");
  CHECK(q.at("flag").empty());
  CHECK(q.at("x") == "2");  // the last repetition wins
  CHECK(q.size() == 4);

  const auto p = emu::split_path("//compute/v1//projects/p/");
  REQUIRE(p.size() == 4);
  CHECK(p[0] == "compute");
  CHECK(p[3] == "p");
  CHECK(emu::split_path("/").empty());
}
