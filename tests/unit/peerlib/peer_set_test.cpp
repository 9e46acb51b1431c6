// peerlib::peer_set: lookups, hashing identities, and owners() replica choice
// (zone diversity, stability when unrelated peers come and go).

#include "peerlib/peer_set.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <set>

using namespace peerlib;

namespace {

peer make_peer(const std::string& name, const std::string& zone, bool with_url = true) {
  peer p;
  p.name = name;
  p.address = "10.0.0." + std::to_string(std::hash<std::string>{}(name) % 200 + 2);
  p.port = 7946;
  if (with_url) {
    p.cache_port = 8080;
    p.cache_url = "http://" + name + ":8080";
  }
  p.zone = zone;
  return p;
}

snapshot make_snapshot(std::vector<peer> peers, std::uint64_t version = 1) {
  snapshot s;
  s.version = version;
  s.local_mode = false;
  s.self = peers.front();
  s.peers = std::move(peers);
  return s;
}

/// n peers spread over zones a, b, c (name order: cache-00, cache-01, ...).
std::vector<peer> fleet(int n, int zones = 3) {
  std::vector<peer> out;
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "cache-%02d", i);
    out.push_back(make_peer(name, std::string("us-central1-") + char('a' + i % zones)));
  }
  return out;
}

std::vector<std::string> names(const std::vector<const peer*>& ps) {
  std::vector<std::string> out;
  for (auto* p : ps) out.push_back(p->name);
  return out;
}

}  // namespace

TEST_CASE("peer_set: sorted by name, find, self, hash ids") {
  auto s = make_snapshot({make_peer("c", "z"), make_peer("a", "z"), make_peer("b", "z", false)}, 7);
  s.self = make_peer("a", "z");
  peer_set set(s, 3);
  CHECK(set.version() == 7);
  CHECK(set.generation() == 3);
  CHECK_FALSE(set.local_mode());
  REQUIRE(set.size() == 3);
  CHECK(set.peers()[0].name == "a");
  CHECK(set.peers()[2].name == "c");
  REQUIRE(set.find("b"));
  CHECK(set.find("b")->name == "b");
  CHECK(set.find("zz") == nullptr);
  CHECK(set.is_self(set.peers()[0]));
  CHECK_FALSE(set.is_self(set.peers()[1]));
  // A peer without a cache port is hashed by name.
  CHECK(set.hash_ids() == std::vector<std::string>{"http://a:8080", "b", "http://c:8080"});
}

TEST_CASE("peer_set: groupcache owner equals consistent_hash over the URLs") {
  auto f = fleet(12);
  peer_set set(make_snapshot(f));
  consistent_hash ring;
  ring.add(set.hash_ids());
  for (int i = 0; i < 2000; ++i) {
    auto k = "k" + std::to_string(i);
    const peer* o = set.owner(k);
    REQUIRE(o);
    CHECK(o->cache_url == ring.get(k));
    const peer* r = set.owner(k, hash_algorithm::rendezvous);
    REQUIRE(r);
    CHECK(r->cache_url == rendezvous(set.hash_ids()).get(k));
  }
}

TEST_CASE("peer_set: local view is just self and owns everything") {
  auto self = make_peer("me", "us-east1-b");
  auto v = peer_set::local(self, 1);
  CHECK(v->local_mode());
  CHECK(v->version() == 0);
  REQUIRE(v->size() == 1);
  CHECK(v->owner("anything")->name == "me");
  CHECK(v->owner("x", hash_algorithm::rendezvous)->name == "me");
  CHECK(names(v->owners("x", 3)) == std::vector<std::string>{"me"});
  snapshot empty;
  peer_set none(empty);
  CHECK(none.owner("k") == nullptr);
  CHECK(none.owners("k", 2).empty());
}

TEST_CASE("owners: n distinct peers, owner first, one per zone while zones last") {
  auto f = fleet(9);  // three zones, three peers each
  peer_set set(make_snapshot(f));
  for (auto algo : {hash_algorithm::groupcache, hash_algorithm::rendezvous}) {
    CAPTURE(to_string(algo));
    for (int i = 0; i < 500; ++i) {
      auto k = "key-" + std::to_string(i);
      auto o = set.owners(k, 3, algo);
      REQUIRE(o.size() == 3);
      CHECK(o[0] == set.owner(k, algo));
      std::set<std::string> zones, ns;
      for (auto* p : o) zones.insert(p->zone), ns.insert(p->name);
      CHECK(zones.size() == 3);
      CHECK(ns.size() == 3);
      // Five replicas over three zones: every zone used, all distinct.
      auto five = set.owners(k, 5, algo);
      REQUIRE(five.size() == 5);
      std::set<std::string> z5, n5;
      for (auto* p : five) z5.insert(p->zone), n5.insert(p->name);
      CHECK(z5.size() == 3);
      CHECK(n5.size() == 5);
      // Asking for more than exist returns everyone once.
      CHECK(set.owners(k, 20, algo).size() == 9);
    }
  }
}

TEST_CASE("owners: unaffected when a peer that is not among them joins or leaves") {
  auto f = fleet(10);
  peer_set set(make_snapshot(f));
  for (auto algo : {hash_algorithm::groupcache, hash_algorithm::rendezvous}) {
    CAPTURE(to_string(algo));
    int leave_checked = 0, join_checked = 0;
    for (int i = 0; i < 300; ++i) {
      auto k = "stable-" + std::to_string(i);
      auto before = names(set.owners(k, 3, algo));
      // Remove each peer that is not an owner: the owners stay.
      for (const auto& p : f) {
        if (std::find(before.begin(), before.end(), p.name) != before.end()) continue;
        auto fewer = f;
        fewer.erase(std::find_if(fewer.begin(), fewer.end(), [&](const peer& q) { return q.name == p.name; }));
        peer_set smaller(make_snapshot(fewer));
        CHECK(names(smaller.owners(k, 3, algo)) == before);
        ++leave_checked;
      }
      // A newcomer either becomes an owner or changes nothing.
      auto more = f;
      more.push_back(make_peer("cache-new", "us-central1-" + std::string(1, char('a' + i % 4))));
      peer_set bigger(make_snapshot(more));
      auto after = names(bigger.owners(k, 3, algo));
      if (std::find(after.begin(), after.end(), "cache-new") == after.end()) {
        CHECK(after == before);
        ++join_checked;
      }
    }
    CHECK(leave_checked > 1000);
    CHECK(join_checked > 100);
  }
}

TEST_CASE("owners: single zone or no zones falls back to rank order") {
  auto f = fleet(6, 1);
  peer_set set(make_snapshot(f));
  auto o = set.owners("k", 3, hash_algorithm::rendezvous);
  REQUIRE(o.size() == 3);
  auto ids = set.hash_ids();
  rendezvous r(ids);
  auto rank = r.rank("k", 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(o[i]->cache_url == r.members()[rank[i]]);
}
