// swim::node driven by hand: a recording transport, explicit time, no simulator.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "node_fixture.hpp"
#include "swim/node.hpp"
#include "swim/wire.hpp"


TEST_CASE("node: starts alone, alive at incarnation 1, with its own alive queued") {
  fixture f;
  CHECK(f.n.self().state == member_state::alive);
  CHECK(f.n.self().incarnation == 1);
  CHECK(f.n.num_known() == 1);
  CHECK(f.n.queued_broadcasts() == 1);
  const member me = f.n.self();
  CHECK(std::equal(me.vsn.begin(), me.vsn.end(), default_vsn().begin()));
}

TEST_CASE("node: a ping for us is acked to its source address with the same seq") {
  fixture f;
  ping p{77, "a", bytes{127, 0, 0, 5}, 8000, "x"};
  f.deliver(p, 9);
  auto acks = f.out.all<ack_resp>();
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].first == address::v4(127, 0, 0, 5, 8000));
  CHECK(acks[0].second.seq_no == 77);
  CHECK(acks[0].second.payload.empty());
}

TEST_CASE("node: a ping without source fields is acked to the UDP source; wrong name ignored") {
  fixture f;
  f.deliver(ping{5, "", {}, 0, ""}, 9);
  auto acks = f.out.all<ack_resp>();
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].first == addr_of(9));
  f.out.clear();
  f.deliver(ping{6, "someone-else", {}, 0, ""}, 9);
  CHECK(f.out.all<ack_resp>().empty());
  CHECK(f.n.stats().ignored_pings == 1);
}

TEST_CASE("node: an alive adds a member once and re-gossips it; stale incarnations are ignored") {
  fixture f;
  f.deliver(alive_for("b", 2, 3));
  REQUIRE(f.n.find("b"));
  CHECK(f.n.find("b")->incarnation == 3);
  CHECK(f.events.saw("b", member_event::join));
  auto queued = f.n.queued_broadcasts();
  f.deliver(alive_for("b", 2, 3));  // same incarnation: nothing new
  f.deliver(alive_for("b", 2, 2));  // older: ignored
  CHECK(f.n.queued_broadcasts() == queued);
  CHECK(f.events.events.size() == 1);
}

TEST_CASE("node: an alive from a different address is a conflict while the member lives") {
  fixture f;
  f.deliver(alive_for("b", 2, 1));
  f.out.clear();
  f.deliver(alive_for("b", 3, 5));
  // The claim is held while the old address is asked, by name, whether "b" is still there.
  CHECK(f.events.conflicts == 0);
  CHECK(f.n.find("b")->addr == addr_of(2));
  std::optional<std::uint32_t> seq;
  for (const auto& [to, p] : f.out.all<ping>())
    if (to == addr_of(2) && p.node == "b") seq = p.seq_no;
  REQUIRE(seq.has_value());
  // It answers: the member stays where it is, and the claim is a conflict.
  f.n.on_packet(addr_of(2), wire::encode(ack_resp{*seq, {}}), f.now);
  CHECK(f.events.conflicts == 1);
  CHECK(f.n.find("b")->addr == addr_of(2));
  CHECK(f.n.find("b")->incarnation == 1);
  // Once it has left, the name may come back from a new address, once the old address has
  // stayed silent for a probe interval (docs/wire.md §7.5).
  f.deliver(dead{5, "b", "b"});
  CHECK(f.n.find("b")->state == member_state::left);
  const time_point t0 = f.now;
  f.deliver(alive_for("b", 3, 6));
  CHECK(f.n.find("b")->addr == addr_of(2));
  run_until(f.n, f.now, t0 + 999ms);
  CHECK(f.n.find("b")->addr == addr_of(2));
  CHECK(f.n.find("b")->state == member_state::left);
  run_until(f.n, f.now, t0 + 1s);
  CHECK(f.n.find("b")->addr == addr_of(3));
  CHECK(f.n.find("b")->state == member_state::alive);
  CHECK(f.events.conflicts == 1);
}

TEST_CASE("node: a suspect or dead about ourselves is refuted with a higher incarnation") {
  fixture f;
  f.deliver(suspect{1, "a", "b"});
  CHECK(f.n.self().incarnation == 2);
  CHECK(f.n.self().state == member_state::alive);
  CHECK(f.n.health_score() == 1);
  CHECK(f.n.stats().refutations == 1);
  f.deliver(dead{9, "a", "b"});  // an old life's incarnation: out-bid it
  CHECK(f.n.self().incarnation == 10);
  CHECK(f.n.self().state == member_state::alive);
  // The refutation is gossiped: it rides on the next ack.
  f.deliver(ping{1, "a", {}, 0, ""});
  auto alives = f.out.all<alive>();
  REQUIRE_FALSE(alives.empty());
  CHECK(alives.back().second.node == "a");
  CHECK(alives.back().second.incarnation == 10);
}

TEST_CASE("node: dead from the member itself means left, from another means dead") {
  fixture f;
  f.add_members(2);
  f.deliver(dead{1, "m2", "m2"});
  f.deliver(dead{1, "m3", "a"});
  CHECK(f.n.find("m2")->state == member_state::left);
  CHECK(f.n.find("m3")->state == member_state::dead);
  CHECK(f.events.saw("m2", member_event::left));
  CHECK(f.events.saw("m3", member_event::dead));
  CHECK(f.n.num_live() == 1);
}

TEST_CASE("node: only a higher incarnation clears a suspicion") {
  fixture f;
  f.add_members(1);
  REQUIRE(suspect_by_probe(f, "m2"));
  f.deliver(alive_for("m2", 2, 1));
  CHECK(f.n.find("m2")->state == member_state::suspect);
  f.deliver(alive_for("m2", 2, 2));
  CHECK(f.n.find("m2")->state == member_state::alive);
  CHECK(f.events.saw("m2", member_event::refuted));
}

