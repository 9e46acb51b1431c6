#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include "swim/sim/event_loop.hpp"
#include "swim/sim/network.hpp"

using namespace std::chrono_literals;
using swim::address;
using swim::bytes;
using swim::time_point;
using swim::sim::event_loop;
using swim::sim::host_state;
using swim::sim::network;

namespace {

/// An endpoint that records what reaches it and answers streams with a fixed frame.
struct fake_host final : swim::sim::endpoint {
  explicit fake_host(event_loop& l) : loop(l) {}
  event_loop& loop;
  std::vector<std::pair<time_point, bytes>> packets;
  std::vector<bytes> requests;
  std::vector<std::pair<time_point, std::optional<bytes>>> results;
  std::optional<bytes> answer = bytes{42};

  void on_packet(const address&, bytes d) override { packets.emplace_back(loop.now(), std::move(d)); }
  std::optional<bytes> on_stream(const address&, bytes f) override {
    requests.push_back(std::move(f));
    return answer;
  }
  void on_stream_result(swim::stream_id, std::optional<bytes> r) override {
    results.emplace_back(loop.now(), std::move(r));
  }
};

struct fixture {
  event_loop loop;
  network net{loop, 1234};
  address a = address::v4(127, 0, 0, 1, 7946);
  address b = address::v4(127, 0, 0, 2, 7946);
  fake_host ha{loop}, hb{loop};
  swim::transport& ta = net.attach(a, ha);
  swim::transport& tb = net.attach(b, hb);
  fixture() { net.set_delay(1ms, 0ms); }
  time_point t(std::chrono::microseconds d) const { return time_point{} + d; }
};

}  // namespace

TEST_CASE("network: a datagram arrives after the link delay and is counted") {
  fixture f;
  f.ta.send_packet(f.b, bytes{1, 2, 3});
  f.loop.run_for(999us);
  CHECK(f.hb.packets.empty());
  f.loop.run_for(1us);
  REQUIRE(f.hb.packets.size() == 1);
  CHECK(f.hb.packets[0].first == f.t(1ms));
  CHECK(f.hb.packets[0].second == bytes{1, 2, 3});
  CHECK(f.net.stats(f.a).packets_sent == 1);
  CHECK(f.net.stats(f.a).bytes_sent == 3);
  CHECK(f.net.stats(f.b).packets_received == 1);
}

TEST_CASE("network: loss probability is honoured on both sides of its value") {
  fixture f;
  f.net.set_loss(0.1);
  const int n = 20000;
  for (int i = 0; i < n; ++i) f.ta.send_packet(f.b, bytes{0});
  f.loop.run_for(1s);
  const double got = static_cast<double>(f.hb.packets.size()) / n;
  CHECK(got > 0.88);
  CHECK(got < 0.92);
  CHECK(f.net.stats(f.a).packets_dropped == n - f.hb.packets.size());
}

TEST_CASE("network: a one-way cut drops one direction only") {
  fixture f;
  f.net.cut(f.a, f.b);
  f.ta.send_packet(f.b, bytes{1});
  f.tb.send_packet(f.a, bytes{2});
  f.loop.run_for(10ms);
  CHECK(f.hb.packets.empty());
  CHECK(f.ha.packets.size() == 1);
  f.net.uncut(f.a, f.b);
  f.ta.send_packet(f.b, bytes{1});
  f.loop.run_for(10ms);
  CHECK(f.hb.packets.size() == 1);
}

TEST_CASE("network: partitions block across groups until healed") {
  fixture f;
  address c = address::v4(127, 0, 0, 3, 7946);
  fake_host hc{f.loop};
  swim::transport& tc = f.net.attach(c, hc);
  f.net.partition({{f.a, f.b}, {c}});
  f.ta.send_packet(f.b, bytes{1});
  f.ta.send_packet(c, bytes{1});
  tc.send_packet(f.a, bytes{1});
  f.loop.run_for(10ms);
  CHECK(f.hb.packets.size() == 1);
  CHECK(hc.packets.empty());
  CHECK(f.ha.packets.empty());
  f.net.heal();
  f.ta.send_packet(c, bytes{1});
  f.loop.run_for(10ms);
  CHECK(hc.packets.size() == 1);
}

