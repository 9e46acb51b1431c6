#include "unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace peerlib::detail {

std::string errno_text(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

int unix_connect(const std::string& path, bool& in_progress, std::string& error) {
  in_progress = false;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) {
    error = "socket path is empty or longer than " + std::to_string(sizeof sa.sun_path - 1) +
            " bytes";
    return -1;
  }
  std::memcpy(sa.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return error = errno_text("socket", errno), -1;
  int rc;
  do rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  while (rc != 0 && errno == EINTR);
  if (rc == 0) return fd;
  if (errno == EINPROGRESS) return in_progress = true, fd;
  // EAGAIN here means the agent's backlog is full: callers retry or report it like any failure.
  error = std::strerror(errno);
  ::close(fd);
  return -1;
}

int connect_error(int fd) {
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) return errno;
  return soerr;
}

bool send_all(int fd, const std::string& data, std::string& error) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error = std::strerror(errno), false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace peerlib::detail
