#pragma once
// The node unit tests' fixture: a node "a" at 127.0.0.1 whose sends are recorded and decoded,
// whose events are recorded, driven by hand on an explicit clock.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "swim/node.hpp"
#include "swim/wire.hpp"

using namespace swim;
using namespace std::chrono_literals;

namespace {

struct sent_packet {
  address to;
  std::vector<wire::packet_message> messages;
  bool had_crc;
};

struct sent_stream {
  stream_id id;
  address to;
  wire::stream_message msg;
  time_point deadline;
};

class recording_transport : public transport {
 public:
  std::vector<sent_packet> packets;
  std::vector<sent_stream> streams;

  void send_packet(const address& to, bytes packet) override {
    auto u = wire::unpack_packet(packet);
    REQUIRE(u.errors.empty());  // everything we send must decode cleanly
    packets.push_back({to, u.messages, u.had_crc});
  }
  void send_stream(stream_id id, const address& to, bytes frame, bool, time_point deadline) override {
    auto r = wire::parse_stream(frame);
    REQUIRE(r.status == wire::parse_status::good);
    CHECK(r.consumed == frame.size());
    streams.push_back({id, to, r.message, deadline});
  }

  template <class T>
  std::vector<std::pair<address, T>> all() const {
    std::vector<std::pair<address, T>> out;
    for (const auto& p : packets)
      for (const auto& m : p.messages)
        if (const T* v = std::get_if<T>(&m)) out.push_back({p.to, *v});
    return out;
  }
  void clear() {
    packets.clear();
    streams.clear();
  }
};

class recording_delegate : public delegate {
 public:
  std::vector<std::pair<std::string, member_event>> events;
  std::vector<std::pair<address, bool>> join_results;
  int conflicts = 0;
  int leaves_complete = 0;
  void on_member_event(const member& m, member_event ev) override { events.push_back({m.name, ev}); }
  void on_conflict(const member&, const member&) override { conflicts++; }
  void on_join_result(const address& seed, bool ok) override { join_results.push_back({seed, ok}); }
  void on_leave_complete() override { leaves_complete++; }
  bool saw(const std::string& name, member_event ev) const {
    return std::find(events.begin(), events.end(), std::make_pair(name, ev)) != events.end();
  }
};

address addr_of(int i) { return address::v4(127, 0, 0, static_cast<std::uint8_t>(i), 7946); }

config make_config(const std::string& name, int i) {
  config c;
  c.name = name;
  c.advertise = addr_of(i);
  return c;
}

alive alive_for(const std::string& name, int i, std::uint32_t inc) {
  auto a = addr_of(i);
  return alive{inc, name, bytes(a.ip_bytes().begin(), a.ip_bytes().end()), 7946, {}, default_vsn()};
}

// Advance `n` to `until`, calling tick at every deadline on the way.
inline void run_until(node& n, time_point& now, time_point until) {
  while (true) {
    time_point d = n.next_deadline();
    if (d > until) break;
    now = std::max(now, d);
    n.tick(now);
  }
  now = until;
}

struct fixture {
  recording_transport out;
  recording_delegate events;
  time_point now{};
  node n;

  fixture() : fixture(make_config("a", 1)) {}
  explicit fixture(config c) : n{std::move(c), out, events, 42, now} {}

  void deliver(const auto& msg, int from = 9) { n.on_packet(addr_of(from), wire::encode(msg), now); }
  void add_members(int count) {
    for (int i = 2; i < 2 + count; ++i) deliver(alive_for("m" + std::to_string(i), i, 1));
  }
};

// Run `f` until `done()` holds or `limit` passes, acking every ping except those to `silent`.
template <class Done>
bool run_answering(fixture& f, const std::string& silent, time_point limit, Done done) {
  while (!done() && f.now < limit) {
    f.now = std::min(f.n.next_deadline(), limit);
    f.n.tick(f.now);
    for (const auto& [to, pi] : f.out.all<ping>())
      if (pi.node != silent) f.n.on_packet(to, wire::encode(ack_resp{pi.seq_no, {}}), f.now);
    f.out.clear();
  }
  return done();
}

// Let our own probes of `name` fail (every other ping is answered) until we suspect it.
inline bool suspect_by_probe(fixture& f, const std::string& name) {
  return run_answering(f, name, f.now + 30s,
                       [&] { return f.n.find(name)->state == member_state::suspect; });
}

}  // namespace
