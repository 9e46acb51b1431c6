#pragma once
// Serves http_handler over HTTP/1.1 with Boost.Beast on the agent's io_context.
// Loopback by default ([http] listen = 127.0.0.1:9101). Each request takes a
// fresh status from the provider, on the io_context thread.

#include <functional>
#include <memory>

#include "agent/config.hpp"
#include "agent/status.hpp"

namespace boost::asio {
class io_context;
}

namespace agent {

/// A small HTTP server for /health, /ready, /metrics, /v1/members.
class http_server {
 public:
  /// Bind `listen` (throws std::system_error if it cannot). `provider` is called per request.
  http_server(boost::asio::io_context& io, const host_port& listen,
              std::function<status()> provider);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Start accepting.
  void start();
  /// Stop accepting and close open connections.
  void close();
  /// The bound port (useful with port 0).
  unsigned short port() const;

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace agent
