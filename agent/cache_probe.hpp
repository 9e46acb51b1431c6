#pragma once
// One probe of the local cache ([cache] check), on the agent's io_context and
// never blocking it:
//   tcp://HOST:PORT            a TCP connect that succeeds within the timeout;
//   http://HOST[:PORT][/PATH]  a GET (HTTP/1.1, Connection: close) whose status line,
//                              within the timeout, says 2xx;
//   exec:COMMAND               /bin/sh -c COMMAND exiting 0 within the timeout
//                              (agent/command_runner: its own process group, killed
//                              with SIGKILL at the timeout, output kept for the log).
// Names are resolved asynchronously at every probe. Each outcome comes with a
// short text for the log ("connect 127.0.0.1:11211: Connection refused").

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "agent/cache_check.hpp"

namespace boost::asio {
class io_context;
}

namespace agent {

class command_runner;

class cache_probe {
 public:
  /// How a probe ended: passed or not, and what happened.
  using done_fn = std::function<void(bool ok, std::string detail)>;

  cache_probe(boost::asio::io_context& io, check_target target, std::chrono::milliseconds timeout);
  /// Abandons a probe under way (closes its socket, kills its child); its callback never runs.
  ~cache_probe();
  cache_probe(const cache_probe&) = delete;
  cache_probe& operator=(const cache_probe&) = delete;

  /// Start one probe; `done` runs on the io_context's thread when it ends, never from inside
  /// run(). Precondition: no probe under way.
  void run(done_fn done);

  const check_target& target() const { return target_; }

  struct attempt;  ///< one tcp or http probe's sockets and timer; shared with its handlers

 private:
  boost::asio::io_context& io_;
  check_target target_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<command_runner> runner_;  ///< exec checks
  std::shared_ptr<attempt> current_;        ///< the tcp or http probe under way
};

}  // namespace agent
