// peerlib hashing: groupcache's consistenthash reproduced exactly (vectors made
// by Go's groupcache, tests/golden/groupcache_vectors.json), rendezvous
// properties, zone-diverse replica choice, and how many keys move when a peer leaves.

#include "peerlib/hash.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using namespace peerlib;
using nlohmann::json;

namespace {

json load_vectors() {
  std::ifstream in(std::string(CACHECLUSTER_GOLDEN_DIR) + "/groupcache_vectors.json");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::vector<std::string> urls(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("http://10.128." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 2) + ":8080");
  return out;
}

std::vector<std::string> keys(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("crc32_ieee: known check values") {
  CHECK(crc32_ieee("") == 0u);
  CHECK(crc32_ieee("123456789") == 0xCBF43926u);
  CHECK(crc32_ieee("The quick brown fox jumps over the lazy dog") == 0x414FA339u);
  CHECK(crc32_ieee(std::string(1, '\0')) == 0xD202EF8Du);
}

TEST_CASE("consistent_hash: same owners as Go's groupcache consistenthash") {
  json doc = load_vectors();
  REQUIRE(doc["vectors"].size() >= 10);
  std::size_t checked = 0;
  bool saw_tie = false;
  for (const auto& v : doc["vectors"]) {
    CAPTURE(v["name"].get<std::string>());
    consistent_hash ring(v["replicas"].get<int>());
    ring.add(v["peers"].get<std::vector<std::string>>());
    const auto& ks = v["keys"];
    const auto& owners = v["owners"];
    REQUIRE(ks.size() == owners.size());
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const auto k = ks[i].get<std::string>();
      CAPTURE(k);
      CHECK(ring.get(k) == owners[i].get<std::string>());
      ++checked;
    }
    saw_tie = saw_tie || v["name"].get<std::string>().find("equal ring hash") != std::string::npos;
  }
  CHECK(saw_tie);
  MESSAGE("groupcache vectors checked: " << checked);
}

TEST_CASE("consistent_hash: equal ring hashes go to the member added last, as in Go") {
  json doc = load_vectors();
  const json* first = nullptr;
  const json* second = nullptr;
  for (const auto& v : doc["vectors"]) {
    if (v["name"] == "equal ring hash, first order") first = &v;
    if (v["name"] == "equal ring hash, second order") second = &v;
  }
  REQUIRE(first);
  REQUIRE(second);
  // The first keys sit on the shared point: their owner flips with the order.
  const auto a = (*first)["peers"][0].get<std::string>();
  const auto b = (*first)["peers"][1].get<std::string>();
  CHECK((*first)["owners"][0] == b);
  CHECK((*second)["owners"][0] == a);
  consistent_hash one, two;
  one.add((*first)["peers"].get<std::vector<std::string>>());
  two.add((*second)["peers"].get<std::vector<std::string>>());
  const auto k = (*first)["keys"][0].get<std::string>();
  CHECK(one.get(k) == b);
  CHECK(two.get(k) == a);
  // Adding one member at a time is the same as adding them together.
  consistent_hash split;
  split.add(a);
  split.add(b);
  split.add((*first)["peers"][2].get<std::string>());
  for (const auto& key : (*first)["keys"]) CHECK(split.get(key.get<std::string>()) == one.get(key.get<std::string>()));
}

TEST_CASE("consistent_hash: empty ring and walk") {
  consistent_hash empty;
  CHECK(empty.empty());
  CHECK(empty.get("k").empty());
  CHECK(empty.get_index("k") == consistent_hash::npos);
  CHECK(empty.walk("k", 3).empty());
  consistent_hash none(0);
  none.add("http://a");
  CHECK(none.empty());  // Go's loop adds no points with replicas 0

  consistent_hash ring;
  ring.add(urls(5));
  for (const auto& k : keys("w", 100)) {
    auto w = ring.walk(k, 10);
    REQUIRE(w.size() == 5);
    CHECK(ring.members()[w[0]] == ring.get(k));
    CHECK(std::set<std::size_t>(w.begin(), w.end()).size() == 5);
  }
}

TEST_CASE("rendezvous: deterministic scores, order-free, even spread") {
  // Pinned: these numbers decide ownership across releases and languages.
  CHECK(rendezvous_score("http://10.0.0.1:8080", "key") == rendezvous_score("http://10.0.0.1:8080", "key"));
  CHECK(rendezvous_score("ab", "c") != rendezvous_score("a", "bc"));
  char pinned[64];
  std::snprintf(pinned, sizeof pinned, "%016llx",
                static_cast<unsigned long long>(rendezvous_score("http://10.0.0.1:8080", "key")));
  MESSAGE("rendezvous_score(\"http://10.0.0.1:8080\", \"key\") = " << pinned);

  auto members = urls(10);
  rendezvous r(members);
  auto reversed = members;
  std::reverse(reversed.begin(), reversed.end());
  rendezvous r2(reversed);
  std::map<std::string, int> count;
  const auto ks = keys("spread-", 100000);
  for (const auto& k : ks) {
    CHECK(r.get(k) == r2.get(k));
    ++count[r.get(k)];
  }
  REQUIRE(count.size() == 10);
  for (const auto& [m, c] : count) {
    CAPTURE(m);
    CHECK(c > 9000);  // 10000 expected; 3 % sigma is ~1 %
    CHECK(c < 11000);
  }
  CHECK(rendezvous().get("k").empty());
}

TEST_CASE("rendezvous: only the departed member's keys move; rank is by score") {
  auto members = urls(8);
  rendezvous before(members);
  auto gone = members[3];
  members.erase(members.begin() + 3);
  rendezvous after(members);
  for (const auto& k : keys("m", 20000)) {
    if (before.get(k) != gone) CHECK(after.get(k) == before.get(k));
    // The new owner is the old second choice.
    auto rank = before.rank(k, 2);
    if (before.get(k) == gone) CHECK(after.get(k) == before.members()[rank[1]]);
  }
  auto rank = before.rank("x", 100);
  CHECK(rank.size() == 8);
  for (std::size_t i = 1; i < rank.size(); ++i)
    CHECK(rendezvous_score(before.members()[rank[i - 1]], "x") >= rendezvous_score(before.members()[rank[i]], "x"));
}

TEST_CASE("keys moved when one of N peers leaves is about 1/N for both algorithms") {
  // Only the leaving peer's keys move, so averaged over every choice of leaving
  // peer the share is exactly 1/N; what differs is the spread: how unevenly the
  // ring divides keys shows as the smallest and largest share one leave moves.
  const auto ks = keys("moved-", 50000);
  std::string table =
      "\n  N    1/N      groupcache (50 replicas)   rendezvous\n"
      "                 min     mean    max        min     mean    max\n";
  for (int n : {3, 5, 10, 20, 50}) {
    auto before = urls(n);
    consistent_hash ring;
    ring.add(before);
    rendezvous hrw(before);
    // A key moves exactly when its owner leaves (checked below), so the share
    // moved by one leave is that peer's share of the keys.
    std::map<std::string, double> gc_share, hrw_share;
    for (const auto& k : ks) {
      gc_share[ring.get(k)] += 1.0 / static_cast<double>(ks.size());
      hrw_share[hrw.get(k)] += 1.0 / static_cast<double>(ks.size());
    }
    auto after = before;
    after.erase(after.begin());
    CHECK(keys_moved(hash_algorithm::groupcache, before, after, ks) == doctest::Approx(gc_share[before[0]]));
    CHECK(keys_moved(hash_algorithm::rendezvous, before, after, ks) == doctest::Approx(hrw_share[before[0]]));
    double gc_min = 1, gc_max = 0, gc_sum = 0, hrw_min = 1, hrw_max = 0, hrw_sum = 0;
    for (const auto& m : before) {
      double gc = gc_share[m], hr = hrw_share[m];
      gc_min = std::min(gc_min, gc), gc_max = std::max(gc_max, gc), gc_sum += gc;
      hrw_min = std::min(hrw_min, hr), hrw_max = std::max(hrw_max, hr), hrw_sum += hr;
    }
    const double ideal = 1.0 / n;
    char line[160];
    std::snprintf(line, sizeof line, "  %-3d %5.1f %%   %5.1f %% %5.1f %% %5.1f %%    %5.1f %% %5.1f %% %5.1f %%\n",
                  n, ideal * 100, gc_min * 100, gc_sum / n * 100, gc_max * 100, hrw_min * 100,
                  hrw_sum / n * 100, hrw_max * 100);
    table += line;
    CHECK(gc_sum / n == doctest::Approx(ideal).epsilon(0.001));
    CHECK(hrw_sum / n == doctest::Approx(ideal).epsilon(0.001));
    // Rendezvous spreads keys evenly; a 50-point ring is uneven by tens of percent.
    CHECK(hrw_max < ideal * 1.15);
    CHECK(hrw_min > ideal * 0.85);
    CHECK(gc_max < ideal * 1.8);
    CHECK(gc_min > ideal * 0.4);
  }
  MESSAGE("share of 50000 keys that move when one peer leaves, over every choice of leaving peer:" << table);

  // Nothing else moves: a key changes owner only when its owner left.
  auto before = urls(10), after = urls(10);
  after.erase(after.begin() + 4);
  consistent_hash b, a;
  b.add(before);
  a.add(after);
  for (const auto& k : keys("only-", 20000))
    if (b.get(k) != before[4]) CHECK(a.get(k) == b.get(k));
}

TEST_CASE("pick_zone_diverse: distinct zones first, then rank order") {
  std::vector<std::string> zone = {"a", "a", "b", "b", "c"};
  auto z = [&](std::size_t i) -> std::string_view { return zone[i]; };
  CHECK(pick_zone_diverse({0, 1, 2, 3, 4}, 3, z) == std::vector<std::size_t>{0, 2, 4});
  CHECK(pick_zone_diverse({0, 1, 2, 3, 4}, 4, z) == std::vector<std::size_t>{0, 2, 4, 1});
  CHECK(pick_zone_diverse({1, 0, 3}, 2, z) == std::vector<std::size_t>{1, 3});
  CHECK(pick_zone_diverse({0, 1}, 5, z) == std::vector<std::size_t>{0, 1});
  CHECK(pick_zone_diverse({0, 1}, 0, z).empty());
}

TEST_CASE("hash_algorithm: names round-trip") {
  hash_algorithm a{};
  CHECK(parse_hash_algorithm("groupcache", a));
  CHECK(a == hash_algorithm::groupcache);
  CHECK(parse_hash_algorithm("rendezvous", a));
  CHECK(a == hash_algorithm::rendezvous);
  CHECK_FALSE(parse_hash_algorithm("ketama", a));
  CHECK(std::string(to_string(hash_algorithm::groupcache)) == "groupcache");
}
