#include "peerlib/request.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "unix_socket.hpp"

namespace peerlib {
namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// The longest reply line accepted: a members document of some ten thousand members.
constexpr std::size_t max_reply = 16u << 20;

/// Timeouts at least this long wait without limit (and keep `now + timeout` from overflowing).
constexpr milliseconds forever = std::chrono::hours(24 * 365);

/// Closes a descriptor on scope exit.
struct fd_closer {
  int fd;
  ~fd_closer() { ::close(fd); }
};

/// Milliseconds left before `deadline` for poll(): -1 without a deadline.
int poll_timeout(const std::optional<clock_type::time_point>& deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::duration_cast<milliseconds>(*deadline - clock_type::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 1 << 30));
}

/// Wait for `events` on `fd` until `deadline`: > 0 ready, 0 timed out, < 0 error (errno).
int wait_for(int fd, short events, const std::optional<clock_type::time_point>& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, poll_timeout(deadline));
    if (rc < 0 && errno == EINTR) continue;
    return rc;
  }
}

}  // namespace

const char* to_string(request_status s) {
  switch (s) {
    case request_status::ok:
      return "ok";
    case request_status::unreachable:
      return "unreachable";
    case request_status::closed:
      return "closed";
    case request_status::timed_out:
      return "timed out";
    case request_status::bad_reply:
      return "bad reply";
  }
  return "unknown";
}

request_outcome send_request(const std::string& socket_path, const request& req,
                             milliseconds timeout) {
  return send_request(socket_path, req, timeout,
                      [](const reply&, std::string_view) { return false; });
}

request_outcome send_request(const std::string& socket_path, const request& req,
                             milliseconds timeout, const reply_handler& on_reply) {
  request_outcome out;
  auto end = [&out](request_status st, std::string why) {
    out.status = st;
    out.error = std::move(why);
    return std::move(out);
  };
  std::optional<clock_type::time_point> deadline;
  if (timeout < forever) deadline = clock_type::now() + std::max(timeout, milliseconds(0));

  std::string err;
  bool in_progress = false;
  int fd = detail::unix_connect(socket_path, in_progress, err);
  if (fd < 0) return end(request_status::unreachable, std::move(err));
  fd_closer closer{fd};
  if (in_progress) {
    int rc = wait_for(fd, POLLOUT, deadline);
    if (rc == 0) return end(request_status::timed_out, "connect timed out");
    int soerr = rc < 0 ? errno : detail::connect_error(fd);
    if (soerr != 0) return end(request_status::unreachable, std::strerror(soerr));
  }
  // An agent that turns the connection away (too many sessions) writes an error line and
  // closes before reading the request, so the send may fail with that line waiting: read it.
  // With nothing to read, or nothing but the close, the send error stands.
  std::string send_error;
  if (!detail::send_all(fd, protocol::encode_request(req) + "\n", err)) {
    if (wait_for(fd, POLLIN, clock_type::now()) <= 0)
      return end(request_status::unreachable, std::move(err));
    send_error = std::move(err);
  }

  std::string buf;
  std::size_t scanned = 0;  // bytes of buf known to hold no newline
  bool replied = false;
  char chunk[16384];
  for (;;) {
    for (std::size_t nl; (nl = buf.find('\n', scanned)) != std::string::npos; scanned = 0) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      auto r = protocol::decode_reply(req.op, line, &err);
      if (!r) {
        out.line = std::move(line);
        return end(request_status::bad_reply, std::move(err));
      }
      replied = true;
      deadline.reset();  // the timeout bounds the first reply only
      out.answer = std::move(*r);
      out.line = std::move(line);
      if (!on_reply(*out.answer, out.line)) return end(request_status::ok, "");
    }
    scanned = buf.size();
    if (buf.size() > max_reply)
      return end(request_status::bad_reply, "reply line longer than 16 MiB");
    int rc = wait_for(fd, POLLIN, deadline);
    if (rc == 0)
      return end(request_status::timed_out, "no reply from the agent before the timeout");
    if (rc < 0) return end(request_status::closed, detail::errno_text("poll", errno));
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0 && !replied && !send_error.empty())
      return end(request_status::unreachable, std::move(send_error));
    if (n < 0) return end(request_status::closed, detail::errno_text("recv", errno));
    if (n == 0)
      return end(request_status::closed,
                 replied ? "the agent closed the connection"
                         : "the agent closed the connection without a reply");
    buf.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace peerlib
