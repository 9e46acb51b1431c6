#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/command_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "agent/config.hpp"

extern char** environ;

namespace agent {

namespace net = boost::asio;

namespace {

constexpr std::size_t tail_bytes = 4096;

/// The last tail_bytes of a memory file.
std::string tail_of(int fd) {
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size <= 0) return {};
  const off_t from = st.st_size > static_cast<off_t>(tail_bytes) ? st.st_size - tail_bytes : 0;
  std::string out(static_cast<std::size_t>(st.st_size - from), '\0');
  ssize_t n = ::pread(fd, out.data(), out.size(), from);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

int memory_file(const char* name) { return ::memfd_create(name, MFD_CLOEXEC); }

}  // namespace

std::string command_result::describe() const {
  switch (result) {
    case outcome::ok:
      return "exit 0";
    case outcome::failed:
      return signal ? "killed by signal " + std::to_string(signal)
                    : "exit " + std::to_string(exit_code);
    case outcome::timed_out:
      return "timed out after " + format_duration(took) + ", killed";
    case outcome::not_started:
      return "not started: " + error;
  }
  return "?";
}

struct command_runner::state {
  explicit state(net::io_context& io) : timeout(io), poll(io), exit_watch(io) {}

  net::steady_timer timeout;
  net::steady_timer poll;  // when pidfd_open is not available
  net::posix::stream_descriptor exit_watch;
  pid_t pid = -1;
  int out = -1, err = -1;
  bool timed_out = false;
  std::chrono::steady_clock::time_point started;
  std::chrono::milliseconds limit{0};
  std::function<void(command_result)> done;

  void close_files() {
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    out = err = -1;
  }

  void kill_group() {
    if (pid <= 0) return;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }

  /// The child has exited with `status`: report it.
  void finish(int status) {
    command_result r;
    r.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    if (timed_out) {
      r.result = command_result::outcome::timed_out;
      r.took = limit;
    } else {
      r.result = r.exit_code == 0 ? command_result::outcome::ok : command_result::outcome::failed;
    }
    r.out = tail_of(out);
    r.err = tail_of(err);
    close_files();
    pid = -1;
    timeout.cancel();
    poll.cancel();
    boost::system::error_code ec;
    exit_watch.close(ec);
    auto cb = std::move(done);
    done = nullptr;
    if (cb) cb(std::move(r));
  }

  /// Reap the child if it has exited; true when it has.
  bool reap() {
    int status = 0;
    pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid || (got < 0 && errno == ECHILD)) {
      finish(got == pid ? status : 0);
      return true;
    }
    return false;
  }
};

namespace {

void watch_exit(const std::shared_ptr<command_runner::state>& st);

void poll_exit(const std::shared_ptr<command_runner::state>& st) {
  st->poll.expires_after(std::chrono::milliseconds(20));
  st->poll.async_wait([st](const boost::system::error_code& ec) {
    if (ec || st->pid < 0) return;
    if (!st->reap()) poll_exit(st);
  });
}

void watch_exit(const std::shared_ptr<command_runner::state>& st) {
  st->exit_watch.async_wait(net::posix::stream_descriptor::wait_read,
                            [st](const boost::system::error_code& ec) {
                              if (ec || st->pid < 0) return;
                              if (!st->reap()) watch_exit(st);
                            });
}

}  // namespace

command_runner::command_runner(net::io_context& io) : io_(io), st_(std::make_shared<state>(io)) {}

command_runner::~command_runner() {
  if (st_->pid > 0) {
    st_->kill_group();
    int status = 0;
    ::waitpid(st_->pid, &status, 0);
    st_->pid = -1;
  }
  st_->done = nullptr;
  st_->close_files();
  st_->timeout.cancel();
  st_->poll.cancel();
  boost::system::error_code ec;
  st_->exit_watch.close(ec);
}

bool command_runner::busy() const { return st_->pid > 0; }

void command_runner::run(command_spec spec, std::function<void(command_result)> done) {
  auto st = st_;
  auto not_started = [&](std::string why) {
    st->close_files();
    command_result r;
    r.error = std::move(why);
    net::post(io_, [done = std::move(done), r = std::move(r)] { done(r); });
  };

  int in = memory_file("cachecluster-stdin");
  st->out = memory_file("cachecluster-stdout");
  st->err = memory_file("cachecluster-stderr");
  if (in < 0 || st->out < 0 || st->err < 0) {
    int e = errno;
    if (in >= 0) ::close(in);
    return not_started(std::string("memfd_create: ") + std::strerror(e));
  }
  for (std::string_view rest = spec.input; !rest.empty();) {
    ssize_t n = ::write(in, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(in);
      return not_started(std::string("writing stdin: ") + std::strerror(e));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  ::lseek(in, 0, SEEK_SET);

  // The environment: the agent's, with spec.env replacing or adding keys.
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    std::string_view key = kv.substr(0, kv.find('='));
    bool replaced = false;
    for (const auto& [k, v] : spec.env) replaced = replaced || k == key;
    if (!replaced) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c";
  std::vector<char*> argv{sh.data(), dash_c.data(), spec.command.data(), nullptr};

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, in, 0);
  posix_spawn_file_actions_adddup2(&fa, st->out, 1);
  posix_spawn_file_actions_adddup2(&fa, st->err, 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, sh.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in);
  if (rc != 0) return not_started(std::string("posix_spawn /bin/sh: ") + std::strerror(rc));

  st->pid = pid;
  st->timed_out = false;
  st->limit = spec.timeout;
  st->started = std::chrono::steady_clock::now();
  st->done = std::move(done);

  st->timeout.expires_after(spec.timeout);
  st->timeout.async_wait([st](const boost::system::error_code& ec) {
    if (ec || st->pid < 0) return;
    st->timed_out = true;
    st->kill_group();
  });
  // pidfd_open(2) through syscall(): glibc 2.36's <sys/pidfd.h> has no C++ linkage.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    st->exit_watch.assign(pidfd);
    watch_exit(st);
  } else {
    poll_exit(st);
  }
}

}  // namespace agent
