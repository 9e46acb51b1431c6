#pragma once
// Running a [render.NAME] command or the [hooks] on_change command: /bin/sh -c
// COMMAND with the given stdin and extra environment, a timeout, and the tail of
// its stdout and stderr. Never blocks the agent's thread: the child is started
// with posix_spawn, its exit is watched through a pidfd on the io_context, and its
// stdin, stdout and stderr are memory files (no pipe can fill up or break).
//
// The child gets a process group of its own (a timeout kills the group), default
// signal handling, and no descriptor of the agent's but 0, 1 and 2.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace agent {

/// What to run.
struct command_spec {
  std::string command;  ///< run as /bin/sh -c COMMAND
  std::string input;    ///< the child's stdin
  std::vector<std::pair<std::string, std::string>> env;  ///< set on top of the agent's environment
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  ///< then SIGKILL to its group
};

/// How it went.
struct command_result {
  enum class outcome { ok, failed, timed_out, not_started };
  outcome result = outcome::not_started;
  int exit_code = -1;  ///< exit status when it exited
  int signal = 0;      ///< the signal that killed it, if one did
  std::string out;     ///< the last 4 KiB of stdout
  std::string err;     ///< the last 4 KiB of stderr
  std::string error;   ///< why it did not start
  std::chrono::milliseconds took{0};

  bool ok() const { return result == outcome::ok; }
  /// "exit 0", "exit 3", "killed by signal 9", "timed out after 30s", "not started: ...".
  std::string describe() const;
};

/// Runs one command at a time on `io`. The callback runs on the io_context's thread.
class command_runner {
 public:
  explicit command_runner(boost::asio::io_context& io);
  /// Kills a child still running (SIGKILL to its group) and reaps it.
  ~command_runner();
  command_runner(const command_runner&) = delete;
  command_runner& operator=(const command_runner&) = delete;

  /// Start `spec`; `done` gets the result once the child exited (or could not start: then
  /// from a posted handler, never from inside run()). Precondition: !busy().
  void run(command_spec spec, std::function<void(command_result)> done);
  /// A child is running.
  bool busy() const;

  struct state;  ///< the child and its watchers; shared with pending handlers

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<state> st_;
};

}  // namespace agent