TEST_CASE("node: an unanswered probe goes indirect, then TCP, then suspect, then dead") {
  fixture f;
  f.add_members(4);  // members m2..m5
  f.out.clear();
  // Run until the first ping goes out.
  time_point limit = f.now + 2s;
  ping first{};
  address target;
  while (f.now < limit) {
    f.now = f.n.next_deadline();
    f.n.tick(f.now);
    auto pings = f.out.all<ping>();
    if (!pings.empty()) {
      target = pings[0].first;
      first = pings[0].second;
      break;
    }
  }
  REQUIRE_FALSE(first.node.empty());
  time_point sent = f.now;
  CHECK(first.source_node == "a");
  // Nothing indirect before the probe timeout...
  run_until(f.n, f.now, sent + 499ms);
  CHECK(f.out.all<indirect_ping_req>().empty());
  // ...then up to 3 indirect pings (one per other alive member) and a TCP ping.
  run_until(f.n, f.now, sent + 500ms);
  auto ind = f.out.all<indirect_ping_req>();
  CHECK(ind.size() == 3);
  for (const auto& [to, req] : ind) {
    CHECK(req.node == first.node);
    CHECK(req.seq_no == first.seq_no);
    CHECK(req.nack);
    CHECK_FALSE(to == target);
  }
  REQUIRE(f.out.streams.size() == 1);
  CHECK(std::get<ping>(f.out.streams[0].msg).seq_no == first.seq_no);
  f.n.on_stream_reply(f.out.streams[0].id, std::nullopt, f.now);  // TCP fails too
  CHECK(f.n.find(first.node)->state == member_state::alive);
  // The probe ends at probe_interval: suspect.
  run_until(f.n, f.now, sent + 1s);
  CHECK(f.n.find(first.node)->state == member_state::suspect);
  CHECK(f.n.health_score() == 3);  // 3 nacks expected, none came
  // n = 5 <= 10 and k = 2: the timer starts at max = 6 * 4 s = 24 s. Acks from other probes
  // must not clear the suspicion, so answer nothing and watch both sides of the deadline.
  time_point suspected = f.now;
  run_until(f.n, f.now, suspected + 23900ms);
  CHECK(f.n.find(first.node)->state == member_state::suspect);
  run_until(f.n, f.now, suspected + 24s);
  CHECK(f.n.find(first.node)->state == member_state::dead);
  CHECK(f.n.stats().deaths_declared >= 1);
}

TEST_CASE("node: an ack relayed through an indirect peer saves the probe") {
  fixture f;
  f.add_members(3);
  f.out.clear();
  ping first{};
  while (first.node.empty()) {
    f.now = f.n.next_deadline();
    f.n.tick(f.now);
    auto pings = f.out.all<ping>();
    if (!pings.empty()) first = pings[0].second;
  }
  time_point sent = f.now;
  run_until(f.n, f.now, sent + 600ms);
  REQUIRE_FALSE(f.out.all<indirect_ping_req>().empty());
  f.deliver(ack_resp{first.seq_no, {}}, 3);  // relayed ack: source is not checked
  // Up to the end of this probe's interval (the next probe starts then, and goes unanswered).
  run_until(f.n, f.now, sent + 999ms);
  CHECK(f.n.find(first.node)->state == member_state::alive);
  CHECK(f.n.stats().probe_failures == 0);
  CHECK(f.n.health_score() == 0);
}

TEST_CASE("node: an indirect ping request is relayed, and a nack sent when the target is silent") {
  fixture f;
  indirect_ping_req req{900, bytes{127, 0, 0, 7}, 7946, "t", true, bytes{127, 0, 0, 8}, 7946, "r"};
  f.deliver(req, 8);
  auto pings = f.out.all<ping>();
  REQUIRE(pings.size() == 1);
  CHECK(pings[0].first == addr_of(7));
  CHECK(pings[0].second.node == "t");
  f.out.clear();
  time_point t0 = f.now;
  run_until(f.n, f.now, t0 + 499ms);
  CHECK(f.out.all<nack_resp>().empty());
  run_until(f.n, f.now, t0 + 500ms);
  auto nacks = f.out.all<nack_resp>();
  REQUIRE(nacks.size() == 1);
  CHECK(nacks[0].first == addr_of(8));
  CHECK(nacks[0].second.seq_no == 900);

  // And when the target answers, the requester gets an ack with its own seq.
  f.out.clear();
  f.deliver(indirect_ping_req{901, bytes{127, 0, 0, 7}, 7946, "t", true, {}, 0, ""}, 8);
  auto relay = f.out.all<ping>();
  REQUIRE(relay.size() == 1);
  f.deliver(ack_resp{relay[0].second.seq_no, {}}, 7);
  auto acks = f.out.all<ack_resp>();
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].first == addr_of(8));
  CHECK(acks[0].second.seq_no == 901);
}

TEST_CASE("node: garbage is dropped and counted, never fatal") {
  fixture f;
  const std::uint8_t junk[][6] = {{0xff, 1, 2, 3, 4, 5}, {0, 0x85, 0xa4, 'N', 'o', 'd'},
                                  {7, 9, 0, 1, 0, 1}, {12, 0, 0, 0, 0, 0}};
  for (const auto& j : junk) f.n.on_packet(addr_of(9), byte_view(j, 6), f.now);
  f.n.on_packet(addr_of(9), byte_view{}, f.now);
  std::uint64_t drops = 0;
  for (auto d : f.n.stats().drops) drops += d;
  CHECK(drops >= 5);
  CHECK(f.n.num_known() == 1);
}

TEST_CASE("node: inbound push-pull replies with our state first, then merges theirs") {
  fixture f;
  push_pull pp;
  pp.join = true;
  auto b = addr_of(2);
  pp.states.push_back({"b", bytes(b.ip_bytes().begin(), b.ip_bytes().end()), 7946, {}, 4,
                       member_state::alive, default_vsn()});
  pp.states.push_back({"c", bytes{127, 0, 0, 3}, 7946, {}, 1, member_state::dead, default_vsn()});
  auto reply = f.n.on_stream(b, pp, f.now);
  REQUIRE(reply);
  auto r = wire::parse_stream(*reply);
  REQUIRE(r.status == wire::parse_status::good);
  const auto& mine = std::get<push_pull>(r.message);
  CHECK(mine.join);
  REQUIRE(mine.states.size() == 1);
  CHECK(mine.states[0].name == "a");
  CHECK(f.n.find("b")->incarnation == 4);
  CHECK_FALSE(f.n.find("c").has_value());  // a remote death of an unknown member adds nothing
  CHECK(f.n.stats().push_pulls == 1);
}

TEST_CASE("node: push-pull with an incompatible or short Vsn is rejected whole") {
  fixture f;
  push_pull pp;
  pp.states.push_back({"b", bytes{127, 0, 0, 2}, 7946, {}, 1, member_state::alive, bytes{1, 5, 2}});
  f.n.on_stream(addr_of(2), pp, f.now);
  CHECK_FALSE(f.n.find("b").has_value());
  pp.states[0].vsn = {1, 5, 2, 0, 0, 0};  // memberlist's plain defaults: delegate version 0
  f.n.on_stream(addr_of(2), pp, f.now);
  CHECK_FALSE(f.n.find("b").has_value());
  CHECK(f.n.stats().push_pull_failures == 2);
}

