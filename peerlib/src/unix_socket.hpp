#pragma once
// Unix-socket plumbing shared by peerlib::client and peerlib::send_request.
// Private to peerlib (not installed).

#include <string>

namespace peerlib::detail {

/// "what: strerror(err)".
std::string errno_text(const char* what, int err);

/// Start a non-blocking connect to the Unix socket at `path`. Returns the descriptor
/// (connected, or still connecting when `in_progress`) or -1 with `error` set to the
/// reason, without the path (a path that does not fit, or the system's error text).
int unix_connect(const std::string& path, bool& in_progress, std::string& error);

/// The pending error of a non-blocking connect (SO_ERROR): 0 once connected.
int connect_error(int fd);

/// Send all of `data` (a request line easily fits a fresh socket's buffer); false with
/// `error` set to the system's error text when the peer is gone.
bool send_all(int fd, const std::string& data, std::string& error);

}  // namespace peerlib::detail
