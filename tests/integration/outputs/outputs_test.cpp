// The outputs room's I/O on a real io_context: commands through /bin/sh
// (stdin, environment, stderr, timeout, no inherited descriptors), the change
// hook's coalescing with a real slow command, and a [render.NAME] that writes
// its file, runs its command, and puts the previous file back when the
// command fails. Everything under a temp dir; every child is ours.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <string>

#include "agent/change_hook.hpp"
#include "agent/command_runner.hpp"
#include "agent/renderer.hpp"
#include "support/process.hpp"

using namespace agent;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

command_result run(const command_spec& spec) {
  boost::asio::io_context io;
  command_runner runner(io);
  command_result got;
  bool called = false;
  runner.run(spec, [&](command_result r) {
    got = std::move(r);
    called = true;
  });
  CHECK(runner.busy());
  io.run();
  CHECK(called);
  CHECK_FALSE(runner.busy());
  return got;
}

peerlib::snapshot snap(std::uint64_t version, std::vector<std::string> names) {
  peerlib::snapshot s;
  s.version = version;
  s.local_mode = false;
  for (std::size_t i = 0; i < names.size(); ++i) {
    peerlib::peer p;
    p.name = names[i];
    p.address = "10.0.0." + std::to_string(i + 1);
    p.cache_port = 11211;
    p.cache_url = "http://" + p.address + ":11211";
    s.peers.push_back(p);
  }
  if (!s.peers.empty()) s.self = s.peers[0];
  return s;
}

}  // namespace

TEST_CASE("command runner: stdin, environment, stdout and stderr, exit status") {
  command_spec spec;
  spec.command = "cat; echo \"$CC_TEST_VAR\"; echo oops >&2; exit 3";
  spec.input = "hello\n";
  spec.env = {{"CC_TEST_VAR", "from the agent"}};
  auto r = run(spec);
  CHECK(r.result == command_result::outcome::failed);
  CHECK(r.exit_code == 3);
  CHECK(r.out == "hello\nfrom the agent");
  CHECK(r.err == "oops");
  CHECK(r.describe() == "exit 3");

  spec.command = "true";
  auto ok = run(spec);
  CHECK(ok.ok());
  CHECK(ok.describe() == "exit 0");
}

TEST_CASE("command runner: a timeout kills the command's whole process group") {
  test_support::temp_dir dir("cc-cmd");
  command_spec spec;
  // The background sleep is in the same group: it must die too, or `late` would appear.
  spec.command = "(sleep 2; touch " + (dir / "late").string() + ") & sleep 30";
  spec.timeout = 300ms;
  auto r = run(spec);
  CHECK(r.result == command_result::outcome::timed_out);
  CHECK(r.signal == SIGKILL);
  CHECK(r.describe() == "timed out after 300ms, killed");
  ::sleep(3);
  CHECK_FALSE(fs::exists(dir / "late"));
}

TEST_CASE("command runner: the child inherits no descriptor of the agent's but 0, 1 and 2") {
  int fd = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, on purpose
  REQUIRE(fd >= 0);
  int extra = fd == 3 ? ::open("/dev/null", O_RDONLY) : -1;
  const int probe = extra >= 0 ? extra : fd;
  command_spec spec;
  spec.command = "test -e /proc/self/fd/" + std::to_string(probe) + " && echo leaked || echo closed";
  auto r = run(spec);
  ::close(fd);
  if (extra >= 0) ::close(extra);
  CHECK(r.out == "closed");
}

TEST_CASE("command runner: a command that cannot start is reported, not thrown") {
  command_spec spec;
  spec.command = "/nonexistent/program";
  auto r = run(spec);
  CHECK(r.result == command_result::outcome::failed);
  CHECK(r.exit_code == 127);  // the shell's "not found"
  CHECK(r.err.find("/nonexistent/program") != std::string::npos);
}