TEST_CASE("node: join sends a push-pull; the reply merges and a Serf join intent follows") {
  fixture f;
  f.n.join({addr_of(2), addr_of(1)}, f.now);  // our own address is skipped
  REQUIRE(f.out.streams.size() == 1);
  CHECK(f.out.streams[0].to == addr_of(2));
  CHECK(std::get<push_pull>(f.out.streams[0].msg).join);
  push_pull reply;
  reply.join = true;
  reply.states.push_back({"b", bytes{127, 0, 0, 2}, 7946, {}, 1, member_state::alive, default_vsn()});
  reply.states.push_back({"a", bytes{127, 0, 0, 1}, 7946, {}, 7, member_state::dead, default_vsn()});
  // Our own address is reported as a failed join at once; the seed only once it answered.
  REQUIRE(f.events.join_results.size() == 1);
  CHECK(f.events.join_results[0] == std::make_pair(addr_of(1), false));
  f.n.on_stream_reply(f.out.streams[0].id, wire::stream_message{reply}, f.now);
  CHECK(f.n.find("b"));
  REQUIRE(f.events.join_results.size() == 2);
  CHECK(f.events.join_results[1] == std::make_pair(addr_of(2), true));
  CHECK(f.n.stats().joins == 1);
  // The cluster remembered our old life at incarnation 7 as dead: we out-bid it.
  CHECK(f.n.self().incarnation == 8);
  f.deliver(ping{1, "a", {}, 0, ""});
  bool intent = false;
  for (const auto& [to, u] : f.out.all<user_msg>())
    if (!u.payload.empty() && u.payload[0] == 1) intent = true;  // serf join intent
  CHECK(intent);
}

TEST_CASE("node: a failed or unanswered join push-pull is reported as such") {
  fixture f;
  f.n.join({addr_of(2), addr_of(3)}, f.now);
  REQUIRE(f.out.streams.size() == 2);
  f.n.on_stream_reply(f.out.streams[1].id, std::nullopt, f.now);  // refused or timed out
  f.n.on_stream_reply(f.out.streams[0].id, wire::stream_message{ack_resp{1, {}}}, f.now);
  REQUIRE(f.events.join_results.size() == 2);
  CHECK(f.events.join_results[0] == std::make_pair(addr_of(3), false));
  CHECK(f.events.join_results[1] == std::make_pair(addr_of(2), false));
  CHECK(f.n.stats().joins == 0);
  // A late duplicate reply for a finished stream reports nothing more.
  f.n.on_stream_reply(f.out.streams[0].id, std::nullopt, f.now);
  CHECK(f.events.join_results.size() == 2);
}

TEST_CASE("node: a leave with nobody to tell completes at once, and only once") {
  fixture f;
  f.n.leave(f.now);
  CHECK(f.events.leaves_complete == 1);
  run_until(f.n, f.now, f.now + 5s);
  f.n.leave(f.now);
  CHECK(f.events.leaves_complete == 1);
}

TEST_CASE("node: a leave goes straight to peers and completes once two acknowledged it") {
  fixture f;
  f.add_members(4);  // m2..m5
  f.out.clear();
  f.n.leave(f.now);
  CHECK(f.n.self().state == member_state::left);
  // Three peers at once, each with dead{self} and a ping whose ack acknowledges the leave.
  std::map<address, std::uint32_t> asked;
  for (const auto& p : f.out.packets) {
    std::optional<std::uint32_t> seq;
    bool dead_self = false;
    for (const auto& m : p.messages) {
      if (const auto* pi = std::get_if<ping>(&m)) seq = pi->seq_no;
      if (const auto* d = std::get_if<dead>(&m)) dead_self = d->node == "a" && d->from == "a";
    }
    if (seq && dead_self) asked[p.to] = *seq;
  }
  REQUIRE(asked.size() == 3);
  CHECK_FALSE(f.n.leave_done());
  // Two acknowledgements, and gossip has had retransmit_mult rounds to carry it further: done,
  // reported once. One acknowledgement alone is not enough.
  auto it = asked.begin();
  f.n.on_packet(it->first, wire::encode(ack_resp{it->second, {}}), f.now);
  CHECK(f.n.leave_acks() == 1);
  CHECK_FALSE(f.n.leave_done());
  ++it;
  f.n.on_packet(it->first, wire::encode(ack_resp{it->second, {}}), f.now);
  CHECK(f.n.leave_acks() == 2);
  const auto rounds = f.n.cfg().t.gossip_interval * f.n.cfg().t.retransmit_mult;
  run_until(f.n, f.now, f.now + rounds + f.n.cfg().t.gossip_interval);
  CHECK(f.n.leave_done());
  CHECK(f.events.leaves_complete == 1);
  run_until(f.n, f.now, f.now + 1s);
  CHECK(f.events.leaves_complete == 1);
  // The leave is gossiped as well, to reach everyone.
  run_until(f.n, f.now, f.now + 10s);
  bool gossiped = false;
  for (const auto& [to, d] : f.out.all<dead>())
    if (d.node == "a" && d.from == "a" && asked.count(to) == 0) gossiped = true;
  CHECK(gossiped);
  // A leaving node ignores an alive about itself rather than rejoining.
  f.deliver(alive_for("a", 1, 50));
  CHECK(f.n.self().state == member_state::left);
}

TEST_CASE("node: peers that do not acknowledge a leave are replaced by others") {
  fixture f;
  f.add_members(6);
  f.out.clear();
  f.n.leave(f.now);
  // Peers sent a ping together with dead{self}: the leave asks.
  auto asked = [&f] {
    std::set<address> to;
    for (const auto& p : f.out.packets) {
      bool has_ping = false, dead_self = false;
      for (const auto& m : p.messages) {
        has_ping = has_ping || std::holds_alternative<ping>(m);
        if (const auto* d = std::get_if<dead>(&m)) dead_self = dead_self || d->node == "a";
      }
      if (has_ping && dead_self) to.insert(p.to);
    }
    return to;
  };
  CHECK(asked().size() == 3);
  std::map<address, std::uint32_t> first_round;
  for (const auto& p : f.out.packets)
    for (const auto& m : p.messages)
      if (const auto* pi = std::get_if<ping>(&m)) first_round[p.to] = pi->seq_no;
  f.out.clear();
  run_until(f.n, f.now, f.now + f.n.cfg().t.probe_interval);
  CHECK(asked().size() >= 3);  // each silent peer's place taken by another ask
  CHECK_FALSE(f.n.leave_done());    // nobody answered: not done (the driver's timeout ends it)
  // Late answers to the first round's asks (their deadline passed) still count.
  for (const auto& [to, seq] : first_round) f.n.on_packet(to, wire::encode(ack_resp{seq, {}}), f.now);
  CHECK(f.n.leave_acks() >= 2);
}

