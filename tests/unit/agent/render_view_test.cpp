// agent/render_view: the Mustache view of a snapshot, its filters and escaping.
#include <doctest/doctest.h>

#include "agent/render_view.hpp"

using namespace agent;

namespace {

peerlib::peer make(const std::string& name, const std::string& addr, std::optional<std::uint16_t> cache_port,
                   const std::string& zone = "", peerlib::peer_state st = peerlib::peer_state::alive) {
  peerlib::peer p;
  p.name = name;
  p.address = addr;
  p.port = 7946;
  p.cache_port = cache_port;
  if (cache_port) p.cache_url = "http://" + addr + ":" + std::to_string(*cache_port);
  p.zone = zone;
  p.state = st;
  return p;
}

peerlib::snapshot three() {
  peerlib::snapshot s;
  s.version = 7;
  s.local_mode = false;
  // Out of order on purpose: the view sorts by name.
  s.peers = {make("c", "10.0.0.3", 11211, "zone-b", peerlib::peer_state::suspect),
             make("a", "10.0.0.1", 11211, "zone-a"), make("b", "10.0.0.2", std::nullopt, "zone-a")};
  s.peers[1].tags = {{"role", "cache"}, {"zone", "zone-a"}};
  s.self = s.peers[1];
  return s;
}

std::string render(const std::string& t, const peerlib::snapshot& s, render_filter f = {},
                   render_escape e = render_escape::none) {
  auto r = render_template(t, s, f, e);
  INFO(r.error);
  REQUIRE(r.ok);
  return r.text;
}

}  // namespace

TEST_CASE("render view: peers sorted by name, with first/last markers for separators") {
  CHECK(render("{{#peers}}{{name}}{{^last}},{{/last}}{{/peers}}", three()) == "a,b,c");
  CHECK(render("{{#peers}}{{#first}}[{{/first}}{{number}}:{{index}}{{#last}}]{{/last}}{{/peers}}",
               three()) == "[1:02:13:2]");
  CHECK(render("{{version}} {{count}} {{#has_peers}}yes{{/has_peers}} {{^local_mode}}joined{{/local_mode}}",
               three()) == "7 3 yes joined");
}

TEST_CASE("render view: each peer's fields") {
  const auto s = three();
  CHECK(render("{{#peers}}{{name}} {{address}} {{port}} {{cache_port}} {{endpoint}} {{cache_url}} "
               "{{zone}} {{state}}|{{/peers}}",
               s) ==
        "a 10.0.0.1 7946 11211 10.0.0.1:11211 http://10.0.0.1:11211 zone-a alive|"
        "b 10.0.0.2 7946    zone-a alive|"
        "c 10.0.0.3 7946 11211 10.0.0.3:11211 http://10.0.0.3:11211 zone-b suspect|");
  CHECK(render("{{#peers}}{{#is_self}}me={{name}}{{/is_self}}{{/peers}} {{self.name}} "
               "{{#self}}{{tags.role}}{{#tag_list}}{{key}}={{value}}{{^last}};{{/last}}{{/tag_list}}{{/self}}",
               s) == "me=a a cacherole=cache;zone=zone-a");
  CHECK(render("{{#others}}{{name}}{{/others}}", s) == "bc");
}

TEST_CASE("render view: IPv6 addresses get brackets in host and endpoint") {
  peerlib::snapshot s;
  s.peers = {make("v6", "2001:db8::1", 11211)};
  s.self = s.peers[0];
  CHECK(render("{{#peers}}{{address}} {{host}} {{endpoint}}{{/peers}}", s) ==
        "2001:db8::1 [2001:db8::1] [2001:db8::1]:11211");
}

TEST_CASE("render view: peers grouped by zone, zones sorted") {
  CHECK(render("{{#zones}}{{zone}}({{count}}):{{#peers}}{{name}}{{^last}},{{/last}}{{/peers}}"
               "{{^last}} {{/last}}{{/zones}}",
               three()) == "zone-a(2):a,b zone-b(1):c");
}

TEST_CASE("render view: filters") {
  const auto s = three();
  const std::string names = "{{#peers}}{{name}}{{/peers}}";
  render_filter f;
  f.live_only = true;
  CHECK(render(names, s, f) == "ab");
  f = {};
  f.cache_only = true;
  CHECK(render(names, s, f) == "ac");
  f = {};
  f.exclude_self = true;
  CHECK(render(names, s, f) == "bc");
  CHECK(render("{{self.name}}", s, f) == "a");  // self stays available
  f = {};
  f.zones = {"zone-b"};
  CHECK(render(names, s, f) == "c");
  CHECK(render("{{#zones}}{{zone}}{{/zones}}", s, f) == "zone-b");
  f = {};
  f.tags = {{"role", "cache"}};
  CHECK(render(names, s, f) == "a");
  f.tags = {{"role", "web"}};
  CHECK(render(names + "{{^peers}}none{{/peers}}{{^has_peers}}!{{/has_peers}}", s, f) == "none!");
  f = {};
  f.live_only = f.cache_only = true;
  CHECK(render(names + " {{count}}", s, f) == "a 1");
}

TEST_CASE("render view: escaping of {{values}}; {{{values}}} never escape") {
  peerlib::snapshot s;
  s.peers = {make("n", "10.0.0.1", 1)};
  s.peers[0].tags = {{"t", "a\"b<c>&\\\n"}};
  s.self = s.peers[0];
  CHECK(render("{{self.tags.t}}", s, {}, render_escape::none) == "a\"b<c>&\\\n");
  CHECK(render("{{self.tags.t}}", s, {}, render_escape::json) == "a\\\"b<c>&\\\\\\n");
  CHECK(render("{{self.tags.t}}", s, {}, render_escape::html) == "a&quot;b&lt;c&gt;&amp;\\\n");
  CHECK(render("{{{self.tags.t}}}", s, {}, render_escape::json) == "a\"b<c>&\\\n");
  CHECK(json_escape(std::string("\x01", 1)) == "\\u0001");
}

TEST_CASE("render view: a broken template is an error, not a crash") {
  CHECK(template_error("{{#peers}}{{name}}"));
  CHECK(template_error("{{name"));
  CHECK_FALSE(template_error("{{#peers}}{{name}}{{/peers}}"));
  auto r = render_template("{{#peers}}", three(), {}, render_escape::none);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.error.empty());
}
