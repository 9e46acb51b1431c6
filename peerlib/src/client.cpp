#include "peerlib/client.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "peerlib/request.hpp"
#include "unix_socket.hpp"

namespace peerlib {
namespace {

using detail::errno_text;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

struct client::impl {
  explicit impl(client_options o) : opts(std::move(o)), rng(std::random_device{}()) {
    if (opts.self.name.empty()) opts.self.name = host_name();
    // groupcache's HTTPPool.Set takes URLs: compose self's from its address and cache port.
    if (opts.self.cache_url.empty() && opts.self.cache_port && !opts.self.address.empty()) {
      const bool v6 = opts.self.address.find(':') != std::string::npos;
      opts.self.cache_url = "http://" + (v6 ? "[" + opts.self.address + "]" : opts.self.address) +
                            ":" + std::to_string(*opts.self.cache_port);
    }
    if (opts.backoff_min.count() < 1) opts.backoff_min = milliseconds(1);
    if (opts.backoff_max < opts.backoff_min) opts.backoff_max = opts.backoff_min;
    backoff = opts.backoff_min;
    view = peer_set::local(opts.self, ++generation, opts.replicas);
    st.generation = generation;
    lost_since = clock_type::now();  // before the first snapshot we count as "lost"

    epfd = ::epoll_create1(EPOLL_CLOEXEC);
    timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd < 0 || timer < 0 || wake < 0) {
      set_error(errno_text("epoll/timerfd/eventfd", errno));
      close_all();
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = timer;
    ::epoll_ctl(epfd, EPOLL_CTL_ADD, timer, &ev);
    ev.data.fd = wake;
    ::epoll_ctl(epfd, EPOLL_CTL_ADD, wake, &ev);
    // The first connection attempt happens at the first process().
    arm(clock_type::now());
  }

  ~impl() {
    stop();
    drop_socket();
    close_all();
  }

  void close_all() {
    for (int* f : {&epfd, &timer, &wake})
      if (*f >= 0) ::close(*f), *f = -1;
  }

  // ---- shared state (mutex) ----
  void set_error(std::string e) {
    std::lock_guard<std::mutex> lk(mu);
    st.last_error = std::move(e);
  }

  void publish(std::shared_ptr<const peer_set> v, std::vector<std::shared_ptr<const peer_set>>& out) {
    {
      std::lock_guard<std::mutex> lk(mu);
      view = v;
      st.local_mode = v->local_mode();
      st.version = v->version();
      st.generation = v->generation();
    }
    out.push_back(std::move(v));
  }

  // ---- the state machine (only process() touches these) ----
  enum class conn { idle, connecting, subscribed };

  void drop_socket() {
    if (sock >= 0) {
      if (epfd >= 0) ::epoll_ctl(epfd, EPOLL_CTL_DEL, sock, nullptr);
      ::close(sock);
      sock = -1;
    }
    state = conn::idle;
    inbuf.clear();
  }

  milliseconds jittered(milliseconds base) {
    std::uniform_real_distribution<double> d(0.8, 1.2);
    return milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(base.count() * d(rng))));
  }

  void schedule_retry(clock_type::time_point now) {
    next_attempt = now + jittered(backoff);
    backoff = std::min(backoff * 2, opts.backoff_max);
  }

  void lost(clock_type::time_point now, std::string why) {
    bool was_subscribed = state == conn::subscribed;
    drop_socket();
    set_error(std::move(why));
    {
      std::lock_guard<std::mutex> lk(mu);
      st.connected = false;
    }
    // The grace period runs from the last moment the agent was serving us; a
    // connection that never delivered a snapshot does not restart it.
    if (was_subscribed && have_live_since_loss) lost_since = now;
    have_live_since_loss = false;
    schedule_retry(now);
  }

  void try_connect(clock_type::time_point now) {
    std::string err;
    bool in_progress = false;
    int fd = detail::unix_connect(opts.socket_path, in_progress, err);
    if (fd < 0) {
      {
        std::lock_guard<std::mutex> lk(mu);
        ++st.connect_failures;
      }
      set_error("connect " + opts.socket_path + ": " + err);
      schedule_retry(now);
      return;
    }
    sock = fd;
    epoll_event ev{};
    ev.events = in_progress ? EPOLLOUT : EPOLLIN;
    ev.data.fd = sock;
    ::epoll_ctl(epfd, EPOLL_CTL_ADD, sock, &ev);
    state = conn::connecting;
    if (!in_progress) on_connected(now);
  }