TEST_CASE("node: an ack to a pinger we hold dead or suspect carries the accusation") {
  fixture f;
  f.add_members(2);
  f.deliver(dead{1, "m2", "x"});
  REQUIRE(suspect_by_probe(f, "m3"));
  f.out.clear();
  f.deliver(ping{31, "a", bytes{127, 0, 0, 2}, 7946, "m2"}, 2);
  auto deads = f.out.all<dead>();
  REQUIRE(deads.size() == 1);
  CHECK(deads[0].first == addr_of(2));
  CHECK(deads[0].second.node == "m2");
  CHECK(deads[0].second.incarnation == 1);
  CHECK(f.out.all<ack_resp>().size() == 1);
  f.out.clear();
  f.deliver(ping{32, "a", bytes{127, 0, 0, 3}, 7946, "m3"}, 3);
  auto sus = f.out.all<suspect>();
  REQUIRE(sus.size() == 1);
  CHECK(sus[0].second.node == "m3");
  CHECK(f.n.stats().accusations_in_acks == 2);
}

TEST_CASE("node: a resumed member refutes the death an ack tells it of") {
  // Two nodes wired by hand: "a" holds "b" dead; b pings a and gets the accusation.
  recording_transport out_b;
  recording_delegate ev_b;
  time_point now{};
  node b{make_config("b", 2), out_b, ev_b, 7, now};
  fixture fa;
  fa.add_members(0);
  fa.deliver(alive_for("b", 2, 1));
  fa.deliver(dead{1, "b", "a"});
  fa.out.clear();
  fa.n.on_packet(addr_of(2), wire::encode(ping{5, "a", bytes{127, 0, 0, 2}, 7946, "b"}), fa.now);
  REQUIRE(fa.out.packets.size() == 1);
  // Re-encode what a sent and hand it to b.
  std::vector<bytes> parts;
  for (const auto& m : fa.out.packets[0].messages)
    std::visit([&](const auto& v) { parts.push_back(wire::encode(v)); }, m);
  b.on_packet(addr_of(1), wire::make_compound(parts), now);
  CHECK(b.self().incarnation == 2);
  CHECK(b.stats().refutations == 1);
}

TEST_CASE("node: a refutation also goes straight to the accuser") {
  fixture f;
  f.add_members(3);  // m2..m4 at 127.0.0.2..4
  f.out.clear();
  f.deliver(suspect{1, "a", "m3"});
  CHECK(f.n.self().incarnation == 2);
  auto alives = f.out.all<alive>();
  REQUIRE(alives.size() == 1);
  CHECK(alives[0].first == addr_of(3));
  CHECK(alives[0].second.incarnation == 2);
  CHECK(f.n.stats().refutations_sent_direct == 1);
}

TEST_CASE("node: a stale accusation is answered with our current alive, rate-limited") {
  fixture f;
  f.add_members(3);
  f.deliver(suspect{1, "a", "m2"});  // refuted: incarnation 2
  f.out.clear();
  f.deliver(suspect{1, "a", "m4"});  // m4 missed the refutation
  auto alives = f.out.all<alive>();
  REQUIRE(alives.size() == 1);
  CHECK(alives[0].first == addr_of(4));
  CHECK(alives[0].second.incarnation == 2);
  CHECK(f.n.self().incarnation == 2);  // no new refutation: the accusation is old
  f.out.clear();
  f.deliver(dead{1, "a", "m4"});  // again within one probe interval: not repeated
  CHECK(f.out.all<alive>().empty());
  CHECK(f.n.stats().stale_accusations_answered == 1);
}

TEST_CASE("node: a suspicion heard from gossip is passed on, and taken only when our own probe fails") {
  fixture f;
  f.add_members(4);  // m2..m5: with four others, every heard suspicion is checked
  f.out.clear();
  const time_point t0 = f.now;
  f.deliver(suspect{1, "m5", "m2"});
  // Passed on (for m5 to hear and refute), not taken: m5 stays alive here.
  CHECK(f.n.find("m5")->state == member_state::alive);
  CHECK(f.events.saw("m5", member_event::accused));
  CHECK_FALSE(f.events.saw("m5", member_event::suspect));
  CHECK(f.n.stats().suspicions_passed_on == 1);
  auto gossiped = [&](const char* from) {
    for (const auto& [to, su] : f.out.all<suspect>())
      if (su.node == "m5" && su.from == from) return true;
    return false;
  };
  // The same accusation again changes nothing; a second accuser is passed on too (it is a
  // confirmation for the accusers' timers), once.
  f.deliver(suspect{1, "m5", "m2"});
  f.deliver(suspect{1, "m5", "m3"});
  f.deliver(suspect{1, "m5", "m3"});
  CHECK(f.n.stats().suspicions_passed_on == 1);
  // The latest goes out with the next gossip (the queue keeps one message per member).
  run_until(f.n, f.now, f.now + f.n.cfg().t.gossip_interval);
  CHECK(gossiped("m3"));
  CHECK(std::count(f.events.events.begin(), f.events.events.end(),
                   std::make_pair(std::string("m5"), member_event::accused)) == 1);
  // At the next probe tick we probe m5 ourselves; it stays silent, so we suspect it, and both
  // members we heard it from count as Lifeguard confirmations.
  CHECK(run_answering(f, "m5", t0 + 2100ms,
                      [&] { return f.n.find("m5")->state == member_state::suspect; }));
  CHECK(f.n.stats().suspicions_verified == 1);
  CHECK(f.events.saw("m5", member_event::suspect));
  // m5 answers with its refutation straight to us: the suspicion clears.
  f.deliver(alive_for("m5", 5, 2), 5);
  CHECK(f.n.find("m5")->state == member_state::alive);
}

TEST_CASE("node: a heard suspicion of a member that answers our probe is never taken") {
  fixture f;
  f.add_members(4);
  const time_point t0 = f.now;
  f.deliver(suspect{1, "m5", "m2"});
  // Everyone answers, m5 too: our check succeeds and m5 never becomes suspect here.
  run_answering(f, "", t0 + 3s, [] { return false; });
  CHECK(f.n.stats().suspicions_verified == 1);
  CHECK(f.n.find("m5")->state == member_state::alive);
  CHECK_FALSE(f.events.saw("m5", member_event::suspect));
  // And a death declared on that stale accusation is hearsay against our own evidence.
  f.deliver(dead{1, "m5", "m2"});
  CHECK(f.n.find("m5")->state == member_state::alive);
  CHECK(f.n.stats().deaths_refused == 1);
}

