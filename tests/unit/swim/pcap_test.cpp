#include <doctest/doctest.h>

#include <cstdint>
#include <numeric>
#include <string>

#include "support/pcap.hpp"

using test_support::capture;
using test_support::endpoint;

namespace {

constexpr std::uint32_t ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return (std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d;
}

capture load(const char* name) {
  std::string why;
  auto cap = test_support::read_pcap(test_support::golden_path(name), &why);
  REQUIRE_MESSAGE(cap.has_value(), why);
  return std::move(*cap);
}

// ---- building small synthetic captures ---------------------------------------

void put16(swim::bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(swim::bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void put32_order(swim::bytes& b, std::uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) {
    const int shift = big ? 24 - 8 * i : 8 * i;
    b.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}

/// An IPv4 header (no options, checksum left 0: the reader doesn't verify it) plus `l4`.
swim::bytes ipv4(std::uint8_t proto, std::uint32_t src, std::uint32_t dst, const swim::bytes& l4) {
  swim::bytes p{0x45, 0};
  put16(p, static_cast<std::uint16_t>(20 + l4.size()));
  put32(p, 0x00004000);  // id 0, DF
  p.push_back(64);
  p.push_back(proto);
  put16(p, 0);
  put32(p, src);
  put32(p, dst);
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

swim::bytes udp(endpoint from, endpoint to, const swim::bytes& payload) {
  swim::bytes u;
  put16(u, from.port);
  put16(u, to.port);
  put16(u, static_cast<std::uint16_t>(8 + payload.size()));
  put16(u, 0);
  u.insert(u.end(), payload.begin(), payload.end());
  return ipv4(17, from.addr, to.addr, u);
}

swim::bytes tcp(endpoint from, endpoint to, std::uint32_t seq, std::uint8_t flags, const swim::bytes& payload) {
  swim::bytes t;
  put16(t, from.port);
  put16(t, to.port);
  put32(t, seq);
  put32(t, 0);
  t.push_back(0x50);
  t.push_back(flags);
  put16(t, 65535);
  put32(t, 0);
  t.insert(t.end(), payload.begin(), payload.end());
  return ipv4(6, from.addr, to.addr, t);
}

/// A pcap file: `big` picks the byte order, `nanos` the timestamp resolution.
struct pcap_builder {
  bool big = false;
  bool nanos = false;
  std::uint32_t link = 1;
  swim::bytes file;

  pcap_builder& header() {
    put32_order(file, nanos ? 0xA1B23C4Du : 0xA1B2C3D4u, big);
    file.push_back(big ? 0 : 2);
    file.push_back(big ? 2 : 0);
    file.push_back(big ? 0 : 4);
    file.push_back(big ? 4 : 0);
    put32_order(file, 0, big);
    put32_order(file, 0, big);
    put32_order(file, 65535, big);
    put32_order(file, link, big);
    return *this;
  }

  /// Wrap an IPv4 packet in this file's link-layer header and append a record.
  pcap_builder& packet(const swim::bytes& ip_packet, std::uint32_t sec = 1, std::uint32_t frac = 5) {
    swim::bytes frame;
    switch (link) {
      case 0: put32_order(frame, 2, big); break;  // AF_INET in the writer's order
      case 1:
        frame.assign(12, 0);
        put16(frame, 0x0800);
        break;
      case 113:
        frame.assign(14, 0);
        put16(frame, 0x0800);
        break;
      default: break;  // raw IP
    }
    frame.insert(frame.end(), ip_packet.begin(), ip_packet.end());
    if (link == 1) frame.resize(std::max<std::size_t>(frame.size(), 60), 0);  // Ethernet padding
    put32_order(file, sec, big);
    put32_order(file, frac, big);
    put32_order(file, static_cast<std::uint32_t>(frame.size()), big);
    put32_order(file, static_cast<std::uint32_t>(frame.size()), big);
    file.insert(file.end(), frame.begin(), frame.end());
    return *this;
  }
};

}  // namespace

// The numbers below were obtained with tshark 4.0 on Debian 12 from the
// files in tests/golden, e.g. for plain.pcap:
//   capinfos -c plain.pcap                                   (frames)
//   tshark -r plain.pcap -Y udp -T fields -e udp.length      (count; sum of length-8 = bytes)
//   tshark -r plain.pcap -Y tcp -T fields -e tcp.stream | sort -u | wc -l   (streams)
//   tshark -r plain.pcap -Y tcp -T fields -e tcp.stream -e ip.src -e tcp.srcport
//          -e tcp.len -e tcp.flags.syn -e tcp.flags.ack     (bytes per direction, summed by
//          whether the sender sent the SYN without ACK; tshark flags no retransmissions)
// All five files are little-endian microsecond pcap with Ethernet framing (link type 1).
TEST_CASE("pcap: packet and stream counts agree with tshark") {
  struct expectation {
    const char* file;
    std::size_t frames;
    std::size_t udp;
    std::size_t udp_bytes;
    std::size_t tcp_streams;
    std::size_t from_initiators;
    std::size_t from_responders;
  };
  for (const auto& e : {
           expectation{"plain.pcap", 237, 203, 17812, 9, 440, 500},
           expectation{"probe.pcap", 99, 58, 4985, 5, 443, 505},
           expectation{"fake.pcap", 768, 530, 39757, 24, 2202, 1508},
           expectation{"err.pcap", 40, 10, 1136, 3, 335, 548},
           expectation{"enc.pcap", 44, 34, 4012, 1, 250, 249},
       }) {
    CAPTURE(std::string(e.file));
    const capture cap = load(e.file);
    CHECK(cap.link_type == 1);
    CHECK(cap.frames == e.frames);
    CHECK(cap.skipped == 0);
    CHECK(cap.udp.size() == e.udp);
    const std::size_t udp_bytes = std::accumulate(
        cap.udp.begin(), cap.udp.end(), std::size_t{0},
        [](std::size_t n, const test_support::udp_datagram& d) { return n + d.payload.size(); });
    CHECK(udp_bytes == e.udp_bytes);
    CHECK(cap.tcp.size() == e.tcp_streams);
    std::size_t from_init = 0;
    std::size_t from_resp = 0;
    for (const auto& s : cap.tcp) {
      CHECK(s.saw_syn);
      CHECK_FALSE(s.gap);
      from_init += s.from_initiator.size();
      from_resp += s.from_responder.size();
    }
    CHECK(from_init == e.from_initiators);
    CHECK(from_resp == e.from_responders);
  }
}

TEST_CASE("pcap: details of plain.pcap match tshark") {
  const capture cap = load("plain.pcap");
  REQUIRE(cap.udp.size() == 203);
  // tshark -r plain.pcap -Y udp -T fields -e frame.number -e ip.src -e ip.dst -e udp.payload | head -1
  const auto& first = cap.udp.front();
  CHECK(first.frame == 11);
  CHECK(first.src == endpoint{ip(127, 0, 0, 1), 7946});
  CHECK(first.dst == endpoint{ip(127, 0, 0, 2), 7946});
  CHECK(first.src.to_string() == "127.0.0.1:7946");
  REQUIRE(first.payload.size() == 151);  // docs/wire.md §11 V4
  CHECK(first.payload[0] == 0x0c);
  CHECK(first.payload[1] == 0xaa);
  CHECK(first.payload[150] == 0x05);
  for (std::size_t i = 1; i < cap.udp.size(); ++i) CHECK(cap.udp[i].time_ns >= cap.udp[i - 1].time_ns);

  // Stream 0 (tshark tcp.stream == 0): the join push-pull from 127.0.0.1:52932,
  // 227 bytes out (docs/wire.md §11 V14) and a 222-byte reply, both compressed frames.
  const auto& join = cap.tcp.front();
  CHECK(join.initiator == endpoint{ip(127, 0, 0, 1), 52932});
  CHECK(join.responder == endpoint{ip(127, 0, 0, 1), 7946});
  CHECK(join.from_initiator.size() == 227);
  CHECK(join.from_responder.size() == 222);
  CHECK(join.from_initiator[0] == 0x09);
  CHECK(join.from_responder[0] == 0x09);
  CHECK(join.saw_fin);
  // Streams 2..8 are TCP fallback pings to the killed agent: SYN answered by RST, no data.
  for (std::size_t i = 2; i < cap.tcp.size(); ++i) {
    CHECK(cap.tcp[i].responder == endpoint{ip(127, 0, 0, 3), 7946});
    CHECK(cap.tcp[i].from_initiator.empty());
    CHECK(cap.tcp[i].from_responder.empty());
  }
}

TEST_CASE("pcap: byte orders, timestamp resolutions and link types") {
  const endpoint a{ip(127, 0, 0, 1), 7946};
  const endpoint b{ip(127, 0, 0, 2), 40000};
  const swim::bytes payload{0x0b, 0x81, 0xa5, 'S', 'e', 'q', 'N', 'o', 0x0e};
  for (const bool big : {false, true}) {
    for (const bool nanos : {false, true}) {
      for (const std::uint32_t link : {0u, 1u, 101u, 113u, 228u}) {
        CAPTURE(big);
        CAPTURE(nanos);
        CAPTURE(link);
        pcap_builder p{big, nanos, link, {}};
        p.header().packet(udp(a, b, payload), 7, 250);
        const auto cap = test_support::parse_pcap(p.file);
        REQUIRE(cap.has_value());
        CHECK(cap->link_type == link);
        REQUIRE(cap->udp.size() == 1);
        CHECK(cap->udp[0].payload == payload);
        CHECK(cap->udp[0].src == a);
        CHECK(cap->udp[0].dst == b);
        CHECK(cap->udp[0].time_ns == 7'000'000'000u + (nanos ? 250u : 250'000u));
      }
    }
  }
}

TEST_CASE("pcap: TCP reassembly orders segments and drops retransmits") {
  const endpoint client{ip(127, 0, 0, 1), 50000};
  const endpoint server{ip(127, 0, 0, 2), 7946};
  constexpr std::uint8_t syn = 0x02, ack = 0x10, psh = 0x08, fin = 0x01;
  const std::uint32_t c0 = 0xFFFFFFF0u;  // near the wrap, to check modular offsets
  const std::uint32_t s0 = 1000;
  pcap_builder p;
  p.header()
      .packet(tcp(client, server, c0, syn, {}))
      .packet(tcp(server, client, s0, syn | ack, {}))
      // Client data "hello world" sent as three segments, the second arriving last,
      // the first retransmitted, plus an overlapping repacketised retransmit.
      .packet(tcp(client, server, c0 + 1, ack | psh, {'h', 'e', 'l', 'l'}))
      .packet(tcp(client, server, c0 + 1 + 8, ack | psh, {'r', 'l', 'd'}))
      .packet(tcp(client, server, c0 + 1, ack | psh, {'h', 'e', 'l', 'l'}))
      .packet(tcp(client, server, c0 + 1 + 4, ack | psh, {'o', ' ', 'w', 'o'}))
      .packet(tcp(client, server, c0 + 1 + 2, ack | psh, {'l', 'l', 'o', ' ', 'w'}))
      .packet(tcp(server, client, s0 + 1, ack | psh, {'o', 'k'}))
      .packet(tcp(server, client, s0 + 3, ack | fin, {}))
      // The same 4-tuple reused by a new connection after the close.
      .packet(tcp(client, server, 77, syn, {}))
      .packet(tcp(client, server, 78, ack | psh, {'2'}));
  const auto cap = test_support::parse_pcap(p.file);
  REQUIRE(cap.has_value());
  REQUIRE(cap->tcp.size() == 2);
  const auto& s = cap->tcp[0];
  CHECK(s.saw_syn);
  CHECK(s.saw_fin);
  CHECK(s.initiator == client);
  CHECK(s.responder == server);
  CHECK(std::string(s.from_initiator.begin(), s.from_initiator.end()) == "hello world");
  CHECK(std::string(s.from_responder.begin(), s.from_responder.end()) == "ok");
  CHECK_FALSE(s.gap);
  CHECK(cap->tcp[1].from_initiator == swim::bytes{'2'});
}

TEST_CASE("pcap: a hole stops a stream; a capture without the handshake still reads") {
  const endpoint client{ip(10, 0, 0, 1), 50000};
  const endpoint server{ip(10, 0, 0, 2), 7946};
  pcap_builder p;
  p.header()
      .packet(tcp(client, server, 500, 0x18, {'a', 'b'}))
      .packet(tcp(client, server, 504, 0x18, {'e', 'f'}));
  const auto cap = test_support::parse_pcap(p.file);
  REQUIRE(cap.has_value());
  REQUIRE(cap->tcp.size() == 1);
  CHECK_FALSE(cap->tcp[0].saw_syn);
  CHECK(cap->tcp[0].initiator == client);
  CHECK(cap->tcp[0].gap);
  CHECK(cap->tcp[0].from_initiator == swim::bytes{'a', 'b'});
}

TEST_CASE("pcap: other traffic and bad files are skipped or rejected gracefully") {
  SUBCASE("IPv6, ARP, fragments and ICMP are skipped") {
    pcap_builder p;
    p.header();
    swim::bytes v6(60, 0);
    v6[0] = 0x60;
    p.packet(v6);                                        // IPv6 in an IPv4 ethertype frame
    swim::bytes frag = udp({ip(1, 2, 3, 4), 1}, {ip(1, 2, 3, 5), 2}, {1, 2, 3});
    frag[6] = 0x20;                                      // more fragments
    p.packet(frag);
    p.packet(ipv4(1, ip(1, 2, 3, 4), ip(1, 2, 3, 5), {8, 0, 0, 0}));  // ICMP
    // An ARP frame: Ethernet with ethertype 0x0806.
    swim::bytes arp(12, 0);
    put16(arp, 0x0806);
    arp.resize(60, 0);
    put32(p.file, 0);
    put32(p.file, 0);
    p.file.insert(p.file.end(), {60, 0, 0, 0, 60, 0, 0, 0});
    p.file.insert(p.file.end(), arp.begin(), arp.end());
    p.packet(udp({ip(1, 2, 3, 4), 1}, {ip(1, 2, 3, 5), 2}, {9}));
    const auto cap = test_support::parse_pcap(p.file);
    REQUIRE(cap.has_value());
    CHECK(cap->frames == 5);
    CHECK(cap->skipped == 4);
    REQUIRE(cap->udp.size() == 1);
    CHECK(cap->udp[0].payload == swim::bytes{9});
  }
  SUBCASE("a truncated last record ends the read") {
    pcap_builder p;
    p.header().packet(udp({ip(1, 2, 3, 4), 1}, {ip(1, 2, 3, 5), 2}, {7}));
    p.packet(udp({ip(1, 2, 3, 4), 1}, {ip(1, 2, 3, 5), 2}, {8}));
    p.file.erase(p.file.end() - 10, p.file.end());
    const auto cap = test_support::parse_pcap(p.file);
    REQUIRE(cap.has_value());
    CHECK(cap->frames == 1);
    CHECK(cap->udp.size() == 1);
  }
  SUBCASE("not pcap, pcapng, unknown link type, missing file") {
    std::string why;
    CHECK_FALSE(test_support::parse_pcap(swim::as_bytes("hello"), &why).has_value());
    CHECK_FALSE(why.empty());
    swim::bytes ng{0x0a, 0x0d, 0x0d, 0x0a};
    ng.resize(64, 0);
    CHECK_FALSE(test_support::parse_pcap(ng).has_value());
    pcap_builder p;
    p.link = 147;
    p.header();
    CHECK_FALSE(test_support::parse_pcap(p.file).has_value());
    CHECK_FALSE(test_support::read_pcap("/nonexistent/x.pcap", &why).has_value());
  }
}