  void on_connected(clock_type::time_point now) {
    if (int soerr = detail::connect_error(sock); soerr != 0) {
      {
        std::lock_guard<std::mutex> lk(mu);
        ++st.connect_failures;
      }
      drop_socket();
      set_error(errno_text(("connect " + opts.socket_path).c_str(), soerr));
      schedule_retry(now);
      return;
    }
    std::string err;
    if (!detail::send_all(sock, protocol::encode_request({request_op::subscribe}) + "\n", err))
      return lost(now, "send: " + err);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = sock;
    ::epoll_ctl(epfd, EPOLL_CTL_MOD, sock, &ev);
    state = conn::subscribed;
    std::lock_guard<std::mutex> lk(mu);
    st.connected = true;
    if (++st.connects > 1) ++st.reconnects;
  }

  void on_line(std::string_view line, std::vector<std::shared_ptr<const peer_set>>& out) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return;
    std::string err;
    auto snap = protocol::decode_snapshot(line, &err);
    if (!snap) {
      std::lock_guard<std::mutex> lk(mu);
      ++st.bad_lines;
      st.last_error = "bad line from agent: " + err;
      return;
    }
    backoff = opts.backoff_min;  // a working agent: the next loss starts over
    have_live_since_loss = true;
    last_self = snap->self;
    have_snapshot = true;
    {
      std::lock_guard<std::mutex> lk(mu);
      ++st.snapshots;
    }
    publish(std::make_shared<const peer_set>(std::move(*snap), ++generation, opts.replicas), out);
  }

  /// Read what is there; false when the connection is gone.
  bool read_socket(clock_type::time_point now, std::vector<std::shared_ptr<const peer_set>>& out) {
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(sock, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n < 0) return lost(now, errno_text("recv", errno)), false;
      if (n == 0) return lost(now, "agent closed the connection"), false;
      inbuf.append(buf, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t nl; (nl = inbuf.find('\n', start)) != std::string::npos; start = nl + 1)
        on_line(std::string_view(inbuf).substr(start, nl - start), out);
      inbuf.erase(0, start);
      if (inbuf.size() > opts.max_line) return lost(now, "line from agent exceeds max_line"), false;
    }
  }

  /// Falls back to local mode once the agent has been gone past the grace period.
  void check_grace(clock_type::time_point now, std::vector<std::shared_ptr<const peer_set>>& out) {
    if (state == conn::subscribed && have_live_since_loss) return;
    if (now < lost_since + opts.grace_period) return;
    if (opts.keep_last_on_loss && have_snapshot) return;
    std::shared_ptr<const peer_set> v;
    {
      std::lock_guard<std::mutex> lk(mu);
      v = view;
    }
    if (v->local_mode() && v->version() == 0) return;  // already our own local view
    // The agent's view of this node (advertised address, cache URL) beats the defaults.
    peer self = have_snapshot ? last_self : opts.self;
    self.state = peer_state::alive;
    publish(peer_set::local(std::move(self), ++generation, opts.replicas), out);
  }

  /// Arm the timer for the next time-based event.
  void arm(clock_type::time_point now) {
    if (timer < 0) return;
    std::optional<clock_type::time_point> due;
    if (state == conn::idle) due = next_attempt;
    bool live = state == conn::subscribed && have_live_since_loss;
    if (!live && !(opts.keep_last_on_loss && have_snapshot)) {
      auto g = lost_since + opts.grace_period;
      if (g > now && (!due || g < *due)) due = g;
    }
    itimerspec its{};
    if (due) {
      auto d = std::max<clock_type::duration>(*due - now, std::chrono::microseconds(1));
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
      its.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
      its.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
    }
    ::timerfd_settime(timer, 0, &its, nullptr);
  }

  int process() {
    if (epfd < 0) return 0;
    std::vector<std::shared_ptr<const peer_set>> out;
    std::uint64_t expirations;
    while (::read(timer, &expirations, sizeof expirations) > 0) {
    }
    auto now = clock_type::now();
    if (state == conn::connecting) {
      pollfd p{sock, POLLOUT, 0};
      if (::poll(&p, 1, 0) > 0) on_connected(now);
    }
    if (state == conn::subscribed) read_socket(now, out);
    if (state == conn::idle && now >= next_attempt) {
      try_connect(now);
      if (state == conn::subscribed) read_socket(now, out);
    }
    check_grace(now, out);
    arm(now);
    callback cb;
    {
      std::lock_guard<std::mutex> lk(mu);
      cb = on_update;
    }
    if (cb)
      for (const auto& v : out) deliver(cb, v);
    return static_cast<int>(out.size());
  }

  void deliver(const callback& cb, const std::shared_ptr<const peer_set>& v) {
    try {
      cb(v);
    } catch (const std::exception& e) {
      set_error(std::string("callback threw: ") + e.what());
    } catch (...) {
      set_error("callback threw");
    }
  }

  // ---- background thread ----
  bool start(callback cb) {
    if (epfd < 0 || thread.joinable()) return false;
    background = true;
    {
      std::lock_guard<std::mutex> lk(mu);
      on_update = std::move(cb);
    }
    stopping = false;
    try {
      thread = std::thread([this] { run(); });
    } catch (const std::exception& e) {
      background = false;
      set_error(std::string("cannot start thread: ") + e.what());
      return false;
    }
    return true;
  }

  void run() noexcept {
    try {
      callback cb;
      std::shared_ptr<const peer_set> v;
      {
        std::lock_guard<std::mutex> lk(mu);
        cb = on_update;
        v = view;
      }
      if (cb) deliver(cb, v);
      while (!stopping.load()) {
        pollfd p{epfd, POLLIN, 0};
        int rc = ::poll(&p, 1, -1);
        if (rc < 0 && errno != EINTR) {
          set_error(errno_text("poll", errno));
          std::this_thread::sleep_for(milliseconds(100));
        }
        if (stopping.load()) break;
        process();
      }
    } catch (const std::exception& e) {
      set_error(std::string("client thread stopped: ") + e.what());
    } catch (...) {
      set_error("client thread stopped");
    }
  }

  void stop() {
    if (!thread.joinable()) return;
    stopping = true;
    std::uint64_t one = 1;
    if (::write(wake, &one, sizeof one) < 0) {
    }
    thread.join();
    background = false;
  }

  client_options opts;
  std::mt19937 rng;
  int epfd = -1, timer = -1, wake = -1, sock = -1;
  conn state = conn::idle;
  std::string inbuf;
  milliseconds backoff{};
  clock_type::time_point next_attempt{};
  clock_type::time_point lost_since{};
  bool have_live_since_loss = false;  // a snapshot arrived on the current connection
  bool have_snapshot = false;         // any snapshot ever
  peer last_self;
  std::uint64_t generation = 0;

  mutable std::mutex mu;  // guards view, st, on_update
  std::shared_ptr<const peer_set> view;
  client_status st;
  callback on_update;

  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<bool> background{false};  // start() .. stop(): process() belongs to the thread
};