TEST_CASE("node: accusations and deaths from a member we do not hold alive are ignored") {
  fixture f;
  f.add_members(4);  // m2..m5
  REQUIRE(suspect_by_probe(f, "m2"));
  const auto queued = f.n.queued_broadcasts();
  f.deliver(suspect{1, "m4", "m2"});     // from a suspect member
  f.deliver(suspect{1, "m4", "ghost"});  // from nobody we know
  f.deliver(dead{1, "m5", "m2"});        // a death declared by the suspect member
  CHECK(f.n.find("m4")->state == member_state::alive);
  CHECK(f.n.find("m5")->state == member_state::alive);
  CHECK(f.n.stats().accusations_ignored == 3);
  CHECK(f.n.queued_broadcasts() == queued);
  CHECK_FALSE(f.events.saw("m4", member_event::accused));
  // A death from a member we hold alive still counts at once (no suspicion needed).
  f.deliver(dead{1, "m5", "m3"});
  CHECK(f.n.find("m5")->state == member_state::dead);
}

TEST_CASE("node: a push-pull that holds a live member dead tells that member, and gossips nothing") {
  fixture f;
  f.add_members(3);  // m2..m4
  f.out.clear();
  const auto queued = f.n.queued_broadcasts();
  push_pull pp;
  pp.states.push_back({"m3", bytes{127, 0, 0, 3}, 7946, {}, 1, member_state::dead, default_vsn()});
  f.n.on_stream(addr_of(2), pp, f.now);
  CHECK(f.n.find("m3")->state == member_state::alive);
  CHECK(f.n.queued_broadcasts() == queued);
  auto told = f.out.all<suspect>();
  REQUIRE(told.size() == 1);
  CHECK(told[0].first == addr_of(3));
  CHECK(told[0].second.node == "m3");
  CHECK(told[0].second.from == "a");
}

// ---- forged input (docs/wire.md §7.5, §7.6) ------------------------------------

namespace {

constexpr std::uint32_t top = 0xFFFFFFFF;

}  // namespace

TEST_CASE("node: an accusation at 0xFFFFFFFF about us is refuted at 0xFFFFFFFF, never at 0") {
  fixture f;
  f.add_members(3);
  f.out.clear();
  f.deliver(suspect{top, "a", "m2"});
  CHECK(f.n.self().incarnation == top);
  CHECK(f.n.self().state == member_state::alive);
  auto alives = f.out.all<alive>();
  REQUIRE(alives.size() == 1);  // straight to the accuser
  CHECK(alives[0].first == addr_of(2));
  CHECK(alives[0].second.incarnation == top);
  // Again, as a death: still answered, still at the top.
  f.out.clear();
  f.deliver(dead{top, "a", "m3"});
  CHECK(f.n.self().incarnation == top);
  CHECK(f.n.self().state == member_state::alive);
  CHECK(f.n.stats().refutations == 2);
  CHECK(f.n.stats().incarnation_saturated == 2);
  alives = f.out.all<alive>();
  REQUIRE(alives.size() == 1);
  CHECK(alives[0].second.incarnation == top);
  // One below the top is out-bid as usual, without saturating.
  fixture g;
  g.deliver(suspect{top - 1, "a", "x"});
  CHECK(g.n.self().incarnation == top);
  CHECK(g.n.stats().incarnation_saturated == 0);
  // A meta change at the top keeps the top.
  CHECK(f.n.set_meta(bytes{'k'}, f.now));
  CHECK(f.n.self().incarnation == top);
  CHECK(f.n.self().meta == bytes{'k'});
}

TEST_CASE("node: only our own probes accuse at 0xFFFFFFFF, and an alive at 0xFFFFFFFF clears them") {
  fixture f;
  f.add_members(3);  // m2..m4 at incarnation 1
  f.deliver(alive_for("m2", 2, top));
  REQUIRE(f.n.find("m2")->incarnation == top);
  // Heard accusations at the top: nothing could ever refute them, so they are ignored,
  // whatever incarnation we hold.
  f.deliver(suspect{top, "m2", "m3"});
  f.deliver(dead{top, "m2", "m2"});   // a forged leave
  f.deliver(dead{top, "m3", "m4"});   // m3 is at 1
  f.deliver(suspect{top, "m4", "m2"});
  push_pull pp;
  pp.states.push_back({"m2", bytes{127, 0, 0, 2}, 7946, {}, top, member_state::dead, default_vsn()});
  f.n.on_stream(addr_of(2), pp, f.now);
  for (const char* m : {"m2", "m3", "m4"}) CHECK(f.n.find(m)->state == member_state::alive);
  CHECK(f.n.find("m3")->incarnation == 1);
  CHECK(f.n.stats().top_accusations_ignored == 5);
  // One below the top is an accusation like any other (passed on; we would check it).
  f.deliver(suspect{top - 1, "m3", "m4"});
  CHECK(f.n.find("m3")->state == member_state::alive);
  CHECK(f.events.saw("m3", member_event::accused));
  // Our own failed probe of m2 does suspect it at the top...
  CHECK(run_answering(f, "m2", f.now + 10s,
                      [&] { return f.n.find("m2")->state == member_state::suspect; }));
  CHECK(f.n.find("m2")->incarnation == top);
  // ...and m2's alive at the top, which cannot be higher, clears it.
  f.deliver(alive_for("m2", 2, top), 2);
  CHECK(f.n.find("m2")->state == member_state::alive);
  CHECK(f.events.saw("m2", member_event::refuted));
  // A death we declare ourselves is cleared the same way.
  CHECK(run_answering(f, "m2", f.now + 60s,
                      [&] { return f.n.find("m2")->state == member_state::dead; }));
  f.deliver(alive_for("m2", 2, top), 2);
  CHECK(f.n.find("m2")->state == member_state::alive);
  // An alive at the top changes nothing about a member already alive at the top.
  auto queued = f.n.queued_broadcasts();
  auto events = f.events.events.size();
  f.deliver(alive_for("m2", 2, top), 2);
  CHECK(f.n.queued_broadcasts() == queued);
  CHECK(f.events.events.size() == events);
}