TEST_CASE("network: a stream request is answered after a round trip") {
  fixture f;
  f.ta.send_stream(7, f.b, bytes{9}, true, f.t(10s));
  f.loop.run_for(1s);
  REQUIRE(f.hb.requests.size() == 1);
  REQUIRE(f.ha.results.size() == 1);
  // SYN, SYN-ACK + request, reply: four one-way delays.
  CHECK(f.ha.results[0].first == f.t(4ms));
  CHECK(f.ha.results[0].second == std::optional<bytes>(bytes{42}));
  f.loop.run_for(20s);
  CHECK(f.ha.results.size() == 1);  // the deadline does not report twice
}

TEST_CASE("network: a crashed host refuses at once, a paused or cut one times out") {
  fixture f;
  SUBCASE("crashed") {
    f.net.crash(f.b);
    f.ta.send_stream(1, f.b, bytes{9}, true, f.t(10s));
    f.loop.run_for(20s);
    REQUIRE(f.ha.results.size() == 1);
    CHECK(f.ha.results[0].first == f.t(2ms));
    CHECK_FALSE(f.ha.results[0].second.has_value());
    CHECK(f.net.stats(f.a).streams_failed == 1);
  }
  SUBCASE("paused") {
    f.net.pause(f.b);
    f.ta.send_stream(1, f.b, bytes{9}, true, f.t(10s));
    f.loop.run_for(20s);
    REQUIRE(f.ha.results.size() == 1);
    CHECK(f.ha.results[0].first == f.t(10s));
    CHECK_FALSE(f.ha.results[0].second.has_value());
    CHECK(f.hb.requests.empty());
  }
  SUBCASE("cut back path") {
    f.net.cut(f.b, f.a);
    f.ta.send_stream(1, f.b, bytes{9}, true, f.t(3s));
    f.loop.run_for(20s);
    REQUIRE(f.ha.results.size() == 1);
    CHECK(f.ha.results[0].first == f.t(3s));
  }
}

TEST_CASE("network: a paused host drops its backlog and gets held stream results on resume") {
  fixture f;
  f.tb.send_stream(5, f.a, bytes{1}, true, f.t(2s));  // b asks a, then b pauses
  f.net.pause(f.b);
  f.ta.send_packet(f.b, bytes{1});
  f.loop.run_for(1s);
  CHECK(f.hb.packets.empty());
  CHECK(f.hb.results.empty());
  CHECK(f.net.state(f.b) == host_state::paused);
  f.net.resume(f.b);
  REQUIRE(f.hb.results.size() == 1);
  CHECK(f.hb.results[0].second.has_value());  // before its deadline: the reply is read
  f.loop.run_for(5s);
  CHECK(f.hb.packets.empty());  // the datagram sent during the pause stays lost
  CHECK(f.hb.results.size() == 1);
}

TEST_CASE("network: results for a crashed and restarted initiator are discarded") {
  fixture f;
  f.ta.send_stream(3, f.b, bytes{1}, true, f.t(2s));
  f.net.crash(f.a);
  fake_host again{f.loop};
  f.net.attach(f.a, again);
  f.loop.run_for(5s);
  CHECK(again.results.empty());
  CHECK(f.ha.results.empty());
}

TEST_CASE("network: 10 % loss delays streams by retransmissions, never loses them") {
  fixture f;
  f.net.set_loss(0.1);
  for (swim::stream_id i = 0; i < 1000; ++i) f.ta.send_stream(i, f.b, bytes{1}, true, f.t(60s));
  f.loop.run_for(61s);
  REQUIRE(f.ha.results.size() == 1000);
  int slow = 0;
  for (auto& [at, r] : f.ha.results) {
    CHECK(r.has_value());
    if (at > f.t(900ms)) ++slow;  // a lost SYN or SYN-ACK costs a 1 s retransmission
  }
  // P(handshake retransmitted) = 1 - 0.9^2 = 19 %.
  CHECK(slow > 140);
  CHECK(slow < 240);
}
