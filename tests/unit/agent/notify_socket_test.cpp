// NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID as systemd sets them (agent/notify_socket):
// the address a datagram goes to, and when the watchdog wants pings. The datagrams
// themselves: tests/integration/service_notify_test.cpp.

#include "agent/notify_socket.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdlib>
#include <string>

using namespace agent;
using std::chrono::microseconds;

TEST_CASE("notify_socket: a path is a NUL-terminated sun_path") {
  std::string err;
  const auto a = parse_notify_socket("/run/systemd/notify", err);
  REQUIRE(a);
  CHECK(a->sa.sun_family == AF_UNIX);
  CHECK(std::string(a->sa.sun_path) == "/run/systemd/notify");
  CHECK(a->length == offsetof(sockaddr_un, sun_path) + 20);
}

TEST_CASE("notify_socket: @name is the abstract namespace: a leading NUL, no terminator") {
  std::string err;
  const auto a = parse_notify_socket("@/org/freedesktop/systemd1/notify/42", err);
  REQUIRE(a);
  CHECK(a->sa.sun_path[0] == '\0');
  CHECK(std::string(a->sa.sun_path + 1, 35) == "/org/freedesktop/systemd1/notify/42");
  CHECK(a->length == offsetof(sockaddr_un, sun_path) + 36);
}

TEST_CASE("notify_socket: other values are refused with a reason") {
  std::string err;
  CHECK_FALSE(parse_notify_socket("", err));
  CHECK(err.find("neither an absolute path nor @name") != std::string::npos);
  CHECK_FALSE(parse_notify_socket("relative/notify", err));
  CHECK_FALSE(parse_notify_socket("vsock:2:1234", err));
  CHECK_FALSE(parse_notify_socket("@", err));
  CHECK(err.find("1 bytes") != std::string::npos);
  const std::string longest = "/" + std::string(sizeof(sockaddr_un{}.sun_path) - 2, 'x');
  CHECK(parse_notify_socket(longest, err));
  CHECK_FALSE(parse_notify_socket(longest + "x", err));
  CHECK(err.find("fit a Unix socket address") != std::string::npos);
}

TEST_CASE("notify_socket: the watchdog period, for this process only") {
  CHECK(watchdog_interval("1000000", nullptr, 7) == microseconds(1000000));
  CHECK(watchdog_interval("1000000", "", 7) == microseconds(1000000));
  CHECK(watchdog_interval("1000000", "7", 7) == microseconds(1000000));
  CHECK(watchdog_interval("1000000", "8", 7) == microseconds(0));  // a parent's watchdog
  CHECK(watchdog_interval("1000000", "7x", 7) == microseconds(0));
  CHECK(watchdog_interval(nullptr, nullptr, 7) == microseconds(0));
  CHECK(watchdog_interval("", nullptr, 7) == microseconds(0));
  CHECK(watchdog_interval("0", nullptr, 7) == microseconds(0));
  CHECK(watchdog_interval("-5", nullptr, 7) == microseconds(0));
  CHECK(watchdog_interval("12s", nullptr, 7) == microseconds(0));
  CHECK(watchdog_interval("99999999999999999999999", nullptr, 7) == microseconds(0));
}

TEST_CASE("notify_socket: outside a service manager nothing is sent") {
  ::unsetenv("NOTIFY_SOCKET");
  CHECK(notify_service_manager("READY=1") == 0);
  ::setenv("NOTIFY_SOCKET", "not-a-path", 1);
  CHECK(notify_service_manager("READY=1") < 0);
  ::unsetenv("NOTIFY_SOCKET");
}
