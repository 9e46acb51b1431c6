// Beast glue around http_handler, shaped like Beast's http_server_async: an
// accept loop and one session per connection, chained through on_read and
// on_write. Everything runs on the agent's io_context thread, so the session
// set and the closed flag need no lock. Handlers check `closed` first: after
// close() every completion is shutdown noise.
//
// Limits keep a scraper or a stuck client from costing the agent much: 10 s to
// send a request (or to read our reply), 8 KiB of headers and of body, and 64
// connections at once (extra ones are closed as soon as they are accepted).

#include "agent/http_server.hpp"

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "agent/http_handler.hpp"

namespace agent {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr auto io_timeout = std::chrono::seconds(10);
constexpr std::size_t max_connections = 64;
constexpr std::size_t max_header_bytes = 8 * 1024;
constexpr std::size_t max_body_bytes = 8 * 1024;
// accept() fails with EMFILE/ENFILE while the process is out of descriptors;
// retrying at once would spin, so wait a little.
constexpr auto accept_retry = std::chrono::milliseconds(100);

/// Log a failed operation; operation_aborted is how close() cancels, so it is not news.
void fail(const beast::error_code& ec, std::string_view what) {
  if (ec == net::error::operation_aborted) return;
  spdlog::debug("http: {}: {}", what, ec.message());
}

/// Beast's category for HTTP parse errors (it has no public accessor).
const beast::error_category& http_errors() {
  return http::make_error_code(http::error::bad_target).category();
}

std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

/// Throw std::system_error for a failed start-up step.
void check(const boost::system::error_code& ec, const host_port& listen, std::string_view what) {
  if (ec) {
    throw std::system_error(std::error_code(ec),
                            "http: cannot " + std::string(what) + " " + listen.to_string());
  }
}

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& ctx, std::function<status()> p)
      : io(ctx), acceptor(ctx), retry_timer(ctx), provider(std::move(p)) {}

  net::io_context& io;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  std::function<status()> provider;
  unsigned short bound_port = 0;
  bool started = false;  ///< one accept chain, however often start() is called
  bool closed = false;

  class session;
  std::unordered_set<session*> sessions;  ///< open connections, for the cap and for close()

  /// One connection: read a request, write the response, repeat while keep-alive.
  class session : public std::enable_shared_from_this<session> {
   public:
    session(std::shared_ptr<impl> srv, tcp::socket sock)
        : server_(std::move(srv)), stream_(std::move(sock)) {
      server_->sessions.insert(this);
    }
    ~session() { server_->sessions.erase(this); }
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    void start() { do_read(); }

    /// Close the socket; pending operations complete with operation_aborted.
    void stop() { stream_.close(); }

   private:
    void do_read() {
      // A fresh parser per request: its limits and state apply to one message.
      parser_.emplace();
      parser_->header_limit(max_header_bytes);
      parser_->body_limit(max_body_bytes);
      stream_.expires_after(io_timeout);
      http::async_read(stream_, buffer_, *parser_,
                       beast::bind_front_handler(&session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
      if (server_->closed) return;
      // The client closed a keep-alive connection between requests.
      if (ec == http::error::end_of_stream) return do_shutdown();
      if (ec == http::error::body_limit || ec == http::error::header_limit) {
        return send_error(413, "request too large\n");
      }
      // A malformed request (not a cut connection) deserves an answer before we hang up.
      if (ec && ec.category() == http_errors() && ec != http::error::partial_message) {
        return send_error(400, "bad request\n");
      }
      if (ec) return fail(ec, "read");

      const auto& req = parser_->get();
      http_response r;
      try {
        r = handle_http(to_std(req.method_string()), to_std(req.target()), server_->provider());
      } catch (const std::exception& e) {
        // The provider belongs to the agent; a failure there must not take the server down.
        spdlog::warn("http: {} {}: {}", to_std(req.method_string()), to_std(req.target()),
                     e.what());
        r = http_response{500, "text/plain; charset=utf-8", "internal error\n"};
      }
      send(std::move(r), req.version(), req.keep_alive(), req.method() == http::verb::head);
    }

    void send_error(int status_code, std::string body) {
      send(http_response{status_code, "text/plain; charset=utf-8", std::move(body)}, 11, false,
           false);
    }

    void send(http_response r, unsigned version, bool keep_alive, bool head) {
      res_ = {};
      res_.version(version);
      res_.result(static_cast<unsigned>(r.status));
      res_.set(http::field::server, "cachecluster");
      res_.set(http::field::content_type, r.content_type);
      // Scrapes and probes want the current state, never a cached one.
      res_.set(http::field::cache_control, "no-store");
      if (r.status == 405) res_.set(http::field::allow, "GET, HEAD");
      res_.keep_alive(keep_alive);
      if (head) {
        // HEAD: the length GET would have, and no body.
        res_.content_length(r.body.size());
      } else {
        res_.body() = std::move(r.body);
        res_.prepare_payload();
      }
      stream_.expires_after(io_timeout);
      http::async_write(stream_, res_,
                        beast::bind_front_handler(&session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
      if (server_->closed) return;
      if (ec) return fail(ec, "write");
      if (!res_.keep_alive()) return do_shutdown();
      do_read();
    }

    void do_shutdown() {
      // Half-close so the client sees end of stream after the last response; the
      // socket itself closes when the last handler lets go of this session.
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    std::shared_ptr<impl> server_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_{max_header_bytes + max_body_bytes};
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> res_;
  };

  void accept() {
    acceptor.async_accept(
        [self = shared_from_this()](const beast::error_code& ec, tcp::socket sock) {
          if (self->closed) return;
          if (ec) {
            fail(ec, "accept");
            self->retry_timer.expires_after(accept_retry);
            self->retry_timer.async_wait([self](const beast::error_code& e) {
              if (!self->closed && !e) self->accept();
            });
            return;
          }
          if (self->sessions.size() >= max_connections) {
            spdlog::debug("http: {} connections open; closing a new one", self->sessions.size());
            beast::error_code ignored;
            sock.close(ignored);
          } else {
            std::make_shared<session>(self, std::move(sock))->start();
          }
          self->accept();
        });
  }
};

http_server::http_server(boost::asio::io_context& io, const host_port& listen,
                         std::function<status()> provider)
    : p_(std::make_shared<impl>(io, std::move(provider))) {
  boost::system::error_code ec;
  auto ip = net::ip::make_address(listen.host, ec);
  if (ec) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "http: listen address '" + listen.host + "' is not an IP address");
  }
  tcp::endpoint ep(ip, listen.port);
  auto& acc = p_->acceptor;
  acc.open(ep.protocol(), ec);
  check(ec, listen, "open a socket for");
  // Restarting the agent must not wait out TIME_WAIT connections of the old one.
  acc.set_option(net::socket_base::reuse_address(true), ec);
  check(ec, listen, "set SO_REUSEADDR on");
  acc.bind(ep, ec);
  check(ec, listen, "bind");
  acc.listen(net::socket_base::max_listen_connections, ec);
  check(ec, listen, "listen on");
  auto local = acc.local_endpoint(ec);
  check(ec, listen, "read the bound port of");
  p_->bound_port = local.port();
}

http_server::~http_server() { close(); }

void http_server::start() {
  if (p_->started || p_->closed) return;
  p_->started = true;
  p_->accept();
}

void http_server::close() {
  auto& s = *p_;
  if (s.closed) return;
  s.closed = true;
  beast::error_code ignored;
  s.acceptor.close(ignored);
  s.retry_timer.cancel();
  // Copy: a session may leave the set while we walk it.
  std::vector<impl::session*> open(s.sessions.begin(), s.sessions.end());
  for (auto* session : open) session->stop();
}

unsigned short http_server::port() const { return p_->bound_port; }

}  // namespace agent
