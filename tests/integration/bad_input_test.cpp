// Hostile and malformed gossip traffic at a running agent: random and
// truncated datagrams, frames with bad CRCs or junk LZW, random TCP streams, a
// push-pull header claiming 2^40 nodes, a stalled partial frame and a flood of
// concurrent connections. The agent must drop and count all of it, keep its
// membership, and keep answering its socket and HTTP. Loopback 127.0.1.x only.

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <random>

#include "integration/agent_cluster.hpp"
#include "swim/msgpack.hpp"
#include "swim/wire.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

const std::string target_ip = "127.0.1.21";
const std::string peer_ip = "127.0.1.22";
const std::string attacker_ip = "127.0.1.200";

std::string str(const swim::bytes& b) { return std::string(b.begin(), b.end()); }

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

/// A valid ping datagram, the base for the corrupted ones.
swim::bytes ping_datagram() {
  swim::ping p;
  p.seq_no = 42;
  p.node = "t1";
  return swim::wire::encode(p);
}

/// compress{Algo: 0, Buf: junk}: a well-formed envelope around an invalid LZW stream.
std::string junk_compress(std::mt19937& rng) {
  swim::bytes out{static_cast<std::uint8_t>(swim::message_type::compress)};
  swim::msgpack::writer w(out);
  w.map_header(2);
  w.str("Algo");
  w.uint(0);
  w.str("Buf");
  std::string junk = random_bytes(rng, 64);
  // LZW codes start at 8 bits with literal bytes; a code past the table is invalid.
  junk[0] = '\xff';
  junk[1] = '\xff';
  junk[2] = '\xff';
  w.raw(swim::bytes(junk.begin(), junk.end()));
  return str(out);
}

/// A push-pull header claiming `nodes` node states, and nothing after it.
std::string push_pull_header(std::int64_t nodes) {
  swim::bytes out{static_cast<std::uint8_t>(swim::message_type::push_pull)};
  swim::msgpack::writer w(out);
  w.map_header(3);
  w.str("Join");
  w.boolean(false);
  w.str("Nodes");
  w.sint(nodes);
  w.str("UserStateLen");
  w.sint(0);
  return str(out);
}

double metrics_value(const agent_proc& a, const std::string& series) {
  auto r = a.http("/metrics");
  return r.status == 200 ? metric(r.body, series) : -1;
}

std::string dropped(const char* reason) {
  return std::string("cachecluster_dropped_packets_total{reason=\"") + reason + "\"}";
}

std::string dropped_stream(const char* reason) {
  return std::string("cachecluster_dropped_stream_frames_total{reason=\"") + reason + "\"}";
}

/// Both agents still list each other alive, answer on the socket and on /health.
void check_intact(agent_proc& target, agent_proc& peer) {
  CHECK(target.proc().running());
  CHECK(target.http("/health").status == 200);
  bool ok = wait_until_all_alive(target, {"t1", "t2"}) && wait_until_all_alive(peer, {"t1", "t2"});
  INFO(describe(target) << describe(peer));
  CHECK(ok);
}

}  // namespace

TEST_CASE("bad input: malformed datagrams are dropped and counted by reason") {
  temp_dir dir("integ-bad");
  agent_proc target(dir, {"t1", target_ip, {}, "", "", ""});
  agent_proc peer(dir, {"t2", peer_ip, {target_ip + ":7946"}, "", "", ""});
  REQUIRE(wait_until_all_alive(target, {"t1", "t2"}));
  REQUIRE(wait_until_all_alive(peer, {"t1", "t2"}));

  const auto before = target.http("/metrics");
  REQUIRE(before.status == 200);
  const double total_before = metric_sum(before.body, "cachecluster_dropped_packets_total");

  std::mt19937 rng(20240611);
  auto send = [&](const std::string& d) {
    REQUIRE(test_support::send_udp(attacker_ip, target_ip, gossip_port, d));
    ::usleep(500);  // keep well inside the receive buffer
  };
  // Random bytes of every size up to a full packet.
  for (int i = 0; i < 300; ++i) send(random_bytes(rng, 1 + rng() % 1400));
  // A compound claiming 255 parts, with only two length fields present.
  for (int i = 0; i < 20; ++i) send(std::string("\x07\xff\x00\x05\x00", 5));
  // A valid ping behind a wrong CRC.
  for (int i = 0; i < 20; ++i) {
    auto d = swim::wire::add_crc(ping_datagram());
    d[1] ^= 0x5a;
    send(str(d));
  }
  // compress with junk LZW.
  for (int i = 0; i < 20; ++i) send(junk_compress(rng));
  // Every valid message cut short.
  auto ping = ping_datagram();
  for (std::size_t len = 1; len < ping.size(); ++len) send(str(ping).substr(0, len));
  // Nested compounds beyond the depth limit.
  {
    swim::bytes inner = ping;
    for (int depth = 0; depth < 8; ++depth) inner = swim::wire::make_compound({inner});
    for (int i = 0; i < 5; ++i) send(str(inner));
  }

  // Counted by reason (UDP on loopback does not lose these, but allow for it: at least one each).
  bool counted = test_support::wait_until(
      [&] {
        auto m = target.http("/metrics").body;
        return metric(m, dropped("bad_crc")) >= 1 && metric(m, dropped("truncated")) >= 1 &&
               metric(m, dropped("bad_compress")) >= 1;
      },
      timeout);
  auto after = target.http("/metrics");
  INFO(after.body);
  CHECK(counted);
  CHECK(metric_sum(after.body, "cachecluster_dropped_packets_total") > total_before + 100);
  CHECK(metric(after.body, dropped("too_deep")) >= 1);

  check_intact(target, peer);
  CHECK(target.states().has_value());
}

