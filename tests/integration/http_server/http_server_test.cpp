// http_server over real loopback sockets. Server and client share one
// io_context driven from the test thread, so nothing runs concurrently and no
// test waits on the clock: run_until() only has a generous cap so that a bug
// fails the case instead of hanging it.

#include "agent/http_server.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

#include "agent/config.hpp"
#include "agent/status.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

/// Run `io` from this thread until `done()` holds (or a safety cap passes).
template <class Pred>
bool run_until(net::io_context& io, Pred done) {
  const auto cap = std::chrono::steady_clock::now() + 20s;
  while (!done() && std::chrono::steady_clock::now() < cap) {
    if (io.stopped()) io.restart();
    io.run_one_for(100ms);
  }
  return done();
}

agent::status make_status() {
  agent::status s;
  s.node_name = "test-node";
  s.version = "0.0.0-test";
  s.ready = true;
  return s;
}

/// One client connection driven by the same io_context as the server.
class client {
 public:
  client(net::io_context& io, unsigned short port) : io_(io), stream_(io) {
    bool done = false;
    stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code e) {
                            ec_ = e;
                            done = true;
                          });
    REQUIRE(run_until(io_, [&] { return done; }));
    REQUIRE_MESSAGE(!ec_, ec_.message());
  }

  /// Send one request and read its response; nullopt (and error()) when the read fails.
  std::optional<http::response<http::string_body>> request(http::verb method,
                                                           const std::string& target,
                                                           bool keep_alive = true) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    req.prepare_payload();
    bool written = false;
    http::async_write(stream_, req, [&](beast::error_code e, std::size_t) {
      ec_ = e;
      written = true;
    });
    REQUIRE(run_until(io_, [&] { return written; }));
    if (ec_) return std::nullopt;
    return read_response(method == http::verb::head);
  }

  /// Send raw bytes (for malformed requests).
  void write_raw(const std::string& bytes) {
    bool written = false;
    net::async_write(stream_.socket(), net::buffer(bytes), [&](beast::error_code e, std::size_t) {
      ec_ = e;
      written = true;
    });
    REQUIRE(run_until(io_, [&] { return written; }));
    REQUIRE_MESSAGE(!ec_, ec_.message());
  }

  /// Read one response; nullopt (and error()) when the read fails.
  std::optional<http::response<http::string_body>> read_response(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);  // a response to HEAD has a Content-Length but no body
    bool done = false;
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) {
      ec_ = e;
      done = true;
    });
    REQUIRE(run_until(io_, [&] { return done; }));
    if (ec_) return std::nullopt;
    return parser.release();
  }

  /// True when the server has closed the connection (end of stream or reset).
  bool closed_by_server() {
    char byte = 0;
    bool done = false;
    stream_.socket().async_read_some(net::buffer(&byte, 1), [&](beast::error_code e, std::size_t) {
      ec_ = e;
      done = true;
    });
    REQUIRE(run_until(io_, [&] { return done; }));
    return ec_ == net::error::eof || ec_ == net::error::connection_reset;
  }

  beast::error_code error() const { return ec_; }

 private:
  net::io_context& io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code ec_;
};

std::string header(const http::response<http::string_body>& r, http::field f) {
  auto it = r.find(f);
  return it == r.end() ? std::string() : std::string(it->value());
}

}  // namespace

TEST_CASE("http_server: GET /health, /metrics and /nope over loopback, keep-alive") {
  net::io_context io;
  int calls = 0;
  agent::http_server server(io, {"127.0.0.1", 0}, [&] {
    ++calls;
    return make_status();
  });
  REQUIRE(server.port() != 0);
  server.start();

  client c(io, server.port());
  auto health = c.request(http::verb::get, "/health");
  REQUIRE_MESSAGE(health, c.error().message());
  CHECK(health->result_int() == 200);
  CHECK(health->body() == "ok\n");
  CHECK(header(*health, http::field::server) == "cachecluster");
  CHECK(header(*health, http::field::content_type) == "text/plain; charset=utf-8");
  CHECK(health->keep_alive());

  // Same connection: keep-alive works.
  auto metrics = c.request(http::verb::get, "/metrics?scrape=1");
  REQUIRE_MESSAGE(metrics, c.error().message());
  CHECK(metrics->result_int() == 200);
  CHECK(header(*metrics, http::field::content_type) == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics->body().find("# TYPE cachecluster_ready gauge\ncachecluster_ready 1\n") !=
        std::string::npos);
  CHECK(metrics->body().find("cachecluster_build_info{version=\"0.0.0-test\"} 1\n") !=
        std::string::npos);

  auto nope = c.request(http::verb::get, "/nope");
  REQUIRE_MESSAGE(nope, c.error().message());
  CHECK(nope->result_int() == 404);
  CHECK(nope->body() == "not found\n");

  auto members = c.request(http::verb::get, "/v1/members");
  REQUIRE_MESSAGE(members, c.error().message());
  CHECK(members->result_int() == 200);
  CHECK(header(*members, http::field::content_type) == "application/json");
  CHECK(members->body().find("\"node\":\"test-node\"") != std::string::npos);

  CHECK(calls == 4);  // a fresh status per request
  server.close();
}

