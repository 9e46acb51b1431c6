#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/control_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <list>
#include <optional>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "agent/logging.hpp"
#include "agent/socket_peer.hpp"

namespace agent {
namespace {

namespace net = boost::asio;
using stream = net::local::stream_protocol;
namespace protocol = peerlib::protocol;

constexpr std::size_t max_request = 64 * 1024;
constexpr auto request_timeout = std::chrono::seconds(10);
constexpr std::size_t max_log_queue = 512;  // log lines a monitor session may hold unsent

/// Ops open to anyone who can connect (the socket is mode 0660: its owner and group):
/// they only read. Every other op (join, leave, keys, and any op added later) changes the
/// agent or the cluster and needs root or the agent's own uid.
bool open_to_group(peerlib::request_op op) {
  return op == peerlib::request_op::subscribe || op == peerlib::request_op::members ||
         op == peerlib::request_op::info;
}

}  // namespace

struct control_server::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& ctx, std::string p, control_handlers hs)
      : io(ctx), path(std::move(p)), h(std::move(hs)), acceptor(ctx) {}

  struct session : std::enable_shared_from_this<session> {
    session(std::shared_ptr<impl> s, stream::socket so)
        : srv(std::move(s)),
          sock(std::move(so)),
          timer(srv->io),
          peer(peer_of(sock.native_handle())) {}
    std::shared_ptr<impl> srv;
    stream::socket sock;
    net::steady_timer timer;
    peer_cred peer;
    std::string in;
    bool subscriber = false;
    bool monitor = false;
    spdlog::level::level_enum log_level = spdlog::level::info;  // monitor: least severe sent
    std::deque<std::string> log_queue;                          // monitor: lines not yet sent
    std::uint64_t log_dropped = 0;  // lines missed since the last notice
    bool writing = false;
    bool closed = false;
    std::shared_ptr<const std::string> pending;   // newest line not yet written
    std::shared_ptr<const std::string> current;   // line being written
    std::list<std::shared_ptr<session>>::iterator self_it;

    void start() {
      timer.expires_after(request_timeout);
      timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec && !self->subscriber && !self->monitor) self->close();  // no request in time
      });
      net::async_read_until(sock, net::dynamic_buffer(in, max_request), '\n',
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t n) { self->on_request(ec, n); });
    }

    void on_request(const boost::system::error_code& ec, std::size_t n) {
      if (ec || closed) return close();
      timer.cancel();
      std::string line = in.substr(0, n);
      in.erase(0, n);
      srv->st.control_requests++;
      std::string error;
      auto req = protocol::decode_request(line, &error);
      if (!req) return reply_error(error);
      if (!open_to_group(req->op) && !srv->privileged(peer)) return refuse(req->op);
      switch (req->op) {
        case peerlib::request_op::subscribe:
          subscriber = true;
          srv->st.subscribers++;
          srv->st.subscribers_total++;
          send(srv->h.snapshot());
          watch_eof();
          break;
        case peerlib::request_op::members:
          reply(srv->h.members());
          break;
        case peerlib::request_op::join:
          srv->h.join(std::move(req->addresses),
                      [self = shared_from_this()](std::string r) { self->reply(std::move(r)); });
          break;
        case peerlib::request_op::leave:
          srv->h.leave([self = shared_from_this()](std::string r) { self->reply(std::move(r)); });
          break;
        case peerlib::request_op::keys:
          if (!srv->h.keys) return reply_error("keys is not available on this agent");
          srv->h.keys(std::move(*req),
                      [self = shared_from_this()](std::string r) { self->reply(std::move(r)); });
          break;
        case peerlib::request_op::force_leave:
          if (!srv->h.force_leave) return reply_error("force-leave is not available on this agent");
          reply(srv->h.force_leave(req->node));
          break;
        case peerlib::request_op::info:
          if (!srv->h.info) return reply_error("info is not available on this agent");
          reply(srv->h.info());
          break;
        case peerlib::request_op::monitor:
          monitor = true;
          log_level = parse_log_level(req->log_level.empty() ? "info" : req->log_level)
                          .value_or(spdlog::level::info);
          srv->st.monitors++;
          srv->follow_log();
          watch_eof();
          break;
      }
    }

    /// One event for a monitor: queued, or dropped and counted when the queue is full.
    /// Never logs (a log line here would come straight back).
    void send_log(std::string line) {
      if (closed) return;
      if (log_queue.size() >= max_log_queue) {
        log_dropped++;
        srv->st.log_lines_dropped++;
        return;
      }
      log_queue.push_back(std::move(line));
      if (!writing) write_log();
    }

    void write_log() {
      if (closed || log_queue.empty()) return;
      writing = true;
      auto buf = std::make_shared<std::string>();
      if (log_dropped > 0) {
        // Said once the reader catches up, before the line that follows the gap.
        *buf = protocol::encode_log({"", "WARNING",
                                     "monitor: " + std::to_string(log_dropped) +
                                         " log line(s) dropped (this client read too slowly)"}) +
               "\n";
        log_dropped = 0;
      }
      *buf += log_queue.front() + "\n";
      log_queue.pop_front();
      net::async_write(sock, net::buffer(*buf),
                       [self = shared_from_this(), buf](const boost::system::error_code& ec,
                                                        std::size_t) {
                         self->writing = false;
                         if (ec) return self->close();
                         self->write_log();
                       });
    }

    void reply_error(const std::string& msg) {
      srv->st.control_errors++;
      reply(protocol::encode_error({msg}));
    }

    /// An op this peer may not use: say who may, and who the peer is.
    void refuse(peerlib::request_op op) {
      srv->st.control_refused++;
      const std::string name = protocol::to_string(op);
      const std::string who = peer.uid ? "uid " + std::to_string(*peer.uid) : "an unknown uid";
      spdlog::warn("control socket: refused {} from {} (pid {})", name, who, peer.pid);
      const std::string allowed =
          srv->own_uid == 0 ? "root (the agent's uid)"
                            : "root or uid " + std::to_string(srv->own_uid) + " (the agent's)";
      reply(protocol::encode_error({name + " needs " + allowed + "; you are " + who}));
    }

    /// One reply line, then close.
    void reply(std::string line) {
      if (closed) return;
      auto buf = std::make_shared<std::string>(std::move(line) + "\n");
      net::async_write(sock, net::buffer(*buf),
                       [self = shared_from_this(), buf](const boost::system::error_code&,
                                                        std::size_t) { self->close(); });
    }

    /// Subscribers send nothing more; a read completing means they went away.
    void watch_eof() {
      net::async_read(sock, net::dynamic_buffer(in, max_request),
                      [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
                        self->close();
                      });
    }

    void send(std::shared_ptr<const std::string> line) {
      if (closed || !line) return;
      if (writing) {
        if (pending) srv->st.snapshots_skipped++;
        pending = std::move(line);  // skip to the latest
        return;
      }
      writing = true;
      current = std::move(line);
      std::array<net::const_buffer, 2> bufs{net::buffer(*current), net::buffer("\n", 1)};
      net::async_write(sock, bufs,
                       [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                         self->writing = false;
                         self->current.reset();
                         if (ec) return self->close();
                         if (auto next = std::move(self->pending)) {
                           self->pending.reset();
                           self->send(std::move(next));
                         }
                       });
    }

    void close() {
      if (closed) return;
      closed = true;
      if (subscriber) srv->st.subscribers--;
      srv->st.control_sessions--;
      if (monitor) {
        monitor = false;
        srv->st.monitors--;
        srv->follow_log();
      }
      boost::system::error_code ignored;
      timer.cancel();
      sock.close(ignored);
      srv->sessions.erase(self_it);  // may destroy *this once handlers drop their references
    }
  };

  net::io_context& io;
  std::string path;
  control_handlers h;
  stream::acceptor acceptor;
  std::list<std::shared_ptr<session>> sessions;
  std::size_t max_sessions = 256;
  bool at_cap = false;  // refusing sessions; logged once per spell
  const uid_t own_uid = ::geteuid();
  agent_stats st;
  bool closed = false;

  /// Forward the log to us down to the most verbose level a monitor session asked for; stop
  /// when none is left.
  void follow_log() {
    std::optional<spdlog::level::level_enum> level;
    for (const auto& s : sessions)
      if (s->monitor && !s->closed) level = std::min(level.value_or(s->log_level), s->log_level);
    if (!level || closed) return set_log_forward(nullptr, std::nullopt);
    std::weak_ptr<impl> weak = shared_from_this();
    set_log_forward(
        [weak, &ctx = io](spdlog::level::level_enum lvl, peerlib::log_line event) {
          // Any thread, under the log's lock: only post.
          net::post(ctx, [weak, lvl, line = protocol::encode_log(event)] {
            if (auto self = weak.lock()) self->log(lvl, line);
          });
        },
        level);
  }

  /// One log event (a log line of the protocol) for every monitor session that wants it.
  void log(spdlog::level::level_enum lvl, const std::string& line) {
    auto all = std::vector<std::shared_ptr<session>>(sessions.begin(), sessions.end());
    for (auto& s : all)
      if (s->monitor && lvl >= s->log_level) s->send_log(line);
  }

  /// May this peer use every op: root, or the uid the agent runs as.
  bool privileged(const peer_cred& p) const {
    return p.uid && (*p.uid == 0 || *p.uid == own_uid);
  }

  void open() {
    namespace fs = std::filesystem;
    fs::path p(path);
    if (p.has_parent_path()) {
      std::error_code ec;
      fs::create_directories(p.parent_path(), ec);
      if (ec)
        throw std::runtime_error("[publish] socket: cannot create directory " +
                                 p.parent_path().string() + ": " + ec.message());
    }
    struct stat sb {};
    if (::lstat(path.c_str(), &sb) == 0) {
      if (!S_ISSOCK(sb.st_mode))
        throw std::runtime_error("[publish] socket: " + path + " exists and is not a socket");
      if (socket_in_use(path))
        throw std::runtime_error("[publish] socket: " + path +
                                 " is in use (is another agent running?)");
      ::unlink(path.c_str());  // stale, left by an agent that died
    }
    if (path.size() >= sizeof(sockaddr_un{}.sun_path))
      throw std::runtime_error("[publish] socket: path too long (" + std::to_string(path.size()) +
                               " bytes, at most 107): " + path);
    boost::system::error_code ec;
    acceptor.open(stream(), ec);
    if (!ec) acceptor.bind(stream::endpoint(path), ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("[publish] socket: cannot listen on " + path + ": " + ec.message());
    ::chmod(path.c_str(), 0660);
  }

  void accept() {
    acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                      stream::socket sock) {
      if (self->closed || ec == net::error::operation_aborted) return;
      if (!ec && self->sessions.size() >= self->max_sessions) {
        // Full: one error line if the new socket takes it at once (a fresh socket's buffer
        // always does), then close, before reading anything. The line comes before the
        // reset a client that already wrote its request would otherwise see.
        self->st.control_sessions_rejected++;
        const std::string line =
            protocol::encode_error({"too many control sessions (" +
                                    std::to_string(self->max_sessions) +
                                    " open, [publish] max_sessions); try again later"}) +
            "\n";
        (void)::send(sock.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (!self->at_cap)
          spdlog::warn("control socket: {} sessions open ([publish] max_sessions); closing new "
                       "connections until some end",
                       self->sessions.size());
        self->at_cap = true;
        boost::system::error_code ignored;
        sock.close(ignored);
      } else if (!ec) {
        self->at_cap = false;
        auto s = std::make_shared<session>(self, std::move(sock));
        self->sessions.push_front(s);
        s->self_it = self->sessions.begin();
        self->st.control_sessions++;
        s->start();
      }
      self->accept();
    });
  }
};

control_server::control_server(boost::asio::io_context& io, std::string path, control_handlers h,
                               std::size_t max_sessions)
    : p_(std::make_shared<impl>(io, std::move(path), std::move(h))) {
  p_->max_sessions = max_sessions;
  p_->open();
}

control_server::~control_server() { close(); }

void control_server::start() { p_->accept(); }

void control_server::publish(std::shared_ptr<const std::string> line) {
  p_->st.publishes++;
  // Copy: a failing write may remove its session from the list while we iterate.
  auto subs = std::vector<std::shared_ptr<impl::session>>(p_->sessions.begin(), p_->sessions.end());
  for (auto& s : subs)
    if (s->subscriber) s->send(line);
}

void control_server::close() {
  if (!p_ || p_->closed) return;
  p_->closed = true;
  boost::system::error_code ignored;
  p_->acceptor.close(ignored);
  auto all = std::vector<std::shared_ptr<impl::session>>(p_->sessions.begin(), p_->sessions.end());
  for (auto& s : all) s->close();
  set_log_forward(nullptr, std::nullopt);
  ::unlink(p_->path.c_str());
}

const agent_stats& control_server::stats() const { return p_->st; }

}  // namespace agent
