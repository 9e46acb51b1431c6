#include "agent/cache_probe.hpp"

#include <string_view>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include <boost/asio.hpp>

#include "agent/command_runner.hpp"
#include "agent/config.hpp"
#include "util/host_port.hpp"

namespace agent {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// The last non-empty line of `text`, at most 200 bytes: what a failing command said.
std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (auto nl = text.rfind('\n'); nl != std::string_view::npos) text = text.substr(nl + 1);
  if (text.size() > 200) text = text.substr(0, 200);
  return std::string(text);
}

/// The status code of an HTTP/1.x status line ("HTTP/1.1 200 OK"), or -1.
int status_code(std::string_view line) {
  if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ') return -1;
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    code = code * 10 + (line[i] - '0');
  }
  return line.size() == 12 || line[12] == ' ' ? code : -1;
}

}  // namespace

struct cache_probe::attempt : std::enable_shared_from_this<attempt> {
  attempt(net::io_context& io, const check_target& t)
      : resolver(io), socket(io), timer(io), where(util::join_host_port(t.host, t.port)) {}

  tcp::resolver resolver;
  tcp::socket socket;
  net::steady_timer timer;
  net::streambuf reply{4096};       ///< the status line must fit
  std::string where;                ///< "HOST:PORT", for messages
  std::string request;              ///< http: the GET; empty for tcp
  std::string phase = "resolving";  ///< what a timeout interrupted
  done_fn done;
  bool finished = false;

  // Resolve, connect, and for http send the request and read the status line.
  void start(const check_target& t, std::chrono::milliseconds limit) {
    auto self = shared_from_this();
    timer.expires_after(limit);
    timer.async_wait([self, limit](const boost::system::error_code& ec) {
      if (ec) return;
      self->finish(false, "timed out after " + format_duration(limit) + " (" + self->phase + ")");
    });
    resolver.async_resolve(t.host, std::to_string(t.port), tcp::resolver::numeric_service,
                           [self, host = t.host](const boost::system::error_code& ec,
                                                 const tcp::resolver::results_type& results) {
                             if (self->finished) return;
                             if (ec)
                               return self->finish(false, "resolve " + host + ": " + ec.message());
                             self->connect(results);
                           });
  }

  void connect(const tcp::resolver::results_type& results) {
    phase = "connecting";
    net::async_connect(
        socket, results,
        [self = shared_from_this()](const boost::system::error_code& ec, const tcp::endpoint&) {
          if (self->finished) return;
          if (ec) return self->finish(false, "connect " + self->where + ": " + ec.message());
          if (self->request.empty()) return self->finish(true, "connected");
          self->send();
        });
  }

  void send() {
    phase = "waiting for the status line";
    net::async_write(socket, net::buffer(request),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       if (self->finished) return;
                       if (ec)
                         return self->finish(false, "send to " + self->where + ": " + ec.message());
                       self->read_status();
                     });
  }

  void read_status() {
    net::async_read_until(
        socket, reply, "\r\n",
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (self->finished) return;
          if (ec) {
            return self->finish(false,
                                "no status line from " + self->where + ": " +
                                    (ec == net::error::eof ? "connection closed" : ec.message()));
          }
          std::string line(net::buffers_begin(self->reply.data()),
                           net::buffers_begin(self->reply.data()) + n);
          while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
          const int code = status_code(line);
          if (code < 0) return self->finish(false, "not an HTTP status line from " + self->where);
          self->finish(code >= 200 && code < 300, "HTTP " + line.substr(9));
        });
  }

  /// Report once, and release the socket, the resolver and the timer.
  void finish(bool ok, std::string detail) {
    if (finished) return;
    finished = true;
    boost::system::error_code ec;
    timer.cancel(ec);
    resolver.cancel();
    socket.close(ec);
    auto cb = std::move(done);
    done = nullptr;
    if (cb) cb(ok, std::move(detail));
  }
};

cache_probe::cache_probe(net::io_context& io, check_target target,
                         std::chrono::milliseconds timeout)
    : io_(io), target_(std::move(target)), timeout_(timeout) {
  if (target_.kind == check_kind::exec) runner_ = std::make_unique<command_runner>(io_);
}

cache_probe::~cache_probe() {
  if (current_) {
    current_->done = nullptr;  // abandoned: nobody to tell
    current_->finish(false, {});
  }
  // runner_'s destructor kills and reaps a command still running.
}

void cache_probe::run(done_fn done) {
  if (target_.kind == check_kind::exec) {
    command_spec spec;
    spec.command = target_.command;
    spec.timeout = timeout_;
    runner_->run(std::move(spec), [done = std::move(done)](command_result r) {
      std::string detail = r.describe();
      if (!r.ok()) {
        std::string said = last_line(r.err.empty() ? r.out : r.err);
        if (!said.empty()) detail += ": " + said;
      }
      done(r.ok(), std::move(detail));
    });
    return;
  }

  auto a = std::make_shared<attempt>(io_, target_);
  current_ = a;
  a->done = std::move(done);
  if (target_.kind == check_kind::http) {
    a->request = "GET " + target_.path +
                 " HTTP/1.1\r\nHost: " + (target_.port == 80 ? target_.host : a->where) +
                 "\r\nUser-Agent: cachecluster/" CACHECLUSTER_VERSION
                 "\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  }
  a->start(target_, timeout_);
}

}  // namespace agent
