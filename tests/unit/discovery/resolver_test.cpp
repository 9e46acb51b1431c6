#include "discovery/resolver.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

using namespace discovery;

namespace {

using bytes = std::vector<unsigned char>;

void put16(bytes& b, unsigned v) {
  b.push_back(static_cast<unsigned char>(v >> 8));
  b.push_back(static_cast<unsigned char>(v & 0xff));
}

void put_name(bytes& b, std::initializer_list<const char*> labels) {
  for (const char* l : labels) {
    b.push_back(static_cast<unsigned char>(std::char_traits<char>::length(l)));
    for (const char* c = l; *c != '\0'; ++c) b.push_back(static_cast<unsigned char>(*c));
  }
  b.push_back(0);
}

/// A DNS answer to "_gossip._udp.cache.local SRV": two SRV records (the second target
/// compressed against the question), then an A record that must be skipped.
bytes srv_answer() {
  bytes b;
  put16(b, 0x1234);  // id
  put16(b, 0x8180);  // response, recursion desired and available, no error
  put16(b, 1);       // questions
  put16(b, 3);       // answers
  put16(b, 0);
  put16(b, 0);
  put_name(b, {"_gossip", "_udp", "cache", "local"});  // at offset 12
  put16(b, 33);  // SRV
  put16(b, 1);   // IN
  // SRV 10 60 7946 pod-a.cache.local.
  put16(b, 0xC00C);
  put16(b, 33);
  put16(b, 1);
  put16(b, 0);
  put16(b, 30);  // TTL
  bytes rd;
  put16(rd, 10);
  put16(rd, 60);
  put16(rd, 7946);
  put_name(rd, {"pod-a", "cache", "local"});
  put16(b, static_cast<unsigned>(rd.size()));
  b.insert(b.end(), rd.begin(), rd.end());
  // SRV 10 40 7000 pod-b.<pointer to "cache.local" in the question, offset 12 + 13>.
  put16(b, 0xC00C);
  put16(b, 33);
  put16(b, 1);
  put16(b, 0);
  put16(b, 30);
  bytes rd2;
  put16(rd2, 10);
  put16(rd2, 40);
  put16(rd2, 7000);
  rd2.push_back(5);
  for (char c : std::string("pod-b")) rd2.push_back(static_cast<unsigned char>(c));
  put16(rd2, 0xC000 | (12 + 8 + 5));  // "cache.local" after "\7_gossip\4_udp"
  put16(b, static_cast<unsigned>(rd2.size()));
  b.insert(b.end(), rd2.begin(), rd2.end());
  // A 10.0.0.1 (not SRV: skipped).
  put16(b, 0xC00C);
  put16(b, 1);
  put16(b, 1);
  put16(b, 0);
  put16(b, 30);
  put16(b, 4);
  for (unsigned char c : {10, 0, 0, 1}) b.push_back(c);
  return b;
}

}  // namespace

TEST_CASE("resolver: SRV records are read from a DNS answer, compressed names included") {
  const bytes msg = srv_answer();
  srv_lookup r = parse_srv_answer(msg.data(), msg.size());
  REQUIRE_MESSAGE(r.error.empty(), r.error);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0] == srv_record{10, 60, 7946, "pod-a.cache.local"});
  CHECK(r.records[1] == srv_record{10, 40, 7000, "pod-b.cache.local"});
}

TEST_CASE("resolver: a truncated or garbled DNS answer is an error, never a crash") {
  const bytes msg = srv_answer();
  for (std::size_t len = 0; len < msg.size(); ++len) {
    srv_lookup r = parse_srv_answer(msg.data(), len);
    CHECK_FALSE(r.error.empty());
  }
  bytes bad = msg;
  bad[bad.size() - 30] ^= 0xff;  // inside the second SRV's rdata / the A record
  (void)parse_srv_answer(bad.data(), bad.size());  // any outcome, but no crash
}

TEST_CASE("resolver: the system resolver answers localhost from /etc/hosts and passes IPs through") {
  system_resolver r;
  address_lookup a = r.resolve("localhost");
  REQUIRE_MESSAGE(a.error.empty(), a.error);
  CHECK(std::find(a.ips.begin(), a.ips.end(), "127.0.0.1") != a.ips.end());
  CHECK(r.resolve("10.1.2.3").ips == std::vector<std::string>{"10.1.2.3"});
  CHECK(r.resolve("fd00::1").ips == std::vector<std::string>{"fd00::1"});
  CHECK(is_ip_literal("127.0.0.1"));
  CHECK_FALSE(is_ip_literal("localhost"));
}