TEST_CASE("http_server: Connection: close is honoured") {
  net::io_context io;
  agent::http_server server(io, {"127.0.0.1", 0}, make_status);
  server.start();

  client c(io, server.port());
  auto r = c.request(http::verb::get, "/ready", false);
  REQUIRE_MESSAGE(r, c.error().message());
  CHECK(r->result_int() == 200);
  CHECK(r->body() == "ready\n");
  CHECK(!r->keep_alive());
  CHECK(c.closed_by_server());
}

TEST_CASE("http_server: HEAD has the length but no body; POST gets 405 with Allow") {
  net::io_context io;
  agent::http_server server(io, {"127.0.0.1", 0}, make_status);
  server.start();

  client c(io, server.port());
  auto head = c.request(http::verb::head, "/health");
  REQUIRE_MESSAGE(head, c.error().message());
  CHECK(head->result_int() == 200);
  CHECK(header(*head, http::field::content_length) == "3");
  CHECK(head->body().empty());

  // The connection is still in step after a HEAD: the next response parses.
  auto post = c.request(http::verb::post, "/health");
  REQUIRE_MESSAGE(post, c.error().message());
  CHECK(post->result_int() == 405);
  CHECK(header(*post, http::field::allow) == "GET, HEAD");
}

TEST_CASE("http_server: malformed and oversized requests get 400 and 413, then close") {
  net::io_context io;
  agent::http_server server(io, {"127.0.0.1", 0}, make_status);
  server.start();

  {
    client c(io, server.port());
    c.write_raw("NOT HTTP AT ALL\r\n\r\n");
    auto r = c.read_response();
    REQUIRE_MESSAGE(r, c.error().message());
    CHECK(r->result_int() == 400);
    CHECK(!r->keep_alive());
    CHECK(c.closed_by_server());
  }
  {
    client c(io, server.port());
    c.write_raw("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    auto r = c.read_response();
    REQUIRE_MESSAGE(r, c.error().message());
    CHECK(r->result_int() == 413);
    CHECK(c.closed_by_server());
  }
  {
    client c(io, server.port());
    c.write_raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
    auto r = c.read_response();
    REQUIRE_MESSAGE(r, c.error().message());
    CHECK(r->result_int() == 413);
  }
}

TEST_CASE("http_server: a provider that throws gives 500 and the server keeps serving") {
  net::io_context io;
  bool fail = true;
  agent::http_server server(io, {"127.0.0.1", 0}, [&]() -> agent::status {
    if (fail) throw std::runtime_error("no status yet");
    return make_status();
  });
  server.start();

  client c(io, server.port());
  auto r = c.request(http::verb::get, "/metrics");
  REQUIRE_MESSAGE(r, c.error().message());
  CHECK(r->result_int() == 500);
  fail = false;
  r = c.request(http::verb::get, "/health");
  REQUIRE_MESSAGE(r, c.error().message());
  CHECK(r->result_int() == 200);
}

TEST_CASE("http_server: connections over the cap are closed, the others keep working") {
  net::io_context io;
  agent::http_server server(io, {"127.0.0.1", 0}, make_status);
  server.start();

  // A request on each proves the server has accepted it and holds it open.
  std::vector<std::unique_ptr<client>> open;
  for (int i = 0; i < 64; ++i) {
    open.push_back(std::make_unique<client>(io, server.port()));
    auto r = open.back()->request(http::verb::get, "/health");
    REQUIRE_MESSAGE(r, open.back()->error().message());
  }
  client extra(io, server.port());  // the kernel completes the handshake; the server closes it
  CHECK(extra.closed_by_server());

  auto r = open.front()->request(http::verb::get, "/health");
  REQUIRE_MESSAGE(r, open.front()->error().message());
  CHECK(r->result_int() == 200);

  // Once one closes, a new connection gets in.
  open.pop_back();
  auto again = std::make_unique<client>(io, server.port());
  std::optional<http::response<http::string_body>> ok;
  // The server may not have noticed the close yet; retry on a fresh connection until it has.
  for (int attempt = 0; attempt < 100 && !ok; ++attempt) {
    ok = again->request(http::verb::get, "/health");
    if (!ok) again = std::make_unique<client>(io, server.port());
  }
  REQUIRE(ok);
  CHECK(ok->result_int() == 200);
}

TEST_CASE("http_server: close() ends open connections and leaves no work behind") {
  net::io_context io;
  auto server =
      std::make_unique<agent::http_server>(io, agent::host_port{"127.0.0.1", 0}, make_status);
  server->start();

  client c(io, server->port());
  auto r = c.request(http::verb::get, "/health");
  REQUIRE(r);

  server->close();
  CHECK(c.closed_by_server());
  server.reset();
  // Nothing of the server is pending any more: run() returns by itself.
  io.restart();
  io.run_for(5s);
  CHECK(io.stopped());
}

TEST_CASE("http_server: bind errors throw std::system_error") {
  net::io_context io;
  agent::http_server first(io, {"127.0.0.1", 0}, make_status);
  CHECK_THROWS_AS(agent::http_server(io, {"127.0.0.1", first.port()}, make_status),
                  std::system_error);
  CHECK_THROWS_AS(agent::http_server(io, {"not-an-ip", 0}, make_status), std::system_error);
  // 192.0.2.1 (TEST-NET-1) is not an address of this host.
  CHECK_THROWS_AS(agent::http_server(io, {"192.0.2.1", 0}, make_status), std::system_error);
}