TEST_CASE("node: only members we hold alive confirm a suspicion, not made-up names") {
  // n = 6: min 4 s, max 24 s, k = 2 (docs/wire.md §7.6). m5 is really silent: our own probe
  // of it (the verification one interval in) fails and confirms once, first-hand, which alone
  // takes the timeout to 11.381 s; everyone else answers.
  auto never = [] { return false; };
  SUBCASE("suspects from unknown names, ourselves, the accused or a dead member: no") {
    fixture f;
    f.add_members(5);  // m2..m6
    f.deliver(dead{1, "m6", "m2"});
    REQUIRE(suspect_by_probe(f, "m5"));  // our own probe starts the suspicion of m5
    const time_point t0 = f.now;
    for (const char* from : {"ghost-1", "ghost-2", "ghost-3", "a", "m5", "m6"})
      f.deliver(suspect{1, "m5", from});
    CHECK(f.n.stats().confirmations_ignored == 6);
    // Counted, the made-up names would have brought it to min (4 s); alone, it is max (24 s).
    run_answering(f, "m5", t0 + 23s, never);
    CHECK(f.n.find("m5")->state == member_state::suspect);
    run_answering(f, "m5", t0 + 24s, never);
    CHECK(f.n.find("m5")->state == member_state::dead);
  }
  SUBCASE("suspects from two members we hold alive: yes") {
    fixture f;
    f.add_members(5);
    REQUIRE(suspect_by_probe(f, "m5"));
    const time_point t0 = f.now;
    f.deliver(suspect{1, "m5", "m2"});
    f.deliver(suspect{1, "m5", "m3"});
    CHECK(f.n.stats().confirmations_ignored == 0);
    run_answering(f, "m5", t0 + 3900ms, never);
    CHECK(f.n.find("m5")->state == member_state::suspect);
    CHECK(run_answering(f, "m5", t0 + 4100ms,
                        [&] { return f.n.find("m5")->state == member_state::dead; }));
  }
}

TEST_CASE("node: a leave and an alive from elsewhere do not move a member that still answers") {
  fixture f;
  f.add_members(2);  // m2, m3
  f.deliver(alive_for("b", 4, 3));
  f.out.clear();
  // A forged leave in b's name, then b's name claimed from 127.0.0.9.
  f.deliver(dead{3, "b", "b"});
  REQUIRE(f.n.find("b")->state == member_state::left);
  f.deliver(alive_for("b", 9, 50));
  CHECK(f.n.find("b")->addr == addr_of(4));
  CHECK(f.n.stats().address_checks == 1);
  // We ping b's old address, naming b, and b answers.
  std::vector<ping> asked;
  for (const auto& [to, p] : f.out.all<ping>())
    if (to == addr_of(4) && p.node == "b") asked.push_back(p);
  REQUIRE(asked.size() == 1);
  f.deliver(ack_resp{asked[0].seq_no, {}}, 4);
  CHECK(f.events.conflicts == 1);
  // b refutes the leave from its own address; the claim from elsewhere never lands.
  f.deliver(alive_for("b", 4, 4), 4);
  CHECK(f.n.find("b")->state == member_state::alive);
  run_answering(f, "", f.now + 10s, [] { return false; });
  CHECK(f.n.find("b")->addr == addr_of(4));
  CHECK(f.n.find("b")->incarnation == 4);
  // The same again, answered only by the second ping (the first one lost): still no move.
  f.out.clear();
  f.deliver(dead{4, "b", "b"});
  f.deliver(alive_for("b", 9, 60));
  const time_point t0 = f.now;
  run_until(f.n, f.now, t0 + 500ms);
  std::vector<ping> again;
  for (const auto& [to, p] : f.out.all<ping>())
    if (to == addr_of(4) && p.node == "b") again.push_back(p);
  REQUIRE(again.size() == 2);
  f.deliver(ack_resp{again[1].seq_no, {}}, 4);
  run_until(f.n, f.now, t0 + 5s);
  CHECK(f.n.find("b")->addr == addr_of(4));
  CHECK(f.events.conflicts == 2);
  CHECK(f.n.stats().address_checks == 2);
}

TEST_CASE("node: one push-pull adds at most max_push_pull_new_members, the table at most "
          "max_members; known members still merge") {
  recording_transport out;
  recording_delegate events;
  time_point now{};
  config cfg = make_config("a", 1);
  cfg.max_push_pull_new_members = 5;
  cfg.max_members = 9;
  node n{cfg, out, events, 42, now};
  n.on_packet(addr_of(9), wire::encode(alive_for("b", 2, 1)), now);
  n.on_packet(addr_of(9), wire::encode(alive_for("c", 3, 1)), now);
  auto state = [](const std::string& name, int i, std::uint32_t inc, member_state s) {
    return push_node_state{name, bytes{127, 0, 1, static_cast<std::uint8_t>(i)}, 7946, {}, inc, s,
                           default_vsn()};
  };
  push_pull pp;
  for (int i = 0; i < 10; ++i)
    pp.states.push_back(state("new" + std::to_string(i), i + 1, 1, member_state::alive));
  // After the new ones: updates about members we know, which the limit must not touch.
  pp.states.push_back({"b", bytes{127, 0, 0, 2}, 7946, {}, 4, member_state::alive, default_vsn()});
  pp.states.push_back({"c", bytes{127, 0, 0, 3}, 7946, {}, 2, member_state::left, default_vsn()});
  REQUIRE(n.on_stream(addr_of(2), pp, now));
  CHECK(n.stats().push_pulls == 1);
  CHECK(n.find("b")->incarnation == 4);
  CHECK(n.find("c")->state == member_state::left);
  for (int i = 0; i < 10; ++i) CHECK(n.find("new" + std::to_string(i)).has_value() == (i < 5));
  CHECK(n.num_known() == 8);
  CHECK(n.stats().push_pull_new_members_refused == 5);
  // The table holds 8 of 9: one more new member fits, by gossip; the next does not.
  n.on_packet(addr_of(9), wire::encode(alive_for("g1", 20, 1)), now);
  n.on_packet(addr_of(9), wire::encode(alive_for("g2", 21, 1)), now);
  CHECK(n.find("g1").has_value());
  CHECK_FALSE(n.find("g2").has_value());
  CHECK(n.stats().members_refused_table_full == 1);
  // A full table still takes news about the members it holds.
  push_pull more;
  more.states.push_back(state("new7", 8, 1, member_state::alive));
  more.states.push_back({"b", bytes{127, 0, 0, 2}, 7946, {}, 5, member_state::alive, default_vsn()});
  n.on_stream(addr_of(2), more, now);
  CHECK_FALSE(n.find("new7").has_value());
  CHECK(n.find("b")->incarnation == 5);
  CHECK(n.stats().members_refused_table_full == 2);
  CHECK(n.stats().push_pull_new_members_refused == 5);
  CHECK(n.num_known() == 9);
}

