#pragma once
// The agent's side of systemd's readiness protocol (sd_notify(3), Type=notify):
//   READY=1     once the gossip sockets, the peer-list socket and HTTP are up;
//   STOPPING=1  when the agent starts leaving the cluster;
//   WATCHDOG=1  every half WatchdogSec, from a timer on the agent's io_context, so a loop
//               that stops turning stops the pings and systemd restarts the agent.
// Outside systemd (no NOTIFY_SOCKET) every call does nothing. The datagrams are sent by
// agent/notify_socket (the protocol, without libsystemd).

#include <chrono>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace agent {

/// Before READY: STATUS= and EXTEND_TIMEOUT_USEC=, so a start-up that is still waiting
/// (agent/startup_retry.hpp) is not ended by TimeoutStartSec. Does nothing outside systemd.
void notify_start_extend(std::chrono::milliseconds extend, const std::string& status);

/// Tells the service manager how the agent is doing. Lives on the io_context thread.
class service_notify {
 public:
  /// Reads NOTIFY_SOCKET and WATCHDOG_USEC (nothing is sent yet).
  explicit service_notify(boost::asio::io_context& io);
  ~service_notify();
  service_notify(const service_notify&) = delete;
  service_notify& operator=(const service_notify&) = delete;

  /// READY=1 with a STATUS= line; starts the watchdog pings when systemd asked for them.
  void ready(const std::string& status);
  /// STOPPING=1: the agent is leaving and will exit.
  void stopping();
  /// Stop the watchdog timer (before the io_context goes away).
  void close();

  /// True when started by a service manager that listens (NOTIFY_SOCKET is set).
  bool active() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace agent
