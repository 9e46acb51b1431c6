// sharded_cache: a small HTTP key-value cache node. Each key has one owner,
// chosen by peerlib from the local agent's live peer list; a node serves the
// keys it owns from memory and forwards the rest to their owner.
//
//   sharded_cache --listen 127.0.0.1:8080 --socket /run/cachecluster/cachecluster.sock
//                 [--algo groupcache|rendezvous]
//
//   PUT /kv/KEY (body = value)   GET /kv/KEY   GET /owner/KEY   GET /peers
//
// A forwarded request carries "X-Sharded-Cache-Hop: 1" and is always answered
// locally: while two nodes hold different peer lists each may think the other
// owns a key, and a second hop could bounce forever. One thread per connection
// keeps the example short; a production node would use an async server.

#include <utility>  // before Boost (Boost 1.74 + GCC 12 + C++20)

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "peerlib/client.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr const char* hop_header = "X-Sharded-Cache-Hop";

struct node {
  peerlib::client& peers;
  peerlib::hash_algorithm algo;
  std::mutex mu;
  std::unordered_map<std::string, std::string> store;
};

/// Split "http://host:port" into host and port; false for anything else.
bool split_url(const std::string& url, std::string& host, std::string& port) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return false;
  auto rest = url.substr(scheme.size());
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return false;
  host = rest.substr(0, colon);
  port = rest.substr(colon + 1);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  return !host.empty() && !port.empty();
}

/// Send `req` to the owner and return its answer (502 when it cannot be reached).
http::response<http::string_body> forward(const std::string& url, http::request<http::string_body> req) {
  http::response<http::string_body> res;
  std::string host, port;
  if (!split_url(url, host, port)) {
    res.result(http::status::bad_gateway);
    res.body() = "owner has no usable cache URL: " + url + "\n";
    return res;
  }
  beast::error_code ec;
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(5));
  auto endpoints = resolver.resolve(host, port, ec);
  if (!ec) stream.connect(endpoints, ec);
  req.set(hop_header, "1");
  req.set(http::field::host, host + ":" + port);
  req.prepare_payload();
  if (!ec) http::write(stream, req, ec);
  beast::flat_buffer buf;
  if (!ec) http::read(stream, buf, res, ec);
  if (ec) {
    res = {};
    res.result(http::status::bad_gateway);
    res.body() = "owner " + url + " unreachable: " + ec.message() + "\n";
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return res;
}

http::response<http::string_body> handle(node& n, const http::request<http::string_body>& req) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.set(http::field::content_type, "text/plain");
  const std::string target(req.target());
  auto view = n.peers.current();

  if (target == "/peers") {
    for (const auto& p : view->peers())
      res.body() += p.name + " " + peerlib::hash_id(p) + (view->is_self(p) ? " (self)" : "") + "\n";
    if (view->local_mode()) res.body() += "(local mode)\n";
    return res;
  }
  const bool kv = target.rfind("/kv/", 0) == 0;
  const bool who = target.rfind("/owner/", 0) == 0;
  if (!kv && !who) {
    res.result(http::status::not_found);
    res.body() = "try /kv/KEY, /owner/KEY or /peers\n";
    return res;
  }
  const std::string key = target.substr(kv ? 4 : 7);
  const peerlib::peer* owner = view->owner(key, n.algo);
  if (who) {
    res.body() = owner->name + " " + peerlib::hash_id(*owner) + "\n";
    return res;
  }
  res.set("X-Owner", owner->name);
  const bool forwarded = req.count(hop_header) > 0;
  if (!view->is_self(*owner) && !forwarded) {
    auto fwd = forward(owner->cache_url, req);
    fwd.version(req.version());
    return fwd;
  }
  std::lock_guard<std::mutex> lk(n.mu);
  if (req.method() == http::verb::put) {
    n.store[key] = req.body();
    res.body() = "stored\n";
  } else if (req.method() == http::verb::get) {
    auto it = n.store.find(key);
    if (it == n.store.end()) {
      res.result(http::status::not_found);
      res.body() = "no such key\n";
    } else {
      res.body() = it->second;
    }
  } else {
    res.result(http::status::method_not_allowed);
  }
  return res;
}

void session(node& n, tcp::socket sock) {
  beast::error_code ec;
  beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    http::read(sock, buf, req, ec);
    if (ec) break;  // closed, or a bad request: drop the connection
    auto res = handle(n, req);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(sock, res, ec);
    if (ec || !req.keep_alive()) break;
  }
  sock.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:8080";
  peerlib::client_options opts;
  peerlib::hash_algorithm algo = peerlib::hash_algorithm::groupcache;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--listen") listen = value;
    else if (flag == "--socket") opts.socket_path = value;
    else if (flag == "--name") opts.self.name = value;
    else if (flag == "--algo" && peerlib::parse_hash_algorithm(value, algo)) continue;
    else {
      std::cerr << "usage: sharded_cache --listen IP:PORT --socket PATH [--name NAME] "
                   "[--algo groupcache|rendezvous]\n";
      return 2;
    }
  }
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return std::cerr << "--listen wants IP:PORT\n", 2;
  opts.self.cache_url = "http://" + listen;  // local mode: we own everything

  peerlib::client peers(opts);
  node n{peers, algo, {}, {}};
  peers.start([](const std::shared_ptr<const peerlib::peer_set>& v) {
    std::cerr << "peers: version " << v->version() << ", " << v->size() << " peer(s)"
              << (v->local_mode() ? " (local mode)" : "") << "\n";
  });
  try {
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, {net::ip::make_address(listen.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))});
    std::cerr << "sharded_cache listening on " << listen << "\n";
    for (;;) {
      tcp::socket sock(ioc);
      acceptor.accept(sock);
      std::thread(session, std::ref(n), std::move(sock)).detach();
    }
  } catch (const std::exception& e) {
    std::cerr << "sharded_cache: " << e.what() << "\n";
    return 1;
  }
}
