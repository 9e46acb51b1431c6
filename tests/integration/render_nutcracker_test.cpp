// [render.NAME] end to end, with Debian's programs on 127.0.14.x: three memcached
// servers, three agents, and one nutcracker (twemproxy) whose config n1 renders
// from the shipped examples/templates/nutcracker.yml.mustache and whose render
// command restarts it. Keys go through nutcracker; a kill -9 of n3's agent and
// memcached must give exactly one re-render and one restart, after which every
// key works again on the survivors. Prints how long routing around took.
//
// Only processes this test started are signalled: the agents and memcached by
// their pid, nutcracker by the pid file the test's restart script writes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent_cluster.hpp"

using namespace integ;

namespace {

const std::filesystem::path templates =
    std::filesystem::path(CACHECLUSTER_GOLDEN_DIR) / ".." / ".." / "examples" / "templates";
constexpr const char* proxy_ip = "127.0.14.1";
constexpr std::uint16_t proxy_port = 22131;
constexpr std::uint16_t memcached_port = 11311;

std::string find_program(const std::string& program) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    auto p = std::filesystem::path(dir) / program;
    if (std::filesystem::exists(p)) return p.string();
  }
  return {};
}

/// One memcached text-protocol exchange on a fresh connection; "" on any failure.
std::string memcached_call(const std::string& ip, std::uint16_t port, const std::string& request,
                           const std::string& until) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    while (reply.find(until) == std::string::npos && reply.find("ERROR") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

bool set_key(const std::string& ip, std::uint16_t port, const std::string& k, const std::string& v) {
  return memcached_call(ip, port,
                        "set " + k + " 0 0 " + std::to_string(v.size()) + "\r\n" + v + "\r\n",
                        "\r\n") == "STORED\r\n";
}

std::optional<std::string> get_key(const std::string& ip, std::uint16_t port, const std::string& k) {
  auto r = memcached_call(ip, port, "get " + k + "\r\n", "END\r\n");
  if (r == "END\r\n") return std::string();  // a miss
  auto head = "VALUE " + k + " 0 ";
  if (!r.starts_with(head)) return std::nullopt;
  auto start = r.find("\r\n") + 2;
  auto end = r.find("\r\nEND\r\n", start);
  if (end == std::string::npos) return std::nullopt;
  return r.substr(start, end - start);
}

/// Every key settable and readable back through the proxy.
bool all_keys_work(int round, int keys = 60) {
  for (int i = 0; i < keys; ++i) {
    const std::string k = "key-" + std::to_string(i), v = "v" + std::to_string(round) + "-" + k;
    if (!set_key(proxy_ip, proxy_port, k, v) || get_key(proxy_ip, proxy_port, k) != v) return false;
  }
  return true;
}

std::vector<std::string> lines_of(const std::filesystem::path& p) {
  std::vector<std::string> out;
  std::istringstream in(test_support::read_file(p));
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

/// Kills the nutcracker the restart script last started (its pid file), at scope exit.
struct nutcracker_guard {
  std::filesystem::path pid_file;
  ~nutcracker_guard() {
    auto text = test_support::read_file(pid_file);
    int pid = std::atoi(text.c_str());
    if (pid > 1) ::kill(pid, SIGKILL);
  }
};

}  // namespace

TEST_CASE("render: twemproxy follows the cluster; a kill -9 gives one re-render and one restart") {
  const std::string nutcracker = find_program("nutcracker");
  const std::string memcached = find_program("memcached");
  if (nutcracker.empty() || memcached.empty()) {
    MESSAGE("nutcracker or memcached is not installed: skipping the twemproxy test");
    return;
  }
  test_support::temp_dir dir("cc-nut");
  const std::string d = dir.path().string();
  nutcracker_guard guard{dir / "nutcracker.pid"};

  // The render command: stop the nutcracker it started last (its pid file), check the new
  // config, start a new one daemonized. One line per restart, with the servers it got.
  const auto script = dir / "restart-nutcracker.sh";
  test_support::write_file(
      script,
      "#!/bin/sh\nset -e\npidfile=" + d + "/nutcracker.pid\n"
      "if [ -s \"$pidfile\" ]; then\n  old=$(cat \"$pidfile\")\n  kill \"$old\" 2>/dev/null || true\n"
      // Gone, or a zombie nobody reaped yet (its listening socket is closed either way).
      "  i=0\n  while [ $i -lt 200 ] && [ -e /proc/$old ] &&\n"
      "        [ \"$(cut -d' ' -f3 /proc/$old/stat 2>/dev/null)\" != Z ]; do sleep 0.02; i=$((i+1)); done\n"
      "  rm -f \"$pidfile\"\nfi\n" +
      nutcracker + " -t -c \"$CACHECLUSTER_DESTINATION\" >/dev/null 2>&1\n" +
      "echo \"restart $(grep -c ' - ' \"$CACHECLUSTER_DESTINATION\") servers\" >> " + d + "/restarts.log\n" +
      "exec " + nutcracker + " -d -c \"$CACHECLUSTER_DESTINATION\" -p \"$pidfile\" -o " + d +
      "/nutcracker.log -a 127.0.14.1 -s 22132\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);

  std::vector<process> caches;
  for (int i = 1; i <= 3; ++i) {
    std::vector<std::string> argv = {memcached, "-l", "127.0.14." + std::to_string(i), "-p",
                                     std::to_string(memcached_port), "-U", "0"};
    if (::geteuid() == 0) argv.insert(argv.end(), {"-u", "root"});
    caches.emplace_back(argv, dir / ("memcached-" + std::to_string(i) + ".log"));
  }

  const auto dest = dir / "nutcracker.yml";
  for (int i = 1; i <= 3; ++i) {
    std::string ini = "[cache]\nport = " + std::to_string(memcached_port) + "\n";
    if (i == 1) {
      ini += "[tags]\ntwemproxy_listen = " + std::string(proxy_ip) + ":" + std::to_string(proxy_port) +
             "\n[render.twemproxy]\ntemplate = " + (templates / "nutcracker.yml.mustache").string() +
             "\ndestination = " + dest.string() + "\ncache_only = true\ncommand = " + script.string() +
             "\ncommand_timeout = 20s\n";
    }
    test_support::write_file(dir / ("n" + std::to_string(i) + ".ini"), ini);
  }
  std::vector<std::unique_ptr<agent_proc>> agents;
  for (int i = 1; i <= 3; ++i) {
    agent_spec spec;
    spec.name = "n" + std::to_string(i);
    spec.ip = "127.0.14." + std::to_string(i);
    spec.config = (dir / ("n" + std::to_string(i) + ".ini")).string();
    if (i > 1) spec.join = {"127.0.14.1:7946"};
    agents.push_back(std::make_unique<agent_proc>(dir, spec));
    require_up(*agents.back());
  }
  auto& n1 = *agents[0];

  // The file lists all three, and the nutcracker running is the one started with it.
  bool three = test_support::wait_until(
      [&] {
        auto l = lines_of(dir / "restarts.log");
        return !l.empty() && l.back() == "restart 3 servers" &&
               !test_support::read_file(dir / "nutcracker.pid").empty() && all_keys_work(0, 5);
      },
      timeout);
  INFO(describe(n1));
  INFO("nutcracker.yml:\n" << test_support::read_file(dest));
  INFO("restarts.log:\n" << test_support::read_file(dir / "restarts.log"));
  REQUIRE(three);
  REQUIRE(all_keys_work(1));
  // Keys are spread over the three servers.
  int on_n3 = 0;
  for (int i = 0; i < 60; ++i)
    if (get_key("127.0.14.3", memcached_port, "key-" + std::to_string(i)).value_or("") != "") ++on_n3;
  CHECK(on_n3 > 0);
  CHECK(on_n3 < 60);

  const auto restarts_before = lines_of(dir / "restarts.log").size();
  const std::string written = "cachecluster_render_total{name=\"twemproxy\",result=\"written\"}";
  const double written_before = metric(n1.http("/metrics").body, written);
  REQUIRE(written_before >= 1);

  // kill -9 of n3's agent and its memcached, as when its VM dies.
  const auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(agents[2]->proc().signal(SIGKILL));
  REQUIRE(caches[2].signal(SIGKILL));
  int round = 2;
  bool routed = test_support::wait_until([&] { return all_keys_work(round++); }, timeout);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  INFO(describe(n1));
  INFO("restarts.log:\n" << test_support::read_file(dir / "restarts.log"));
  REQUIRE(routed);
  MESSAGE("kill -9 of n3 to every key working through nutcracker again: " << seconds << " s");

  // Give a second re-render or restart time to show up, if there were one.
  std::this_thread::sleep_for(3s);
  auto restarts = lines_of(dir / "restarts.log");
  CHECK(restarts.size() == restarts_before + 1);
  CHECK(restarts.back() == "restart 2 servers");
  auto body = n1.http("/metrics").body;
  CHECK(metric(body, written) == written_before + 1);
  CHECK(metric(body, "cachecluster_render_command_failures_total{name=\"twemproxy\"}") == 0);
  auto yml = test_support::read_file(dest);
  CHECK(yml.find(" n3\n") == std::string::npos);
  CHECK(yml.find(" n1\n") != std::string::npos);
  CHECK(yml.find(" n2\n") != std::string::npos);
  CHECK(all_keys_work(round));
}

TEST_CASE("render: cachecluster render prints a template with a live view or a saved snapshot") {
  test_support::temp_dir dir("cc-rcli");
  const std::string tmpl = (dir / "t.mustache").string();
  test_support::write_file(tmpl, "{{#peers}}{{name}}={{endpoint}}{{^last}},{{/last}}{{/peers}}\n");
  test_support::write_file(dir / "n1.ini", "[cache]\nport = 11311\n");
  agent_spec spec;
  spec.name = "n1";
  spec.ip = "127.0.14.21";
  spec.config = (dir / "n1.ini").string();
  agent_proc a(dir, spec);
  require_up(a);
  auto r = a.cli({"render", "--template", tmpl});
  INFO(r.err);
  CHECK(r.exit == 0);
  CHECK(r.out == "n1=127.0.14.21:11311\n");

  auto watch = a.cli({"render", "--template", tmpl, "--exclude-self"});
  CHECK(watch.out == "\n");

  test_support::write_file(
      dir / "snap.json",
      R"({"type":"snapshot","protocol":1,"version":3,"local_mode":false,)"
      R"("self":{"name":"a","address":"10.0.0.1","cache_port":80},)"
      R"("peers":[{"name":"a","address":"10.0.0.1","cache_port":80},{"name":"b","address":"10.0.0.2"}]})");
  auto off = test_support::run_cli({binary(), "render", "-t", tmpl, "--snapshot",
                                    (dir / "snap.json").string()});
  CHECK(off.exit == 0);
  CHECK(off.out == "a=10.0.0.1:80,b=\n");
  auto cached = test_support::run_cli({binary(), "render", "-t", tmpl, "--snapshot",
                                       (dir / "snap.json").string(), "--cache-only"});
  CHECK(cached.out == "a=10.0.0.1:80\n");

  test_support::write_file(dir / "bad.mustache", "{{#peers}}");
  auto bad = test_support::run_cli({binary(), "render", "-t", (dir / "bad.mustache").string(),
                                    "--snapshot", (dir / "snap.json").string()});
  CHECK(bad.exit == 1);
  CHECK(bad.err.find("not a valid Mustache template") != std::string::npos);
  auto none = test_support::run_cli({binary(), "render", "-t", tmpl, "--socket", (dir / "none.sock").string()});
  CHECK(none.exit == 1);
}

TEST_CASE("hooks: the agent runs on_change with each new peer list, names of who came and went") {
  test_support::temp_dir dir("cc-hook");
  const std::string d = dir.path().string();
  // One line per run: version, added, removed, and how many peers its stdin listed.
  test_support::write_file(
      dir / "n1.ini",
      "[hooks]\non_change = echo \"$CACHECLUSTER_VERSION|$CACHECLUSTER_ADDED|$CACHECLUSTER_REMOVED|"
      "$(grep -o '\"name\"' | wc -l)\" >> " + d + "/runs.log\n");
  agent_spec s1;
  s1.name = "n1";
  s1.ip = "127.0.14.31";
  s1.config = (dir / "n1.ini").string();
  agent_proc a1(dir, s1);
  require_up(a1);
  agent_spec s2;
  s2.name = "n2";
  s2.ip = "127.0.14.32";
  s2.join = {"127.0.14.31:7946"};
  auto a2 = std::make_unique<agent_proc>(dir, s2);
  require_up(*a2);
  auto ran = [&](const std::string& part) {
    return test_support::read_file(dir / "runs.log").find(part) != std::string::npos;
  };
  // The first run sees n1 alone (self is named in "self" and in "peers": 2 names), then n2 joins.
  bool joined = test_support::wait_until([&] { return ran("|n2||"); }, timeout);
  INFO("runs.log:\n" << test_support::read_file(dir / "runs.log"));
  INFO(describe(a1));
  REQUIRE(joined);
  CHECK(ran("|n1||2\n"));
  a2->proc().signal(SIGTERM);  // a graceful leave
  bool left = test_support::wait_until([&] { return ran("||n2|2\n"); }, timeout);
  CHECK(left);
  auto body = a1.http("/metrics").body;
  CHECK(metric(body, "cachecluster_hook_runs_total{result=\"ok\"}") >= 3);
  CHECK(metric(body, "cachecluster_hook_runs_total{result=\"failed\"}") == 0);
}
