// The agent under a service manager, on 127.0.12.x: with NOTIFY_SOCKET naming a datagram
// socket this test owns (what systemd sets for Type=notify), the agent sends READY=1 once its
// peer-list socket and HTTP answer, WATCHDOG=1 every half WATCHDOG_USEC, and STOPPING=1 when
// SIGTERM starts its leave. The protocol needs no running systemd, only the socket: a path,
// or '@' and a name in the abstract namespace.

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "integration/agent_cluster.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

/// A bound AF_UNIX datagram socket: the service manager's end of NOTIFY_SOCKET.
class notify_socket {
 public:
  /// `path`: a file name, or "@name" in the abstract namespace.
  explicit notify_socket(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof sa.sun_path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    socklen_t len = sizeof sa;
    if (path.starts_with('@')) {
      sa.sun_path[0] = '\0';
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    }
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0);
  }
  ~notify_socket() { ::close(fd_); }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  /// The next datagram within `timeout`, or "" if none came.
  std::string next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }

  /// Datagrams until one contains `what` (returned last), or all received before `timeout`.
  std::vector<std::string> until(const std::string& what, std::chrono::milliseconds timeout) {
    std::vector<std::string> got;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::string m = next(std::max(left, std::chrono::milliseconds(1)));
      if (m.empty()) continue;
      got.push_back(m);
      if (m.find(what) != std::string::npos) break;
    }
    return got;
  }

 private:
  int fd_ = -1;
};

bool has(const std::vector<std::string>& v, const std::string& what) {
  for (const auto& m : v)
    if (m.find(what) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("service: READY once the socket and HTTP answer, watchdog pings, STOPPING on leave") {
  temp_dir dir("notify");
  const std::string path = (dir / "notify.sock").string();
  notify_socket sm(path);
  // What systemd sets for Type=notify with WatchdogSec=1s (the agent pings every 0.5 s).
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  agent_proc a(dir, {"n1", "127.0.12.1", {}, "", "", ""});
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");

  auto before_ready = sm.until("READY=1", timeout);
  INFO(describe_brief(a));
  REQUIRE(has(before_ready, "READY=1"));
  CHECK(has(before_ready, "STATUS=gossip 127.0.12.1:7946"));
  // READY means usable: both local interfaces answer now, without waiting.
  CHECK(a.http("/health").status == 200);
  CHECK(a.cli({"members", "--json"}).exit == 0);

  // Watchdog pings keep coming while the agent runs.
  auto pings = sm.until("WATCHDOG=1", timeout);
  CHECK(has(pings, "WATCHDOG=1"));
  pings = sm.until("WATCHDOG=1", timeout);
  CHECK(has(pings, "WATCHDOG=1"));
  CHECK_FALSE(has(pings, "STOPPING=1"));

  REQUIRE(a.proc().signal(SIGTERM));
  auto at_stop = sm.until("STOPPING=1", timeout);
  CHECK(has(at_stop, "STOPPING=1"));
  auto status = a.proc().wait_exit(timeout);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("service: NOTIFY_SOCKET in the abstract namespace; WATCHDOG_PID of another process") {
  temp_dir dir("notify-abstract");
  const std::string name = "@cachecluster-notify-test-" + std::to_string(::getpid());
  notify_socket sm(name);
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "200000", 1);
  ::setenv("WATCHDOG_PID", "1", 1);  // not the agent: it must not ping
  agent_proc a(dir, {"n2", "127.0.12.2", {}, "", "", ""});
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");

  auto before_ready = sm.until("READY=1", timeout);
  INFO(describe_brief(a));
  REQUIRE(has(before_ready, "READY=1"));
  CHECK(has(before_ready, "STATUS=gossip 127.0.12.2:7946"));
  REQUIRE(a.proc().signal(SIGTERM));
  auto at_stop = sm.until("STOPPING=1", timeout);
  CHECK(has(at_stop, "STOPPING=1"));
  CHECK_FALSE(has(at_stop, "WATCHDOG=1"));
  REQUIRE(a.proc().wait_exit(timeout));
}
