#pragma once
// Choosing which peer owns a key. Two algorithms:
//
//  - consistent_hash: golang/groupcache's consistenthash.Map, bit for bit. Each
//    member gets `replicas` points on a 32-bit ring at CRC-32(decimal i + member);
//    a key belongs to the first point at or after CRC-32(key), wrapping to the
//    start. Where two points share a hash, the member added last owns it (Go's
//    map keeps the last write), so feed members in the same order as
//    HTTPPool.Set(...) receives them. Checked against vectors from Go itself
//    (tests/golden/groupcache_vectors.json).
//  - rendezvous: highest random weight. A key belongs to the member with the
//    largest score(member, key); no ring, no replicas, an even spread, and only
//    the departed member's keys move when one leaves.
//
// C++17, no dependencies.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace peerlib {

/// CRC-32 (IEEE 802.3, reflected 0xEDB88320), as Go's crc32.ChecksumIEEE and zlib's crc32.
std::uint32_t crc32_ieee(std::string_view data);

/// groupcache's HTTPPool default (http.go defaultReplicas).
inline constexpr int groupcache_default_replicas = 50;

/// Which algorithm picks a key's owner.
enum class hash_algorithm { groupcache, rendezvous };

/// "groupcache" or "rendezvous".
const char* to_string(hash_algorithm a);
/// Parse "groupcache" or "rendezvous"; false when neither.
bool parse_hash_algorithm(std::string_view s, hash_algorithm& out);

/// golang/groupcache consistenthash.Map: same owners for the same members, order and replicas.
class consistent_hash {
 public:
  /// An empty ring; `replicas` points per member (values < 1 behave as Go's loop: no points).
  explicit consistent_hash(int replicas = groupcache_default_replicas);

  /// Add members in order (consistenthash.Map.Add); later members win equal ring hashes.
  void add(const std::vector<std::string>& members);
  /// Add one member.
  void add(std::string_view member);

  /// True when no member has been added (or replicas < 1).
  bool empty() const { return ring_.empty(); }
  /// Points per member.
  int replicas() const { return replicas_; }
  /// Members in the order added (duplicates kept once).
  const std::vector<std::string>& members() const { return members_; }

  /// The key's owner (consistenthash.Map.Get); "" when empty.
  const std::string& get(std::string_view key) const;
  /// Index into members() of the key's owner; npos when empty.
  std::size_t get_index(std::string_view key) const;
  /// Up to `n` distinct member indexes met walking the ring clockwise from the key.
  std::vector<std::size_t> walk(std::string_view key, std::size_t n) const;

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  struct point {
    std::uint32_t hash;
    std::uint32_t seq;     // insertion order, to find "added last" among equal hashes
    std::uint32_t member;  // index into members_; after build(), the winner of its hash
  };
  void add_points(std::string_view member);
  void build();
  std::size_t find(std::uint32_t hash) const;

  int replicas_;
  std::uint32_t next_seq_ = 0;
  std::vector<std::string> members_;
  std::vector<point> ring_;  // sorted by (hash, seq)
};

/// Rendezvous score of `member` for `key`: FNV-1a 64 over member, 0xff, key, then a
/// SplitMix64 finaliser. Stable across platforms and releases (it decides ownership).
std::uint64_t rendezvous_score(std::string_view member, std::string_view key);

/// Highest-random-weight hashing over a fixed member list.
class rendezvous {
 public:
  /// No members.
  rendezvous() = default;
  /// These members (order does not matter; ties between equal scores go to the smaller name).
  explicit rendezvous(std::vector<std::string> members);

  bool empty() const { return members_.empty(); }
  const std::vector<std::string>& members() const { return members_; }

  /// The key's owner; "" when empty.
  const std::string& get(std::string_view key) const;
  /// Index into members() of the owner; npos when empty.
  std::size_t get_index(std::string_view key) const;
  /// Up to `n` member indexes by decreasing score for the key.
  std::vector<std::size_t> rank(std::string_view key, std::size_t n) const;

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  std::vector<std::string> members_;
  std::vector<std::uint64_t> prefix_;  // FNV-1a state after each member and the separator
};

/// Pick `n` members from `ranked` (best first) preferring distinct zones: first the
/// best member of each zone not yet chosen, in rank order, then the best of the
/// rest. A member that is not chosen can come or go without changing the choice.
/// `zone_of(i)` returns the zone of member index i ("" is a zone like any other).
template <typename ZoneOf>
std::vector<std::size_t> pick_zone_diverse(const std::vector<std::size_t>& ranked, std::size_t n,
                                           ZoneOf&& zone_of) {
  std::vector<std::size_t> out;
  if (n == 0) return out;
  std::vector<bool> taken(ranked.size(), false);
  std::vector<std::string_view> zones;
  for (std::size_t r = 0; r < ranked.size() && out.size() < n; ++r) {
    std::string_view z = zone_of(ranked[r]);
    bool seen = false;
    for (auto s : zones) seen = seen || s == z;
    if (seen) continue;
    zones.push_back(z);
    taken[r] = true;
    out.push_back(ranked[r]);
  }
  for (std::size_t r = 0; r < ranked.size() && out.size() < n; ++r)
    if (!taken[r]) out.push_back(ranked[r]);
  return out;
}

/// Fraction of `keys` whose owner changes between two member lists (0 when keys is empty).
double keys_moved(hash_algorithm algo, const std::vector<std::string>& before,
                  const std::vector<std::string>& after, const std::vector<std::string>& keys,
                  int replicas = groupcache_default_replicas);

}  // namespace peerlib
