// kubernetes-emulator: the Kubernetes API subset discovery reads (pods by label
// selector, watches, pods/NAME, nodes/NAME) on loopback, for tests and demos.
// One thread per connection, blocking sockets, `Connection: close`; a watch is a
// chunked response that streams one event line per change until its
// timeoutSeconds, POST /admin/close_watches, or shutdown. The model is
// k8s_state (pure); this file only moves bytes.
//
//   kubernetes-emulator --fixture FILE [--listen 127.0.0.1:0]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "discovery/emulator/k8s_state.hpp"

namespace {

namespace k8s = discovery::k8s_emulator;

std::atomic<bool> stopping{false};
std::mutex mu;
std::condition_variable changed;
k8s::state cluster;

void on_signal(int) { stopping = true; }

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

const char* reason(int code) {
  switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 410: return "Gone";
    default: return code >= 500 ? "Server Error" : "Error";
  }
}

bool send_response(int fd, const k8s::response& r) {
  return send_all(fd, "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) +
                          "\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" + r.body);
}

bool send_chunk(int fd, const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return send_all(fd, std::string(size) + data + "\r\n");
}

/// Read one request (headers and a Content-Length body) within 10 s; false on a bad one.
bool read_request(int fd, k8s::request& req) {
  std::string buf;
  char chunk[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::size_t head_end = std::string::npos;
  std::size_t need = 0;
  while (true) {
    if (head_end == std::string::npos && (head_end = buf.find("\r\n\r\n")) != std::string::npos) {
      std::istringstream lines(buf.substr(0, head_end));
      std::string line;
      std::getline(lines, line);
      std::istringstream first(line);
      std::string version;
      first >> req.method >> req.target >> version;
      while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        req.headers.emplace_back(line.substr(0, colon), value);
      }
      if (auto cl = req.header("content-length")) need = std::stoul(*cl);
      if (need > (1u << 20)) return false;
    }
    if (head_end != std::string::npos && buf.size() >= head_end + 4 + need) {
      req.body = buf.substr(head_end + 4, need);
      return !req.method.empty();
    }
    if (buf.size() > (2u << 20) || std::chrono::steady_clock::now() > deadline) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
}

void stream_watch(int fd, const k8s::watch_request& w) {
  if (!send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"))
    return;
  std::uint64_t from = w.from;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(w.timeout_seconds);
  std::unique_lock<std::mutex> lock(mu);
  const auto generation = cluster.close_generation();
  cluster.open_watches++;
  while (true) {
    bool gone = false;
    auto lines = cluster.events_since(w, from, gone);
    lock.unlock();
    bool ok = true;
    for (const auto& l : lines) ok = ok && send_chunk(fd, l + "\n");
    lock.lock();
    if (!ok || gone) break;
    changed.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200)));
    if (stopping || cluster.close_generation() != generation ||
        std::chrono::steady_clock::now() >= deadline)
      break;
    // A client that went away: a zero-byte peek says the peer closed.
    pollfd p{fd, POLLIN, 0};
    char c;
    if (::poll(&p, 1, 0) > 0 && ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) break;
  }
  cluster.open_watches--;
  lock.unlock();
  send_all(fd, "0\r\n\r\n");
}

void serve(int fd) {
  k8s::request req;
  if (read_request(fd, req)) {
    std::unique_lock<std::mutex> lock(mu);
    auto start = cluster.start_watch(req);
    if (start.is_watch && !start.refusal) {
      lock.unlock();
      stream_watch(fd, start.w);
    } else {
      k8s::response r = start.is_watch ? *start.refusal : cluster.handle(req);
      lock.unlock();
      changed.notify_all();
      send_response(fd, r);
    }
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0", fixture;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--listen" && i + 1 < argc) listen = argv[++i];
    else if (a == "--fixture" && i + 1 < argc) fixture = argv[++i];
    else {
      std::cerr << "usage: kubernetes-emulator --fixture FILE [--listen IP:PORT]\n";
      return 2;
    }
  }
  std::string error;
  nlohmann::json doc = nlohmann::json::object();
  if (!fixture.empty()) {
    std::ifstream in(fixture);
    doc = nlohmann::json::parse(in, nullptr, false);
  }
  if (doc.is_discarded() || !cluster.load(doc, error)) {
    std::cerr << "kubernetes-emulator: " << fixture << ": " << (error.empty() ? "bad JSON" : error) << "\n";
    return 1;
  }
  const auto colon = listen.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1))));
  if (colon == std::string::npos || ::inet_pton(AF_INET, listen.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    std::cerr << "kubernetes-emulator: --listen must be IPv4:PORT\n";
    return 2;
  }
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 64) != 0) {
    std::cerr << "kubernetes-emulator: cannot listen on " << listen << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::cout << "kubernetes-emulator listening on " << listen.substr(0, colon) << ":" << ntohs(addr.sin_port)
            << std::endl;
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  while (!stopping) {
    pollfd p{lfd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept(lfd, nullptr, nullptr);
    if (fd >= 0) std::thread(serve, fd).detach();
  }
  changed.notify_all();
  ::close(lfd);
  return 0;
}