client::client(client_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
client::~client() = default;

bool client::start(callback cb) { return impl_->start(std::move(cb)); }
void client::stop() { impl_->stop(); }

void client::set_callback(callback cb) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->on_update = std::move(cb);
}

int client::fd() const { return impl_->epfd; }
int client::process() {
  if (impl_->background.load()) {
    impl_->set_error("process() refused: the background thread started by start() drives this "
                     "client (call stop() first, or use one mode only)");
    return -1;
  }
  return impl_->process();
}

std::shared_ptr<const peer_set> client::current() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->view;
}

client_status client::status() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->st;
}

std::optional<snapshot> fetch_snapshot(const std::string& socket_path, milliseconds timeout,
                                       std::string* error) {
  auto r = send_request(socket_path, {request_op::subscribe}, timeout);
  std::string why;
  switch (r.status) {
    case request_status::ok:
      if (auto* s = std::get_if<snapshot>(&*r.answer)) return std::move(*s);
      why = "the agent refused: " + std::get<error_reply>(*r.answer).message;
      break;
    case request_status::unreachable:
      why = "connect " + socket_path + ": " + r.error;
      break;
    case request_status::bad_reply:
      why = "bad reply from agent: " + r.error + ": " + r.line.substr(0, 200);
      break;
    case request_status::timed_out:
      why = "no snapshot from the agent before the timeout";
      break;
    case request_status::closed:
      why = r.error;
      break;
  }
  if (error) *error = std::move(why);
  return std::nullopt;
}

}  // namespace peerlib
