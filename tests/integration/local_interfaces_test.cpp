// Integration tests of the agent's local interfaces, on 127.0.8.x: who may use which
// control-socket op (SO_PEERCRED: join and leave need root or the agent's uid, members is
// open to the socket's group), the cap on control-socket sessions ([publish] max_sessions),
// and a second agent on a gossip address that is taken.
//
// The authorisation tests run the CLI (and, in one test, the agent) as other uids with
// util-linux's setpriv, so they need root; without it they say so and pass.

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <optional>
#include <thread>

#include "integration/agent_cluster.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

std::string ip(int i) { return "127.0.8." + std::to_string(i); }
std::string seed(int i) { return ip(i) + ":7946"; }

/// uid and gid of `nobody` / `nogroup` on Debian.
constexpr uid_t nobody = 65534;
constexpr gid_t nogroup = 65534;

/// setpriv's prefix to run a command as `uid` with primary group `gid` and no others.
std::vector<std::string> as_user(uid_t uid, gid_t gid) {
  return {"setpriv", "--reuid=" + std::to_string(uid), "--regid=" + std::to_string(gid),
          "--clear-groups"};
}

/// `cachecluster <args...> --socket <socket>` run as `uid`:`gid`.
test_support::cli_result cli_as(uid_t uid, gid_t gid, const std::string& socket,
                                std::vector<std::string> args) {
  auto a = as_user(uid, gid);
  a.push_back(binary());
  a.insert(a.end(), args.begin(), args.end());
  a.insert(a.end(), {"--socket", socket});
  return test_support::run_cli(a);
}

/// True when the tests that switch uids can run here (root, and setpriv works).
bool can_switch_uids() {
  if (::geteuid() != 0) return false;
  auto r = test_support::run_cli({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  "true"});
  return r.exit == 0;
}

/// Let `uid`:`gid` reach a socket in `dir`: search permission on the directory (a temp dir
/// is 0700) and the socket's group set to `gid` (the socket is 0660).
void open_to_group(const temp_dir& dir, const std::string& socket, gid_t gid) {
  REQUIRE(::chmod(dir.path().c_str(), 0711) == 0);
  REQUIRE(::chown(socket.c_str(), static_cast<uid_t>(-1), gid) == 0);
}

