// peerlib::client against a fake agent on a temporary Unix socket: snapshots and
// callbacks, bad input, reconnection with back-off, local mode before the agent
// is up and after it goes away (and keep_last_on_loss), both driving modes.
// Timeouts are generous upper bounds; only the predicates decide.

#include "peerlib/client.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "support/process.hpp"

using namespace peerlib;
using namespace std::chrono_literals;

namespace {

/// A stand-in for the agent's socket: accept, read the request, write lines.
class fake_agent {
 public:
  explicit fake_agent(std::string path) : path_(std::move(path)) { listen(); }
  ~fake_agent() {
    drop();
    close_listener();
  }

  void listen() {
    lfd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path_.c_str(), path_.size());
    ::unlink(path_.c_str());
    REQUIRE(::bind(lfd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(lfd_, 8) == 0);
  }
  void close_listener() {
    if (lfd_ >= 0) ::close(lfd_), lfd_ = -1;
    ::unlink(path_.c_str());
  }
  /// Accept one client (while `pump` runs the client) and read its request line.
  bool accept(const std::function<void()>& pump, std::string* request = nullptr) {
    for (int i = 0; i < 200 && cfd_ < 0; ++i) {
      pump();
      pollfd p{lfd_, POLLIN, 0};
      if (::poll(&p, 1, 25) > 0) cfd_ = ::accept(lfd_, nullptr, nullptr);
    }
    if (cfd_ < 0) return false;
    std::string line;
    char c;
    for (int i = 0; i < 200 && line.find('\n') == std::string::npos; ++i) {
      pollfd p{cfd_, POLLIN, 0};
      if (::poll(&p, 1, 25) > 0 && ::read(cfd_, &c, 1) == 1) line += c;
    }
    if (request) *request = line;
    return !line.empty();
  }
  void send(const std::string& data) {
    REQUIRE(cfd_ >= 0);
    REQUIRE(::send(cfd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
  }
  void drop() {
    if (cfd_ >= 0) ::close(cfd_), cfd_ = -1;
  }

 private:
  std::string path_;
  int lfd_ = -1;
  int cfd_ = -1;
};

peer make_peer(const std::string& name) {
  peer p;
  p.name = name;
  p.address = "10.0.0." + std::to_string(name.back() - '0' + 1);
  p.port = 7946;
  p.cache_port = 8080;
  p.cache_url = "http://" + p.address + ":8080";
  p.zone = "z" + std::string(1, name.back());
  return p;
}

std::string snapshot_line(std::uint64_t version, const std::vector<std::string>& names) {
  snapshot s;
  s.version = version;
  s.local_mode = false;
  s.self = make_peer(names.front());
  for (const auto& n : names) s.peers.push_back(make_peer(n));
  return protocol::encode_snapshot(s) + "\n";
}

/// Drive a non-blocking client until `pred` holds (true) or `timeout` passes (false).
bool pump_until(client& c, const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd p{c.fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    c.process();
  }
  return true;
}

client_options options(const std::string& path) {
  client_options o;
  o.socket_path = path;
  o.self = make_peer("n9");
  o.grace_period = 300ms;
  o.backoff_min = 10ms;
  o.backoff_max = 50ms;
  return o;
}

}  // namespace

TEST_CASE("client: local mode while no agent runs; back-off retries counted") {
  test_support::temp_dir dir("peerlib");
  client c(options((dir / "none.sock").string()));
  REQUIRE(c.fd() >= 0);
  auto v = c.current();
  REQUIRE(v);
  CHECK(v->local_mode());
  REQUIRE(v->size() == 1);
  CHECK(v->self().name == "n9");
  CHECK(v->owner("any")->name == "n9");
  CHECK(pump_until(c, [&] { return c.status().connect_failures >= 3; }));
  auto st = c.status();
  CHECK_FALSE(st.connected);
  CHECK(st.local_mode);
  CHECK(st.last_error.find("none.sock") != std::string::npos);
  CHECK(c.current() == v);  // nothing new to publish

  client_options bad = options(std::string(200, 'x'));
  client c2(bad);
  c2.process();
  CHECK(c2.status().last_error.find("longer than") != std::string::npos);
  client_options dflt;
  CHECK_FALSE(client(dflt).current()->self().name.empty());  // host name by default
  // Local mode gives groupcache's HTTPPool.Set a URL: self's, or one composed from its
  // address and cache port; without either, the name (docs/peerlib.md says to set one).
  CHECK(client(dflt).current()->hash_ids() ==
        std::vector<std::string>{client(dflt).current()->self().name});
  client_options with_port = options((dir / "none.sock").string());
  with_port.self.address = "10.0.0.9";
  with_port.self.cache_port = 8080;
  with_port.self.cache_url.clear();
  CHECK(client(with_port).current()->hash_ids() == std::vector<std::string>{"http://10.0.0.9:8080"});
  with_port.self.address = "fd00::9";
  CHECK(client(with_port).current()->hash_ids() == std::vector<std::string>{"http://[fd00::9]:8080"});
  with_port.self.cache_url = "http://cache-9:8080";
  CHECK(client(with_port).current()->hash_ids() == std::vector<std::string>{"http://cache-9:8080"});
}

TEST_CASE("client: non-blocking mode gets the snapshot and every change; bad lines are counted") {
  test_support::temp_dir dir("peerlib");
  auto path = (dir / "a.sock").string();
  fake_agent agent(path);
  client c(options(path));
  std::vector<std::shared_ptr<const peer_set>> seen;
  c.set_callback([&](const std::shared_ptr<const peer_set>& v) { seen.push_back(v); });
  std::string request;
  REQUIRE(agent.accept([&] { c.process(); }, &request));
  CHECK(request == "{\"op\":\"subscribe\"}\n");
  agent.send(snapshot_line(1, {"n1", "n2"}));
  REQUIRE(pump_until(c, [&] { return seen.size() == 1; }));
  CHECK(seen[0]->version() == 1);
  CHECK_FALSE(seen[0]->local_mode());
  CHECK(seen[0]->size() == 2);
  CHECK(c.current() == seen[0]);
  CHECK(c.status().connected);

  // Two lines in one write, and one split across writes.
  auto l3 = snapshot_line(3, {"n1", "n2", "n3"});
  agent.send(snapshot_line(2, {"n1"}) + l3.substr(0, 10));
  REQUIRE(pump_until(c, [&] { return seen.size() == 2; }));
  agent.send(l3.substr(10));
  REQUIRE(pump_until(c, [&] { return seen.size() == 3; }));
  CHECK(seen[1]->version() == 2);
  CHECK(seen[2]->version() == 3);
  CHECK(seen[2]->size() == 3);
  CHECK(seen[2]->generation() > seen[1]->generation());

  agent.send("not json\n{\"type\":\"error\",\"message\":\"x\"}\n\r\n");
  agent.send(snapshot_line(4, {"n2"}));
  REQUIRE(pump_until(c, [&] { return seen.size() == 4; }));
  auto st = c.status();
  CHECK(st.bad_lines == 2);
  CHECK(st.snapshots == 4);
  CHECK(st.version == 4);
  CHECK(st.connected);
  CHECK(st.last_error.find("bad line") != std::string::npos);
}

TEST_CASE("client: agent restart reconnects; past the grace period the view is local") {
  test_support::temp_dir dir("peerlib");
  auto path = (dir / "a.sock").string();
  auto agent = std::make_unique<fake_agent>(path);
  auto opts = options(path);
  opts.grace_period = 400ms;
  client c(opts);
  REQUIRE(agent->accept([&] { c.process(); }));
  agent->send(snapshot_line(5, {"n1", "n2", "n3"}));
  REQUIRE(pump_until(c, [&] { return c.status().snapshots == 1; }));
  CHECK_FALSE(c.current()->local_mode());

  // The agent dies: the last list stays within the grace period, then local mode.
  agent.reset();
  auto lost_at = std::chrono::steady_clock::now();
  REQUIRE(pump_until(c, [&] { return !c.status().connected; }));
  CHECK_FALSE(c.current()->local_mode());
  REQUIRE(pump_until(c, [&] { return c.current()->local_mode(); }));
  CHECK(std::chrono::steady_clock::now() - lost_at >= 390ms);
  CHECK(c.current()->size() == 1);
  CHECK(c.current()->self().name == "n1");  // the agent's view of us, kept from the last snapshot
  CHECK(c.status().connect_failures >= 1);

  // It comes back (version restarts at 1): reconnect and leave local mode.
  agent = std::make_unique<fake_agent>(path);
  REQUIRE(agent->accept([&] { c.process(); }));
  agent->send(snapshot_line(1, {"n1", "n2"}));
  REQUIRE(pump_until(c, [&] { return !c.current()->local_mode(); }));
  auto st = c.status();
  CHECK(st.connects == 2);
  CHECK(st.reconnects == 1);
  CHECK(st.version == 1);
  CHECK(c.current()->size() == 2);
}

TEST_CASE("client: a short outage within the grace period keeps the list") {
  test_support::temp_dir dir("peerlib");
  auto path = (dir / "a.sock").string();
  fake_agent agent(path);
  auto opts = options(path);
  opts.grace_period = 5s;
  client c(opts);
  int updates = 0;
  c.set_callback([&](const std::shared_ptr<const peer_set>&) { ++updates; });
  REQUIRE(agent.accept([&] { c.process(); }));
  agent.send(snapshot_line(1, {"n1", "n2"}));
  REQUIRE(pump_until(c, [&] { return updates == 1; }));
  agent.drop();  // the connection breaks, the socket still listens
  REQUIRE(agent.accept([&] { c.process(); }));
  agent.send(snapshot_line(2, {"n1", "n2"}));
  REQUIRE(pump_until(c, [&] { return updates == 2; }));
  CHECK(c.status().reconnects == 1);
  CHECK_FALSE(c.current()->local_mode());
}

TEST_CASE("client: keep_last_on_loss keeps the last list past the grace period") {
  test_support::temp_dir dir("peerlib");
  auto path = (dir / "a.sock").string();
  auto agent = std::make_unique<fake_agent>(path);
  auto opts = options(path);
  opts.grace_period = 100ms;
  opts.keep_last_on_loss = true;
  client c(opts);
  REQUIRE(agent->accept([&] { c.process(); }));
  agent->send(snapshot_line(1, {"n1", "n2", "n3"}));
  REQUIRE(pump_until(c, [&] { return c.status().snapshots == 1; }));
  auto last = c.current();
  agent.reset();
  REQUIRE(pump_until(c, [&] { return c.status().connect_failures >= 3; }));
  // Well past the grace period.
  pump_until(c, [] { return false; }, 300ms);
  CHECK(c.current() == last);
  CHECK_FALSE(c.current()->local_mode());
  CHECK_FALSE(c.status().connected);
}

TEST_CASE("client: background mode calls back on its own thread; a throwing callback is reported") {
  test_support::temp_dir dir("peerlib");
  auto path = (dir / "a.sock").string();
  fake_agent agent(path);
  client c(options(path));
  std::mutex mu;
  std::vector<std::uint64_t> versions;
  std::atomic<bool> throw_next{false};
  const auto main_thread = std::this_thread::get_id();
  std::atomic<bool> other_thread{true};
  REQUIRE(c.start([&](const std::shared_ptr<const peer_set>& v) {
    other_thread = other_thread && std::this_thread::get_id() != main_thread;
    {
      std::lock_guard<std::mutex> lk(mu);
      versions.push_back(v->version());
    }
    if (throw_next) throw std::runtime_error("boom");
  }));
  CHECK_FALSE(c.start([](const std::shared_ptr<const peer_set>&) {}));
  // The thread owns process(): a call from here is refused instead of racing it.
  CHECK(c.process() == -1);
  CHECK(c.status().last_error.find("process() refused") != std::string::npos);
  auto count = [&] {
    std::lock_guard<std::mutex> lk(mu);
    return versions.size();
  };
  REQUIRE(agent.accept([] { std::this_thread::sleep_for(5ms); }));
  REQUIRE(test_support::wait_until([&] { return count() >= 1; }, 10s));  // the initial local view
  agent.send(snapshot_line(1, {"n1"}));
  REQUIRE(test_support::wait_until([&] { return count() >= 2; }, 10s));
  throw_next = true;
  agent.send(snapshot_line(2, {"n1", "n2"}));
  REQUIRE(test_support::wait_until([&] { return c.status().snapshots == 2; }, 10s));
  REQUIRE(test_support::wait_until([&] { return c.status().last_error.find("callback threw: boom") != std::string::npos; }, 10s));
  throw_next = false;
  agent.send(snapshot_line(3, {"n1", "n2", "n3"}));
  REQUIRE(test_support::wait_until([&] { return c.current()->version() == 3; }, 10s));
  c.stop();
  c.stop();
  CHECK(c.process() >= 0);  // stopped: the caller may drive it again
  CHECK(other_thread);
  std::lock_guard<std::mutex> lk(mu);
  CHECK(versions == std::vector<std::uint64_t>{0, 1, 2, 3});
}

TEST_CASE("client: an over-long line drops the connection") {
  test_support::temp_dir dir("peerlib");
  auto path = (dir / "a.sock").string();
  fake_agent agent(path);
  auto opts = options(path);
  opts.max_line = 1000;
  client c(opts);
  REQUIRE(agent.accept([&] { c.process(); }));
  agent.send(std::string(3000, 'x'));
  REQUIRE(pump_until(c, [&] { return !c.status().connected && c.status().connects == 1; }));
  CHECK(c.status().last_error.find("max_line") != std::string::npos);
}

TEST_CASE("fetch_snapshot: one snapshot, or an error") {
  test_support::temp_dir dir("peerlib");
  auto path = (dir / "a.sock").string();
  std::string err;
  CHECK_FALSE(fetch_snapshot(path, 1s, &err));
  CHECK(err.find("a.sock") != std::string::npos);
  fake_agent agent(path);
  std::thread server([&] {
    if (agent.accept([] {})) agent.send(snapshot_line(9, {"n1", "n2"}));
  });
  auto s = fetch_snapshot(path, 10s, &err);
  server.join();
  REQUIRE(s);
  CHECK(s->version == 9);
  CHECK(s->peers.size() == 2);
}
