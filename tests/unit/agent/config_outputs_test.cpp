// [render.NAME] and [hooks]: values, defaults, and the errors check-config gives.
#include <doctest/doctest.h>

#include <string>

#include "agent/config.hpp"
#include "config_text.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;

namespace {

struct files {
  test_support::temp_dir dir{"cc-render-cfg"};
  std::string tmpl = (dir / "t.mustache").string();
  std::string dest = (dir / "out.conf").string();
  files() { test_support::write_file(tmpl, "{{#peers}}{{name}}\n{{/peers}}"); }
};

}  // namespace

using config_text::contains;
using config_text::error_of;
using config_text::load;

TEST_CASE("config: [render.NAME] sections with every key") {
  files f;
  auto loaded = load("[render.twemproxy]\ntemplate = " + f.tmpl + "\ndestination = " + f.dest +
                     "\nmode = 0640\ncommand = systemctl restart nutcracker\ncommand_timeout = 5s\n"
                     "wait = 2s:10s\nescape = json\nlive_only = true\ncache_only = yes\n"
                     "exclude_self = on\nzones = us-a, us-b\ntags = role=cache\n"
                     "restore_on_failure = false\n"
                     "[render.other]\ntemplate = " + f.tmpl + "\ndestination = " + f.dest + "2\n"
                     "wait = 1s\n[hooks]\non_change = /usr/local/bin/peers-changed\ntimeout = 10s\n");
  CHECK(loaded.warnings.empty());
  const auto& c = loaded.cfg;
  REQUIRE(c.renders.size() == 2);
  const auto& r = c.renders[0];
  CHECK(r.name == "twemproxy");
  CHECK(r.template_path == f.tmpl);
  CHECK(r.destination == f.dest);
  CHECK(r.mode == 0640u);
  CHECK(r.command == "systemctl restart nutcracker");
  CHECK(r.command_timeout == 5s);
  CHECK(r.wait_min == 2s);
  CHECK(r.wait_max == 10s);
  CHECK(r.escape == agent::render_escape::json);
  CHECK(r.filter.live_only);
  CHECK(r.filter.cache_only);
  CHECK(r.filter.exclude_self);
  CHECK(r.filter.zones == std::vector<std::string>{"us-a", "us-b"});
  REQUIRE(r.filter.tags.size() == 1);
  CHECK(r.filter.tags[0] == std::pair<std::string, std::string>{"role", "cache"});
  CHECK_FALSE(r.restore_on_failure);
  const auto& o = c.renders[1];
  CHECK(o.name == "other");
  CHECK(o.wait_min == 1s);
  CHECK(o.wait_max == 4s);  // MIN alone: MAX = 4 x MIN
  CHECK_FALSE(o.mode);
  CHECK(o.command.empty());
  CHECK(o.restore_on_failure);
  CHECK(c.hooks.on_change == "/usr/local/bin/peers-changed");
  CHECK(c.hooks.timeout == 10s);
}

TEST_CASE("config: no [render.*] or [hooks]: nothing rendered, no hook") {
  auto c = load("").cfg;
  CHECK(c.renders.empty());
  CHECK(c.hooks.on_change.empty());
  CHECK(c.hooks.timeout == 30s);
}

TEST_CASE("config: [render.NAME] errors name the file, section, key and what is allowed") {
  files f;
  const std::string ok = "template = " + f.tmpl + "\ndestination = " + f.dest + "\n";
  CHECK(contains(error_of("[render]\n" + ok), "[render]: a render section needs a name"));
  CHECK(contains(error_of("[render.Bad Name]\n" + ok), "lower-case letters"));
  CHECK(contains(error_of("[render.x]\ndestination = " + f.dest + "\n"),
                 "test.ini: [render.x] template: is required"));
  CHECK(contains(error_of("[render.x]\ntemplate = t.mustache\ndestination = " + f.dest + "\n"),
                 "must be an absolute path"));
  CHECK(contains(error_of("[render.x]\ntemplate = /nonexistent/t\ndestination = " + f.dest + "\n"),
                 "[render.x] template = \"/nonexistent/t\": no such file"));
  test_support::write_file(f.tmpl, "{{#peers}}{{name}}");
  CHECK(contains(error_of("[render.x]\n" + ok), "not a valid Mustache template"));
  test_support::write_file(f.tmpl, "{{#peers}}{{name}}{{/peers}}");
  CHECK(contains(error_of("[render.x]\ntemplate = " + f.tmpl + "\n"),
                 "[render.x] destination: is required"));
  CHECK(contains(error_of("[render.x]\ntemplate = " + f.tmpl + "\ndestination = /nonexistent/x.conf\n"),
                 "its directory /nonexistent does not exist"));
  CHECK(contains(error_of("[render.x]\ntemplate = " + f.tmpl + "\ndestination = " +
                          f.dir.path().string() + "\n"),
                 "is a directory"));
  CHECK(contains(error_of("[render.x]\n" + ok + "wait = 10s:2s\n"),
                 "[render.x] wait = \"10s:2s\": must be MIN or MIN:MAX"));
  CHECK(contains(error_of("[render.x]\n" + ok + "wait = soon\n"), "must be MIN or MIN:MAX"));
  CHECK(contains(error_of("[render.x]\n" + ok + "mode = 0999\n"), "octal file mode"));
  CHECK(contains(error_of("[render.x]\n" + ok + "escape = xml\n"), "none, json, html"));
  CHECK(contains(error_of("[render.x]\n" + ok + "live_only = maybe\n"), "true or false"));
  CHECK(contains(error_of("[render.x]\n" + ok + "tags = role\n"), "KEY=VALUE"));
  CHECK(contains(error_of("[render.x]\n" + ok + "command_timeout = 0\n"), "between 1s and"));
  CHECK(contains(error_of("[render.x]\n" + ok + "[render.y]\n" + ok),
                 "another [render.*] writes it too"));
  CHECK(contains(error_of("[hooks]\ntimeout = 2h\n"), "[hooks] timeout"));
}

TEST_CASE("config: a misspelt key of [render.NAME] or [hooks] is reported with a hint") {
  files f;
  auto report = [&](const std::string& text) {
    // Unknown keys are warnings or errors, depending on the section's kind; either names it.
    try {
      auto loaded = load(text);
      std::string all;
      for (const auto& w : loaded.warnings) all += w + "\n";
      return all;
    } catch (const agent::config_error& e) {
      return std::string(e.what());
    }
  };
  CHECK(contains(report("[render.x]\ntemplate = " + f.tmpl + "\ndestination = " + f.dest +
                        "\ncomand = x\n"),
                 "[render.x] comand: unknown key"));
  CHECK(contains(report("[render.x]\ntemplate = " + f.tmpl + "\ndestination = " + f.dest +
                        "\ncomand = x\n"),
                 "did you mean command?"));
  CHECK(contains(report("[hooks]\non_chnage = y\n"), "[hooks] on_chnage: unknown key"));
}
