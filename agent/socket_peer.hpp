#pragma once
// Unix-socket facts the control server asks the kernel: who is at the other end of an
// accepted connection (SO_PEERCRED), and whether something serves a socket path.

#include <sys/types.h>

#include <optional>
#include <string>

namespace agent {

/// Who is at the other end of an accepted Unix socket (SO_PEERCRED: as of its connect).
struct peer_cred {
  std::optional<uid_t> uid;  ///< nullopt when the kernel does not say
  pid_t pid = 0;
};

/// The credentials of the peer of connected Unix socket `fd`; no uid when unknown.
peer_cred peer_of(int fd);

/// True if something accepts connections on the Unix socket at `path`.
bool socket_in_use(const std::string& path);

}  // namespace agent
