#pragma once
// Child processes and loopback helpers for the integration and interop tests:
// spawn an agent (or a `serf agent`) with its output in a log file, signal it,
// wait for it, run a CLI command to completion, GET an HTTP path, talk to a
// Unix socket, and poll a predicate until a timeout.
//
// Waits here are timeouts, never measurements: a loaded CI machine may be slow,
// so callers pass generous limits and only the predicate decides success.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace test_support {

using namespace std::chrono_literals;

/// A child process started with posix_spawn; stdin is /dev/null, stdout and
/// stderr go to one log file. The destructor SIGKILLs and reaps it if it still runs.
class process {
 public:
  /// Start `argv[0]` (looked up in PATH when it has no '/') with `argv`.
  /// Throws std::runtime_error when the spawn fails.
  process(std::vector<std::string> argv, std::filesystem::path log);
  ~process();
  process(process&& other) noexcept;
  process& operator=(process&& other) noexcept;
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// The child's pid (-1 once reaped).
  pid_t pid() const { return pid_; }
  /// Send `sig`; false when the child has already been reaped or kill() failed.
  bool signal(int sig);
  /// Wait up to `timeout` for the child to exit. Returns the raw wait status
  /// (use WIFEXITED/WEXITSTATUS), or nullopt when it is still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// True while the child has not exited (reaps it if it just did).
  bool running();
  /// The raw wait status once reaped.
  std::optional<int> exit_status() const { return status_; }
  /// The log file's path and its current content.
  const std::filesystem::path& log_path() const { return log_; }
  std::string log() const;

 private:
  void kill_and_reap();
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_;
};

/// What a finished command printed and how it exited.
struct cli_result {
  int exit = -1;  ///< exit code, or 128 + signal when killed, -1 on timeout
  std::string out;
  std::string err;
};

/// Run `argv` to completion (killed after `timeout`), capturing stdout and stderr.
cli_result run_cli(const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// The built `cachecluster` binary: `compiled_path` (passed from CMake) when it
/// exists, else $CACHECLUSTER_BIN. Throws when neither names a file.
std::string find_binary(const std::string& compiled_path);

/// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
/// Kept short: Unix socket paths inside it must stay under 108 bytes.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix);
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// path() / name.
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Write `content` to `path` (truncating).
void write_file(const std::filesystem::path& path, const std::string& content);
/// The whole file, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// An HTTP answer: status code (0 when the request failed) and body.
struct http_result {
  int status = 0;
  std::string body;
  std::string error;  ///< why status is 0
};

/// `method path` to `ip:port` (HTTP/1.1, Connection: close), with a JSON `body` when not
/// GET, and a socket timeout.
http_result http_request(const std::string& ip, std::uint16_t port, const std::string& method,
                         const std::string& path, const std::string& body = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// GET `path` from `ip:port` (HTTP/1.1, Connection: close), with a socket timeout.
http_result http_get(const std::string& ip, std::uint16_t port, const std::string& path,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Poll `pred` every 50 ms until it returns true (then true) or `timeout` passes (then false,
/// after one last try).
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

/// A line-oriented client of a Unix stream socket (the agent's control socket).
class unix_client {
 public:
  /// Connect to `path`; ok() tells whether it worked.
  explicit unix_client(const std::string& path);
  ~unix_client();
  unix_client(const unix_client&) = delete;
  unix_client& operator=(const unix_client&) = delete;

  bool ok() const { return fd_ >= 0; }
  /// Send `line` plus a newline.
  bool send_line(const std::string& line);
  /// The next line (without newline), or nullopt at EOF, error or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string buf_;
};

/// True when `ip:port` can be bound right now for both UDP and TCP (nobody else holds it).
bool port_free(const std::string& ip, std::uint16_t port);

/// Send one UDP datagram to `ip:port` (from an ephemeral port on `from_ip`).
bool send_udp(const std::string& from_ip, const std::string& ip, std::uint16_t port,
              const std::string& payload);

/// A TCP connection to `ip:port` (blocking connect with a timeout); -1 on failure.
int tcp_connect(const std::string& ip, std::uint16_t port,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
/// Write all of `data`; false on error.
bool write_all(int fd, const std::string& data);
/// Read until EOF, error or `timeout`; returns what arrived.
std::string read_until_close(int fd, std::chrono::milliseconds timeout);

}  // namespace test_support
