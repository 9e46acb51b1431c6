#include "agent/notify_socket.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace agent {

std::optional<notify_address> parse_notify_socket(std::string_view value, std::string& error) {
  notify_address a;
  a.sa.sun_family = AF_UNIX;
  const bool abstract = value.starts_with('@');
  if (!abstract && !value.starts_with('/')) {
    error = "NOTIFY_SOCKET is neither an absolute path nor @name: \"" + std::string(value) + "\"";
    return std::nullopt;
  }
  if (value.size() < 2 || value.size() >= sizeof a.sa.sun_path) {
    error = "NOTIFY_SOCKET has " + std::to_string(value.size()) + " bytes; 2 to " +
            std::to_string(sizeof a.sa.sun_path - 1) + " fit a Unix socket address";
    return std::nullopt;
  }
  std::memcpy(a.sa.sun_path, value.data(), value.size());
  if (abstract) {
    // The abstract namespace: a leading NUL, no terminator; the length says where it ends.
    a.sa.sun_path[0] = '\0';
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size());
  } else {
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size() + 1);
  }
  return a;
}

std::chrono::microseconds watchdog_interval(const char* usec, const char* pid, long self_pid) {
  if (usec == nullptr || *usec == '\0') return std::chrono::microseconds(0);
  char* end = nullptr;
  errno = 0;
  const unsigned long long us = std::strtoull(usec, &end, 10);
  if (errno != 0 || *end != '\0' || *usec == '-' || us == 0) return std::chrono::microseconds(0);
  if (pid != nullptr && *pid != '\0') {
    const long long p = std::strtoll(pid, &end, 10);
    if (*end != '\0' || p != self_pid) return std::chrono::microseconds(0);
  }
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(us));
}

int notify_service_manager(const std::string& state) {
  const char* value = std::getenv("NOTIFY_SOCKET");
  if (value == nullptr || *value == '\0') return 0;
  std::string why;
  const auto to = parse_notify_socket(value, why);
  if (!to) return -EINVAL;
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&to->sa), to->length);
  const int err = n < 0 ? errno : 0;
  ::close(fd);
  return n < 0 ? -err : 1;
}

}  // namespace agent