TEST_CASE("node: the periodic push-pull slows down once the full state outgrows push_pull_budget") {
  // 300 members with 200 bytes of tags that do not compress: a state frame of ~80 KB. By
  // memberlist's log2 scaling alone the period at 301 members is 5 x 30 s; sending ~80 KB about
  // twice per period within 128 B/s needs ~21 minutes.
  auto run = [](std::size_t budget) {
    recording_transport out;
    recording_delegate events;
    time_point now{};
    config cfg = make_config("a", 1);
    cfg.t.push_pull_budget = budget;
    node n{cfg, out, events, 42, now};
    std::mt19937 rng(7);
    push_pull pp;
    for (int i = 0; i < 300; ++i) {
      bytes meta(200);
      for (auto& b : meta) b = static_cast<std::uint8_t>(rng());
      pp.states.push_back({"m" + std::to_string(i),
                           bytes{127, 0, static_cast<std::uint8_t>(1 + i / 250),
                                 static_cast<std::uint8_t>(1 + i % 250)},
                           7946, meta, 1, member_state::alive, default_vsn()});
    }
    REQUIRE(n.on_stream(addr_of(2), pp, now));
    REQUIRE(n.num_live() == 301);
    auto reply = n.on_stream(addr_of(2), push_pull{}, now);  // our whole state, as sent
    REQUIRE(reply);
    std::vector<time_point> sent;
    std::size_t frame_bytes = reply->size();
    while (now < time_point{} + 1h) {
      now = n.next_deadline();
      n.tick(now);
      for (const auto& [to, p] : out.all<ping>()) n.on_packet(to, wire::encode(ack_resp{p.seq_no, {}}), now);
      for (const auto& st : out.streams)
        if (std::holds_alternative<push_pull>(st.msg)) sent.push_back(now);
      out.clear();
    }
    return std::make_pair(sent, frame_bytes);
  };
  const auto [paced, frame] = run(128);
  INFO("state frame " << frame << " bytes, " << paced.size() << " push-pulls in an hour");
  REQUIRE(frame > 60'000);
  const auto period = std::chrono::duration_cast<duration>(std::chrono::duration<double>(2.0 * frame / 128));
  REQUIRE(paced.size() >= 2);
  for (std::size_t i = 1; i < paced.size(); ++i) CHECK(paced[i] - paced[i - 1] >= period - 1s);
  CHECK(paced.size() <= 1 + 3600s / period + 1);
  // Without a budget: memberlist's period, 150 s at 301 members.
  const auto [memberlist, frame0] = run(0);
  CHECK(memberlist.size() >= 23);
  for (std::size_t i = 1; i < memberlist.size(); ++i) CHECK(memberlist[i] - memberlist[i - 1] == 150s);
}

TEST_CASE("node: by default one push-pull adds 10,000 new members and no more") {
  fixture f;
  CHECK(f.n.cfg().max_push_pull_new_members == 10000);
  CHECK(f.n.cfg().max_members == 20000);
  push_pull pp;
  for (int i = 0; i < 10001; ++i)
    pp.states.push_back({"n" + std::to_string(i),
                         bytes{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                               static_cast<std::uint8_t>(i)},
                         7946, {}, 1, member_state::alive, default_vsn()});
  f.n.on_stream(addr_of(2), pp, f.now);
  CHECK(f.n.num_known() == 10001);  // ourselves and 10,000
  CHECK(f.n.find("n9999").has_value());
  CHECK_FALSE(f.n.find("n10000").has_value());
  CHECK(f.n.stats().push_pull_new_members_refused == 1);
}

TEST_CASE("node: a port unreachable from a member's address is checked with a TCP connect") {
  fixture f;
  f.add_members(3);  // m2..m4 at 127.0.0.2..4
  f.out.clear();
  f.n.on_unreachable(addr_of(3), node::unreachable::port_unreachable, f.now);
  // Not a death by itself (an ICMP can be forged): one TCP check to the same address.
  CHECK(f.n.find("m3")->state == member_state::alive);
  REQUIRE(f.out.streams.size() == 1);
  CHECK(f.out.streams[0].to == addr_of(3));
  CHECK(std::holds_alternative<ping>(f.out.streams[0].msg));
  // More unreachables within the probe interval do not start more checks.
  f.n.on_unreachable(addr_of(3), node::unreachable::port_unreachable, f.now + 10ms);
  CHECK(f.out.streams.size() == 1);
  CHECK(f.n.stats().port_unreachables == 2);
  // An address that is nobody's (another host's ICMP, or a stranger) changes nothing.
  f.n.on_unreachable(addr_of(77), node::unreachable::port_unreachable, f.now);
  f.n.on_unreachable(addr_of(77), node::unreachable::connection_refused, f.now);
  CHECK(f.out.streams.size() == 1);
  CHECK(f.n.num_live() == 4);
  // The check answered (the agent is back): nothing happens.
  f.n.on_stream_reply(f.out.streams[0].id, wire::stream_message{ack_resp{1, {}}}, f.now);
  CHECK(f.n.find("m3")->state == member_state::alive);
}

TEST_CASE("node: a refused connect declares the member dead at once and tells others directly") {
  fixture f;
  f.add_members(4);  // m2..m5
  f.out.clear();
  f.n.on_unreachable(addr_of(4), node::unreachable::connection_refused, f.now);
  const auto m4 = f.n.find("m4");
  REQUIRE(m4.has_value());
  CHECK(m4->state == member_state::dead);
  CHECK(f.events.saw("m4", member_event::dead));
  CHECK(f.n.stats().deaths_by_refusal == 1);
  // The dead went straight to the other live members, not only into the gossip queue.
  std::set<address> told;
  for (const auto& [to, d] : f.out.all<dead>())
    if (d.node == "m4" && d.from == "a") told.insert(to);
  CHECK(told == std::set<address>{addr_of(2), addr_of(3), addr_of(5)});
  // A member that answers again refutes as usual: its alive at a higher incarnation wins.
  f.deliver(alive_for("m4", 4, 2));
  CHECK(f.n.find("m4")->state == member_state::alive);
}

TEST_CASE("node: the ring successor is pinged every successor_watch, besides the round-robin probes") {
  fixture f;  // "a"
  f.add_members(6);  // m2..m7: the successor of "a" is "m2"
  const timing& t = f.n.cfg().t;
  REQUIRE(t.successor_watch == 1s);
  std::map<std::string, int> pinged;
  std::vector<time_point> watched;  // wakeups that pinged m2
  const time_point t0 = f.now;
  while (f.now < t0 + 20s) {
    f.now = f.n.next_deadline();
    f.n.tick(f.now);
    bool m2 = false;
    for (const auto& [to, p] : f.out.all<ping>()) {
      pinged[p.node]++;
      m2 = m2 || p.node == "m2";
      f.n.on_packet(to, wire::encode(ack_resp{p.seq_no, {}}), f.now);  // everyone answers
    }
    if (m2) watched.push_back(f.now);
    f.out.clear();
  }
  // One watch ping a second goes to m2 (none while the probe itself is on it), on top of its
  // share of the 20 probes; the round-robin reaches everyone (6 members, shuffled each round).
  CHECK(f.n.stats().successor_watches >= 15);
  CHECK(f.n.stats().successor_watches <= 21);
  CHECK(pinged["m2"] >= 18);
  for (std::size_t i = 1; i < watched.size(); ++i) CHECK(watched[i] - watched[i - 1] <= t.successor_watch);
  for (int i = 3; i <= 7; ++i) CHECK(pinged["m" + std::to_string(i)] >= 2);
  CHECK(f.n.stats().probes <= 21);
  // A successor that stops answering is probed as soon as the watch ping times out (no probe
  // runs then: the last one was answered at once), indirect pings included, and suspected
  // when that probe ends, without waiting for the round-robin or the next tick.
  std::optional<time_point> unanswered;  // the first ping m2 left unanswered
  const time_point limit = f.now + 4s;
  while (f.n.find("m2")->state != member_state::suspect && f.now < limit) {
    f.now = std::min(f.n.next_deadline(), limit);
    f.n.tick(f.now);
    for (const auto& [to, p] : f.out.all<ping>()) {
      if (p.node != "m2")
        f.n.on_packet(to, wire::encode(ack_resp{p.seq_no, {}}), f.now);
      else if (!unanswered)
        unanswered = f.now;
    }
    f.out.clear();
  }
  REQUIRE(f.n.find("m2")->state == member_state::suspect);
  REQUIRE(unanswered);
  CHECK(f.now - *unanswered <= t.probe_timeout + t.probe_interval);
}

TEST_CASE("node: the gossip queue grows with the table: a join of 5,000 members drops no alive") {
  fixture f;
  const int n = 5000;  // above the queue's least bound of 4,096
  for (int i = 0; i < n; ++i) {
    const address a = address::v4(127, 1, static_cast<std::uint8_t>(i / 256),
                                  static_cast<std::uint8_t>(i % 256), 7946);
    f.deliver(alive{1, "j" + std::to_string(i), bytes(a.ip_bytes().begin(), a.ip_bytes().end()),
                    7946, {}, default_vsn()});
  }
  CHECK(f.n.num_live() == n + 1);
  // Every alive waits to be passed on (ours too), none dropped for want of room.
  CHECK(f.n.queued_broadcasts(broadcast_class::membership) == n + 1);
  CHECK(f.n.dropped_broadcasts(broadcast_class::membership) == 0);
}

// The member pinged most often over `span`, everyone answering: the watched ring successor
// gets a ping a second on top of its share of the round-robin probes.
static std::string most_pinged(fixture& f, std::chrono::milliseconds span) {
  std::map<std::string, int> pinged;
  const time_point until = f.now + span;
  while (f.now < until) {
    f.now = std::min(f.n.next_deadline(), until);
    f.n.tick(f.now);
    for (const auto& [to, p] : f.out.all<ping>()) {
      pinged[p.node]++;
      f.n.on_packet(to, wire::encode(ack_resp{p.seq_no, {}}), f.now);
    }
    f.out.clear();
  }
  std::vector<std::pair<int, std::string>> by_count;
  for (const auto& [name, n] : pinged) by_count.emplace_back(n, name);
  std::sort(by_count.rbegin(), by_count.rend());
  REQUIRE(!by_count.empty());
  if (by_count.size() > 1) CHECK(by_count[0].first >= by_count[1].first + 4);
  return by_count[0].second;
}

TEST_CASE("node: the watched successor follows the ring as members join, wrap around and leave") {
  fixture f;  // "a"
  f.deliver(alive_for("m5", 5, 1));
  f.deliver(alive_for("m7", 7, 1));
  CHECK(most_pinged(f, 8s) == "m5");
  // A member between us and the successor takes its place; one past it or before us does not.
  f.deliver(alive_for("c", 3, 1));
  f.deliver(alive_for("m6", 6, 1));
  f.deliver(alive_for("0", 2, 1));  // sorts before "a": only reached by wrapping around
  CHECK(most_pinged(f, 8s) == "c");
  // The successor leaves: the next one by name.
  f.deliver(dead{2, "c", "c"});
  REQUIRE(f.n.find("c")->state == member_state::left);
  CHECK(most_pinged(f, 8s) == "m5");
  // Everyone above us gone: the ring wraps around to the smallest name.
  for (const char* name : {"m5", "m6", "m7"}) f.deliver(dead{2, name, name});
  CHECK(most_pinged(f, 8s) == "0");
  // Back from left: a member between us and the wrapped-around successor is watched again.
  f.deliver(alive_for("m6", 6, 3));
  CHECK(most_pinged(f, 8s) == "m6");
}

TEST_CASE("node: the watch ping of a killed successor draws the port unreachable that removes it") {
  fixture f;
  f.add_members(3);  // m2..m4
  f.out.clear();
  run_until(f.n, f.now, f.now + 1100ms);
  bool watched = false;
  for (const auto& [to, p] : f.out.all<ping>()) watched = watched || (to == addr_of(2) && p.node == "m2");
  REQUIRE(watched);
  // The kernel answers for the dead agent: an ICMP, then a refused TCP check.
  f.out.clear();
  f.n.on_unreachable(addr_of(2), node::unreachable::port_unreachable, f.now);
  REQUIRE(f.out.streams.size() == 1);
  f.n.on_unreachable(addr_of(2), node::unreachable::connection_refused, f.now);
  CHECK(f.n.find("m2")->state == member_state::dead);
  std::set<address> told;
  for (const auto& [to, d] : f.out.all<dead>()) told.insert(to);
  CHECK(told == std::set<address>{addr_of(3), addr_of(4)});
}

TEST_CASE("node: an idle member does not wake for gossip; a queued broadcast goes out at once") {
  fixture f;
  f.add_members(3);
  const timing& t = f.n.cfg().t;
  // Let every broadcast be spent.
  run_answering(f, "", f.now + 10s, [] { return false; });
  REQUIRE(f.n.queued_broadcasts() == 0);
  // Idle: wake-ups come from the probe grid alone, never at the 200 ms gossip grid: the watch
  // rides on the probe's wakeup, and the timers of answered pings are dropped at once.
  int wakeups = 0;
  const time_point t0 = f.now;
  while (f.now < t0 + 10s) {
    f.now = f.n.next_deadline();
    f.n.tick(f.now);
    ++wakeups;
    for (const auto& [to, p] : f.out.all<ping>()) f.n.on_packet(to, wire::encode(ack_resp{p.seq_no, {}}), f.now);
    f.out.clear();
  }
  CHECK(wakeups <= 12);
  CHECK(wakeups >= 9);
  // Something to gossip: due at the next gossip grid point at the latest.
  f.deliver(alive_for("m9", 9, 1));
  CHECK(f.n.queued_broadcasts() > 0);
  CHECK(f.n.next_deadline() <= f.now + t.gossip_interval);
}