TEST_CASE("change hook: a burst while the command runs gives one more run, with the latest") {
  test_support::temp_dir dir("cc-hook");
  boost::asio::io_context io;
  hooks_config cfg;
  const std::string d = dir.path().string();
  cfg.on_change = "cat > " + d + "/stdin-$CACHECLUSTER_VERSION; echo \"$CACHECLUSTER_ADDED|"
                  "$CACHECLUSTER_REMOVED\" > " + d + "/env-$CACHECLUSTER_VERSION; sleep 0.5";
  change_hook hook(io, cfg);
  hook.published(snap(1, {"a", "b"}));
  // While version 1 runs: four more snapshots.
  hook.published(snap(2, {"a"}));
  hook.published(snap(3, {"a", "c"}));
  hook.published(snap(4, {"a", "c", "d"}));
  hook.published(snap(5, {"a", "d", "e"}));
  io.run();
  CHECK(fs::exists(dir / "stdin-1"));
  CHECK(fs::exists(dir / "stdin-5"));
  for (int v : {2, 3, 4}) CHECK_FALSE(fs::exists(dir / ("stdin-" + std::to_string(v))));
  CHECK(test_support::read_file(dir / "env-1") == "a b|\n");
  CHECK(test_support::read_file(dir / "env-5") == "d e|b\n");  // against what run 1 saw
  auto line = test_support::read_file(dir / "stdin-5");
  auto decoded = peerlib::protocol::decode_snapshot(line.substr(0, line.find('\n')));
  REQUIRE(decoded);
  CHECK(decoded->version == 5);
  CHECK(decoded->peers.size() == 3);
  auto s = hook.stats();
  CHECK(s.ok == 2);
  CHECK(s.failed == 0);
  CHECK(s.coalesced == 3);
}

TEST_CASE("change hook: failures and timeouts are counted, and the next change runs again") {
  boost::asio::io_context io;
  hooks_config cfg;
  cfg.on_change = "test \"$CACHECLUSTER_VERSION\" != 1 || exit 7; test \"$CACHECLUSTER_VERSION\" != 2 || sleep 10";
  cfg.timeout = 1s;
  change_hook hook(io, cfg);
  hook.published(snap(1, {"a"}));
  io.run();
  io.restart();
  hook.published(snap(2, {"a"}));
  io.run();
  io.restart();
  hook.published(snap(3, {"a"}));
  io.run();
  auto s = hook.stats();
  CHECK(s.failed == 1);
  CHECK(s.timed_out == 1);
  CHECK(s.ok == 1);
}

TEST_CASE("renderer: writes on change, runs the command, restores the old file on failure") {
  test_support::temp_dir dir("cc-render");
  const auto tmpl = dir / "t.mustache";
  const auto dest = dir / "out.conf";
  const auto log = dir / "commands.log";
  test_support::write_file(tmpl, "{{#peers}}{{name}}{{^last}},{{/last}}{{/peers}}\n");
  render_config cfg;
  cfg.name = "test";
  cfg.template_path = tmpl.string();
  cfg.destination = dest.string();
  cfg.mode = 0640;
  // The command fails when the file lists "bad".
  cfg.command = "echo \"$CACHECLUSTER_RENDER $CACHECLUSTER_VERSION\" >> " + log.string() +
                "; ! grep -q bad \"$CACHECLUSTER_DESTINATION\"";
  boost::asio::io_context io;
  renderer r(io, cfg);
  auto step = [&](const peerlib::snapshot& s) {
    r.published(s);
    io.restart();
    io.run();
  };

  step(snap(1, {"a", "b"}));
  CHECK(test_support::read_file(dest) == "a,b\n");
  CHECK(test_support::read_file(log) == "test 1\n");

  // Same view: nothing written, no command.
  step(snap(2, {"a", "b"}));
  CHECK(test_support::read_file(log) == "test 1\n");
  CHECK(r.stats().unchanged == 1);

  // The command fails: the previous file is put back.
  step(snap(3, {"a", "bad"}));
  CHECK(test_support::read_file(log) == "test 1\ntest 3\n");
  CHECK(test_support::read_file(dest) == "a,b\n");
  CHECK(r.stats().command_failures == 1);
  CHECK(r.stats().restored == 1);

  // A broken template: the file stays, counted as failed; fixed, the next change renders.
  test_support::write_file(tmpl, "{{#peers}}");
  step(snap(4, {"a", "c"}));
  CHECK(test_support::read_file(dest) == "a,b\n");
  CHECK(r.stats().failed == 1);
  test_support::write_file(tmpl, "{{#peers}}{{name}};{{/peers}}\n");
  step(snap(5, {"a", "c"}));
  CHECK(test_support::read_file(dest) == "a;c;\n");
  CHECK(test_support::read_file(log) == "test 1\ntest 3\ntest 5\n");

  const auto& st = r.stats();
  CHECK(st.written == 3);  // 1, 3 (then put back), 5
  CHECK(st.commands == 3);
  CHECK(st.command_failures == 1);
}
