// curl_http_client and proxies: API clients honour HTTPS_PROXY / http_proxy / NO_PROXY
// from the environment (libcurl's default), the metadata server's clients
// (curl_options::no_proxy) never use a proxy. The "proxy" is a loopback listener that
// records the request line it receives; nothing leaves 127.0.0.0/8.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gce/curl_http_client.hpp"

using namespace std::chrono_literals;

namespace {

/// Accepts connections on 127.0.0.1:PORT for its lifetime and records the first line of
/// each request; answers a GET with 200 "via proxy" and a CONNECT with 403.
class recording_proxy {
 public:
  recording_proxy() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~recording_proxy() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> l(m_);
    return lines_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[1024];
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        const auto n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      const std::string first = req.substr(0, req.find("\r\n"));
      {
        std::lock_guard<std::mutex> l(m_);
        lines_.push_back(first);
      }
      const std::string reply =
          first.starts_with("CONNECT")
              ? "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
              : "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy";
      (void)!::write(c, reply.data(), reply.size());
      ::close(c);
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex m_;
  std::vector<std::string> lines_;
};

/// Sets environment variables for one scope and removes them after.
struct scoped_env {
  std::vector<std::string> names;
  scoped_env(std::initializer_list<std::pair<const char*, std::string>> vars) {
    for (const auto& [k, v] : vars) {
      ::setenv(k, v.c_str(), 1);
      names.emplace_back(k);
    }
  }
  ~scoped_env() {
    for (const auto& n : names) ::unsetenv(n.c_str());
  }
};

// Port 9 of 127.0.0.9: nothing listens there, so a request that bypasses the proxy is refused.
constexpr const char* target_http = "http://127.0.0.9:9/compute/v1/projects/p/zones/z/instances";
constexpr const char* target_https = "https://127.0.0.9:9/compute/v1/projects/p/zones/z/instances";

}  // namespace

TEST_CASE("proxy: an API client sends https:// through HTTPS_PROXY (a CONNECT tunnel)") {
  recording_proxy proxy;
  scoped_env env{{"HTTPS_PROXY", proxy.url()}};
  gce::curl_http_client http;
  const auto r = http.get(target_https, {}, 5s);
  CHECK(r.status == 0);  // the proxy refused the tunnel
  REQUIRE(proxy.lines().size() == 1);
  CHECK(proxy.lines()[0] == "CONNECT 127.0.0.9:9 HTTP/1.1");
}

TEST_CASE("proxy: an API client sends http:// through http_proxy") {
  recording_proxy proxy;
  scoped_env env{{"http_proxy", proxy.url()}};
  gce::curl_http_client http;
  const auto r = http.get(target_http, {}, 5s);
  CHECK(r.status == 200);
  CHECK(r.body == "via proxy");
  REQUIRE(proxy.lines().size() == 1);
  CHECK(proxy.lines()[0] == std::string("GET ") + target_http + " HTTP/1.1");
}

TEST_CASE("proxy: NO_PROXY sends the request direct") {
  recording_proxy proxy;
  scoped_env env{{"HTTPS_PROXY", proxy.url()}, {"http_proxy", proxy.url()}, {"NO_PROXY", "127.0.0.9"}};
  gce::curl_http_client http;
  CHECK(http.get(target_http, {}, 5s).status == 0);   // refused: nothing listens there
  CHECK(http.get(target_https, {}, 5s).status == 0);
  CHECK(proxy.lines().empty());
}

TEST_CASE("proxy: a metadata client (no_proxy) never uses the environment's proxy") {
  recording_proxy proxy;
  scoped_env env{{"HTTPS_PROXY", proxy.url()}, {"http_proxy", proxy.url()}, {"ALL_PROXY", proxy.url()}};
  gce::curl_options o;
  o.no_proxy = true;
  gce::curl_http_client md(o);
  const auto r = md.get("http://127.0.0.9:9/computeMetadata/v1/instance/name", {}, 5s);
  CHECK(r.status == 0);
  CHECK(proxy.lines().empty());
  // The same request from an API client does go to the proxy.
  gce::curl_http_client api;
  CHECK(api.get("http://127.0.0.9:9/computeMetadata/v1/instance/name", {}, 5s).status == 200);
  CHECK(proxy.lines().size() == 1);
}
