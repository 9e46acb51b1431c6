#pragma once
// systemd's notification protocol (sd_notify(3)) without libsystemd: one datagram of
// newline-separated KEY=VALUE lines to the AF_UNIX socket that NOTIFY_SOCKET names (a path,
// or '@' and a name in the abstract namespace). systemd documents the protocol as stable and
// meant to be reimplemented (sd_notify(3), "Notes"). Linking libsystemd for this one call
// mapped libsystemd, libgcrypt, libgpg-error, liblz4, libzstd, liblzma and libcap into every
// agent: about 0.8 MiB of resident pages (scripts/rss-figures.sh).

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace agent {

/// Where NOTIFY_SOCKET points: the address for sendto().
struct notify_address {
  sockaddr_un sa{};
  socklen_t length = 0;
};

/// NOTIFY_SOCKET's value as an address: "/path" or "@abstract-name". nullopt and `error` for
/// anything else (an empty value, a relative path, other socket families, a name too long).
std::optional<notify_address> parse_notify_socket(std::string_view value, std::string& error);

/// The watchdog period systemd asks for (WATCHDOG_USEC), or 0 when it asks for none: unset,
/// not a positive integer, or WATCHDOG_PID set to another process than `self_pid` (a child
/// of the agent must not ping). Arguments are the variables' values, nullptr when unset.
std::chrono::microseconds watchdog_interval(const char* usec, const char* pid, long self_pid);

/// Sends `state` to NOTIFY_SOCKET, as sd_notify(0, state): > 0 when sent, 0 when
/// NOTIFY_SOCKET is unset or empty (not under a service manager), -errno on failure
/// (-EINVAL for an address parse_notify_socket refuses).
int notify_service_manager(const std::string& state);

}  // namespace agent
