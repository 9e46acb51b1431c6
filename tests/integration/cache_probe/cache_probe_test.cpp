// agent::cache_probe over real loopback sockets and real child processes: a TCP
// connect, an HTTP GET against a tiny server on the same io_context (2xx passes,
// anything else, garbage, silence and a closed connection fail), and exec:
// commands (exit 0 passes; an exit status, a hang past the timeout, fail, and
// the command's last line of stderr comes back for the log). Driven from the
// test thread; run_until() only has a generous cap so a bug fails instead of hanging.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/cache_probe.hpp"

#include <boost/asio.hpp>
#include <chrono>
#include <doctest/doctest.h>
#include <memory>
#include <optional>
#include <string>

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

template <class Pred>
bool run_until(net::io_context& io, Pred done) {
  const auto cap = std::chrono::steady_clock::now() + 20s;
  while (!done() && std::chrono::steady_clock::now() < cap) {
    if (io.stopped()) io.restart();
    io.run_one_for(100ms);
  }
  return done();
}

struct outcome {
  bool ok = false;
  std::string detail;
};

/// Run one probe of `url` to its end.
outcome probe(net::io_context& io, const std::string& url, std::chrono::milliseconds limit = 2s) {
  auto target = agent::parse_check_target(url);
  REQUIRE(target);
  agent::cache_probe p(io, *target, limit);
  std::optional<outcome> got;
  p.run([&](bool ok, std::string detail) { got = outcome{ok, std::move(detail)}; });
  REQUIRE(run_until(io, [&] { return got.has_value(); }));
  return *got;
}

/// A one-shot HTTP server on 127.0.0.1: answers each connection with `reply` (nothing
/// when empty) once a request arrived, then closes (or holds the connection when `hold`).
class tiny_server {
 public:
  tiny_server(net::io_context& io, std::string reply, bool hold = false)
      : acceptor_(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
        reply_(std::move(reply)),
        hold_(hold) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::string& request() const { return request_; }

 private:
  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (ec) return;
      sock_ = std::make_shared<tcp::socket>(std::move(s));
      net::async_read_until(
          *sock_, buf_, "\r\n\r\n", [this](const boost::system::error_code& e, std::size_t n) {
            if (e) return;
            request_.assign(net::buffers_begin(buf_.data()), net::buffers_begin(buf_.data()) + n);
            if (hold_) return;
            net::async_write(
                *sock_, net::buffer(reply_),
                [this](const boost::system::error_code&, std::size_t) { sock_->close(); });
          });
      accept();
    });
  }

  tcp::acceptor acceptor_;
  std::string reply_;
  bool hold_;
  std::shared_ptr<tcp::socket> sock_;
  net::streambuf buf_;
  std::string request_;
};

/// A loopback port nobody listens on (bound, then released).
std::uint16_t closed_port(net::io_context& io) {
  tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace

TEST_CASE("cache_probe: tcp passes on a connect and fails on a refusal") {
  net::io_context io;
  tcp::acceptor listening(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto port = std::to_string(listening.local_endpoint().port());
  auto up = probe(io, "tcp://127.0.0.1:" + port);
  CHECK(up.ok);
  CHECK(up.detail == "connected");

  auto down = probe(io, "tcp://127.0.0.1:" + std::to_string(closed_port(io)));
  CHECK_FALSE(down.ok);
  CHECK(down.detail.find("connect 127.0.0.1:") == 0);
  CHECK(down.detail.find("refused") != std::string::npos);

  auto by_name = probe(io, "tcp://localhost:" + port);
  CHECK(by_name.ok);
}

TEST_CASE("cache_probe: http passes on 2xx only, sends a proper GET") {
  net::io_context io;
  tiny_server ok(io, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
  auto r = probe(io, "http://127.0.0.1:" + std::to_string(ok.port()) + "/healthz?deep=1");
  CHECK(r.ok);
  CHECK(r.detail == "HTTP 204 No Content");
  CHECK(ok.request().find("GET /healthz?deep=1 HTTP/1.1\r\n") == 0);
  CHECK(ok.request().find("\r\nHost: 127.0.0.1:" + std::to_string(ok.port()) + "\r\n") !=
        std::string::npos);

  tiny_server busy(io, "HTTP/1.0 503 Service Unavailable\r\n\r\nbusy");
  r = probe(io, "http://127.0.0.1:" + std::to_string(busy.port()) + "/");
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "HTTP 503 Service Unavailable");

  tiny_server garbage(io, "SSH-2.0-OpenSSH_9.2\r\n");
  r = probe(io, "http://127.0.0.1:" + std::to_string(garbage.port()));
  CHECK_FALSE(r.ok);
  CHECK(r.detail.find("not an HTTP status line") == 0);

  tiny_server closes(io, "");
  r = probe(io, "http://127.0.0.1:" + std::to_string(closes.port()));
  CHECK_FALSE(r.ok);
  CHECK(r.detail.find("connection closed") != std::string::npos);

  tiny_server silent(io, "", /*hold=*/true);
  r = probe(io, "http://127.0.0.1:" + std::to_string(silent.port()), 200ms);
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "timed out after 200ms (waiting for the status line)");

  r = probe(io, "http://127.0.0.1:" + std::to_string(closed_port(io)));
  CHECK_FALSE(r.ok);
  CHECK(r.detail.find("refused") != std::string::npos);
}

TEST_CASE("cache_probe: exec passes on exit 0, fails on a status or a hang, says why") {
  net::io_context io;
  auto r = probe(io, "exec:test 1 -eq 1");
  CHECK(r.ok);

  r = probe(io, "exec:echo 'no answer on 11211' >&2; exit 3");
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "exit 3: no answer on 11211");

  // Killed at the timeout (the runner reports a timeout only once it killed the group).
  r = probe(io, "exec:sleep 30", 200ms);
  CHECK_FALSE(r.ok);
  CHECK(r.detail.find("timed out after 200ms") == 0);
}

TEST_CASE("cache_probe: a probe abandoned mid-way never calls back") {
  net::io_context io;
  tiny_server silent(io, "", /*hold=*/true);
  bool called = false;
  {
    agent::cache_probe p(
        io, *agent::parse_check_target("http://127.0.0.1:" + std::to_string(silent.port())), 5s);
    p.run([&](bool, std::string) { called = true; });
    io.run_for(50ms);
  }
  io.restart();
  io.run_for(100ms);
  CHECK_FALSE(called);
}
