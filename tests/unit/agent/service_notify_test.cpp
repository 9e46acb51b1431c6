// notify_start_extend (agent/service_notify.hpp): while start-up waits for the metadata server,
// the service manager hears STATUS= and EXTEND_TIMEOUT_USEC= on NOTIFY_SOCKET. A datagram socket
// in a temporary directory stands in for systemd's end.

#include <doctest/doctest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "agent/service_notify.hpp"

TEST_CASE("service notify: a start-up retry extends the start timeout and says why") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cc-extend-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "notify").string();
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof sa.sun_path);
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);

  agent::notify_start_extend(std::chrono::seconds(420), "waiting for GCE metadata server");
  ::unsetenv("NOTIFY_SOCKET");

  pollfd p{fd, POLLIN, 0};
  std::string got;
  if (::poll(&p, 1, 2000) > 0) {
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) got.assign(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::filesystem::remove_all(dir);
  CHECK(got == "STATUS=waiting for GCE metadata server\nEXTEND_TIMEOUT_USEC=420000000");
}