TEST_CASE("bad input: hostile TCP streams are cut off and counted") {
  temp_dir dir("integ-bad");
  agent_proc target(dir, {"t1", target_ip, {}, "", "", ""});
  agent_proc peer(dir, {"t2", peer_ip, {target_ip + ":7946"}, "", "", ""});
  REQUIRE(wait_until_all_alive(target, {"t1", "t2"}));
  REQUIRE(wait_until_all_alive(peer, {"t1", "t2"}));

  std::mt19937 rng(7);
  // Random bytes: each stream is rejected (or times out) and closed by the agent.
  for (int i = 0; i < 30; ++i) {
    int fd = test_support::tcp_connect(target_ip, gossip_port);
    REQUIRE(fd >= 0);
    test_support::write_all(fd, random_bytes(rng, 1 + rng() % 4000));
    test_support::read_until_close(fd, 10s);
    ::close(fd);
  }

  // A push-pull header claiming 2^40 node states.
  {
    const double before = metrics_value(target, dropped_stream("too_large"));
    int fd = test_support::tcp_connect(target_ip, gossip_port);
    REQUIRE(fd >= 0);
    REQUIRE(test_support::write_all(fd, push_pull_header(std::int64_t{1} << 40)));
    test_support::read_until_close(fd, 10s);  // the agent hangs up rather than waiting for 2^40 states
    ::close(fd);
    bool counted = test_support::wait_until(
        [&] { return metrics_value(target, dropped_stream("too_large")) > before; }, timeout);
    INFO(target.http("/metrics").body);
    CHECK(counted);
  }

  // A partial frame, then silence: the stream deadline closes it.
  {
    const double before = metrics_value(target, "cachecluster_stream_timeouts_total");
    int fd = test_support::tcp_connect(target_ip, gossip_port);
    REQUIRE(fd >= 0);
    std::string frame = push_pull_header(3);
    REQUIRE(test_support::write_all(fd, frame.substr(0, frame.size() / 2)));
    auto rest = test_support::read_until_close(fd, timeout);  // returns at EOF
    ::close(fd);
    CHECK(rest.empty());
    bool counted = test_support::wait_until(
        [&] { return metrics_value(target, "cachecluster_stream_timeouts_total") > before; },
        timeout);
    CHECK(counted);
  }

  // 300 concurrent connections, held open: beyond the cap they are refused,
  // and the agent keeps serving its socket, HTTP and gossip meanwhile.
  {
    std::vector<int> fds;
    for (int i = 0; i < 300; ++i) {
      int fd = test_support::tcp_connect(target_ip, gossip_port);
      if (fd >= 0) fds.push_back(fd);
      if (i % 2 == 0 && fd >= 0) test_support::write_all(fd, "\x06");  // a frame's first byte
    }
    CHECK(fds.size() > 128);
    CHECK(target.states().has_value());
    CHECK(target.http("/health").status == 200);
    bool rejected = test_support::wait_until(
        [&] { return metrics_value(target, "cachecluster_inbound_streams_rejected_total") > 0; },
        timeout);
    INFO(target.http("/metrics").body);
    CHECK(rejected);
    for (int fd : fds) ::close(fd);
  }

  auto m = target.http("/metrics");
  INFO(m.body);
  CHECK(metric_sum(m.body, "cachecluster_dropped_stream_frames_total") > 0);
  check_intact(target, peer);

  // A real exchange still works afterwards: a third agent joins through the target.
  agent_proc late(dir, {"t3", "127.0.1.23", {target_ip + ":7946"}, "", "", ""});
  bool joined = wait_until_all_alive(target, {"t1", "t2", "t3"});
  INFO(describe(target) << describe(late));
  CHECK(joined);
}