/// A raw connection to a Unix socket; -1 when connect fails.
int unix_connect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Everything the other side sends on `fd` until it closes it (EOF or a reset); nullopt
/// when it is still open after `timeout`.
std::optional<std::string> read_until_closed(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (r < 0 && errno == EINTR) continue;
    if (r != 1) return std::nullopt;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return out;
    if (n < 0) return std::nullopt;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("local: a second agent on a gossip address in use exits 1; the first keeps working") {
  temp_dir dir("local");
  agent_proc a(dir, {"n1", ip(1), {}, "", "", ""});
  agent_proc b(dir, {"n2", ip(2), {seed(1)}, "", "", ""});
  require_up(a);
  require_up(b);
  REQUIRE(wait_until_all_alive(a, {"n1", "n2"}));
  REQUIRE(wait_until_all_alive(b, {"n1", "n2"}));

  // Same --bind as n1, its own socket and HTTP address: only the gossip address clashes.
  const auto sock3 = (dir / "n3.sock").string();
  auto r = test_support::run_cli({binary(), "agent", "--node", "n3", "--bind", seed(1),
                                  "--socket", sock3, "--http", ip(3) + ":9101"},
                                 std::chrono::seconds(20));
  INFO("stderr: " << r.err);
  CHECK(r.exit == 1);
  CHECK(contains(r.err, "cachecluster: gossip address " + seed(1) +
                            " is in use (is another agent running?)"));
  CHECK_FALSE(contains(r.err, "started"));
  CHECK_FALSE(std::filesystem::exists(sock3));
  CHECK(test_support::port_free(ip(3), http_port));

  // n1 is untouched: it answers, serves HTTP, and both still see each other alive a while
  // later (a second socket sharing the port would have taken some of n1's acks).
  CHECK(a.proc().running());
  std::this_thread::sleep_for(2s);
  INFO(describe(a) << describe(b));
  CHECK(sees_all(a, {"n1", "n2"}, "alive"));
  CHECK(sees_all(b, {"n1", "n2"}, "alive"));
  CHECK(a.http("/health").status == 200);
  CHECK(metric(a.http("/metrics").body, "cachecluster_members{state=\"alive\"}") == 2);
}

TEST_CASE("local: the gossip port is not shared with a UDP socket or a TCP listener") {
  temp_dir dir("local");
  auto start_on = [&](int i) {
    return test_support::run_cli({binary(), "agent", "--node", "n" + std::to_string(i),
                                  "--bind", seed(i), "--socket",
                                  (dir / ("n" + std::to_string(i) + ".sock")).string(), "--http",
                                  ip(i) + ":9101"},
                                 std::chrono::seconds(20));
  };
  auto bound = [](int type, const std::string& addr) {
    int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    // SO_REUSEADDR, as the agent sets on its TCP listener and used to set on UDP.
    int one = 1;
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(gossip_port);
    REQUIRE(::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) == 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    if (type == SOCK_STREAM) REQUIRE(::listen(fd, 8) == 0);
    return fd;
  };

  SUBCASE("UDP: a socket with SO_REUSEADDR holds the port; the agent does not share it") {
    int fd = bound(SOCK_DGRAM, ip(4));
    auto r = start_on(4);
    ::close(fd);
    INFO("stderr: " << r.err);
    CHECK(r.exit == 1);
    CHECK(contains(r.err, "gossip address " + seed(4) + " is in use (is another agent running?)"));
  }
  SUBCASE("TCP: a listener holds the port; SO_REUSEADDR does not let a second one bind") {
    int fd = bound(SOCK_STREAM, ip(5));
    auto r = start_on(5);
    ::close(fd);
    INFO("stderr: " << r.err);
    CHECK(r.exit == 1);
    CHECK(contains(r.err, "gossip address " + seed(5) + " is in use (is another agent running?)"));
    CHECK(test_support::port_free(ip(5), gossip_port));  // the agent let go of its UDP socket
  }
}

TEST_CASE("local: join and leave need root or the agent's uid; members is open to the group") {
  if (!can_switch_uids()) {
    MESSAGE("skipped: needs root and setpriv (util-linux) to run the CLI as another uid");
    return;
  }
  temp_dir dir("local");
  agent_proc a(dir, {"n1", ip(11), {}, "", "", ""});  // runs as root, like the test
  agent_proc b(dir, {"n2", ip(12), {}, "", "", ""});
  require_up(a);
  require_up(b);
  open_to_group(dir, a.socket(), nogroup);

  // nobody, in the socket's group: reads, but may not change anything.
  auto members = cli_as(nobody, nogroup, a.socket(), {"members", "--json"});
  INFO(members.out << members.err);
  CHECK(members.exit == 0);
  CHECK(contains(members.out, "\"n1\""));

  auto join = cli_as(nobody, nogroup, a.socket(), {"join", seed(12)});
  INFO(join.out << join.err);
  CHECK(join.exit == 1);
  CHECK(contains(join.err, "cachecluster: join needs root (the agent's uid); you are uid 65534"));

  auto leave = cli_as(nobody, nogroup, a.socket(), {"leave"});
  INFO(leave.out << leave.err);
  CHECK(leave.exit == 1);
  CHECK(contains(leave.err, "cachecluster: leave needs root (the agent's uid); you are uid 65534"));

  // Nothing happened: n1 is alone and running, and both refusals are counted and logged.
  CHECK(a.proc().running());
  CHECK(alive_count_is(a, 1));
  auto m = a.http("/metrics").body;
  CHECK(metric(m, "cachecluster_control_refused_total") == 2);
  CHECK(metric(m, "cachecluster_control_errors_total") == 0);
  CHECK(contains(a.log(), "control socket: refused join from uid 65534"));

  // Root may.
  auto root_join = a.cli({"join", seed(12)});
  INFO(root_join.out << root_join.err);
  CHECK(root_join.exit == 0);
  CHECK(test_support::wait_until([&] { return sees_all(a, {"n1", "n2"}, "alive"); }, timeout));
}

TEST_CASE("local: an agent running as a plain uid accepts join from that uid, not from others") {
  if (!can_switch_uids()) {
    MESSAGE("skipped: needs root and setpriv (util-linux) to run as other uids");
    return;
  }
  temp_dir dir("local");
  // The agent runs as nobody:nogroup and creates its socket (0660, nobody:nogroup) here;
  // uid 1 may search the directory.
  REQUIRE(::chown(dir.path().c_str(), nobody, nogroup) == 0);
  REQUIRE(::chmod(dir.path().c_str(), 0711) == 0);
  const std::string sock = (dir / "n1.sock").string();
  auto argv = as_user(nobody, nogroup);
  argv.insert(argv.end(), {binary(), "agent", "--node", "n1", "--bind", seed(21), "--socket",
                           sock, "--http", ip(21) + ":9101", "--log-level", "debug"});
  process agent(argv, dir / "n1.log");
  agent_proc peer(dir, {"n2", ip(22), {}, "", "", ""});
  require_up(peer);
  bool up = test_support::wait_until(
      [&] { return cli_as(nobody, nogroup, sock, {"members"}).exit == 0; }, timeout);
  INFO(agent.log());
  REQUIRE(up);

  // uid 1 in the socket's group: members yes, join no, and the message names the agent's uid.
  CHECK(cli_as(1, nogroup, sock, {"members"}).exit == 0);
  auto refused = cli_as(1, nogroup, sock, {"join", seed(22)});
  INFO(refused.out << refused.err);
  CHECK(refused.exit == 1);
  CHECK(contains(refused.err,
                 "cachecluster: join needs root or uid 65534 (the agent's); you are uid 1"));

  // The agent's own uid may join.
  auto joined = cli_as(nobody, nogroup, sock, {"join", seed(22)});
  INFO(joined.out << joined.err);
  CHECK(joined.exit == 0);
  CHECK(contains(joined.out, "joined 1 of 1"));
  CHECK(wait_until_all_alive(peer, {"n1", "n2"}));

  // Root may too: leave, and the agent exits 0.
  auto left = cli_as(0, 0, sock, {"leave"});
  INFO(left.out << left.err);
  CHECK(left.exit == 0);
  auto st = agent.wait_exit(timeout);
  REQUIRE(st.has_value());
  CHECK(exit_code(st) == 0);
  CHECK(test_support::wait_until([&] { return sees_gone(peer, "n1", "left"); }, timeout));
}

TEST_CASE("local: control-socket sessions beyond [publish] max_sessions are closed and counted") {
  temp_dir dir("local");
  auto cfg = dir / "capped.ini";
  test_support::write_file(cfg, "[publish]\nmax_sessions = 4\n");
  agent_proc a(dir, {"n1", ip(31), {}, "", cfg.string(), ""});
  require_up(a);

  // Four subscribers fill the cap (a subscriber is a session for as long as it stays).
  std::vector<std::unique_ptr<test_support::unix_client>> subs;
  for (int i = 0; i < 4; ++i) {
    subs.push_back(std::make_unique<test_support::unix_client>(a.socket()));
    REQUIRE(subs.back()->ok());
    REQUIRE(subs.back()->send_line(R"({"op":"subscribe"})"));
    auto line = subs.back()->read_line(timeout);
    REQUIRE(line.has_value());
    CHECK(contains(*line, "\"type\":\"snapshot\""));
  }

  // Three more: each gets one error line and is closed at once, before any request.
  const std::string full = R"({"type":"error","message":"too many control sessions (4 open, )"
                           R"([publish] max_sessions); try again later"})"
                           "\n";
  for (int i = 0; i < 3; ++i) {
    int fd = unix_connect(a.socket());
    REQUIRE(fd >= 0);
    auto got = read_until_closed(fd, timeout);
    ::close(fd);
    REQUIRE(got.has_value());
    CHECK(*got == full);
  }
  // The CLI, which writes its request first, gets the line too.
  auto m = a.cli({"members"});
  INFO("members: " << m.out << m.err);
  CHECK(m.exit == 1);
  CHECK(contains(m.err, "cachecluster: too many control sessions (4 open, [publish] "
                        "max_sessions); try again later"));

  auto metrics = a.http("/metrics").body;
  CHECK(metric(metrics, "cachecluster_control_sessions") == 4);
  CHECK(metric(metrics, "cachecluster_subscribers") == 4);
  CHECK(metric(metrics, "cachecluster_control_sessions_rejected_total") == 4);
  CHECK(contains(a.log(), "4 sessions open ([publish] max_sessions)"));

  // The subscribers were not disturbed; once one leaves, a new session is served again.
  subs.pop_back();
  CHECK(test_support::wait_until([&] { return a.states().has_value(); }, timeout));
  CHECK(metric(a.http("/metrics").body, "cachecluster_control_sessions_rejected_total") == 4);
  CHECK(a.proc().running());
}
