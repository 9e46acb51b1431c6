#include "peerlib/hash.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace peerlib {
namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto crc_table = make_crc_table();

constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ull;
constexpr std::uint64_t fnv_prime = 0x100000001b3ull;

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * fnv_prime;
  return h;
}

// SplitMix64's finaliser: FNV alone leaves the high bits poorly mixed for short keys.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The member/key separator: 0xff never occurs in UTF-8, so ("ab","c") and ("a","bc") differ.
constexpr unsigned char separator = 0xff;

std::uint64_t member_prefix(std::string_view member) {
  return (fnv1a(fnv_offset, member) ^ separator) * fnv_prime;
}

const std::string empty_string;

}  // namespace

std::uint32_t crc32_ieee(std::string_view data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = crc_table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

const char* to_string(hash_algorithm a) {
  return a == hash_algorithm::groupcache ? "groupcache" : "rendezvous";
}

bool parse_hash_algorithm(std::string_view s, hash_algorithm& out) {
  if (s == "groupcache") return out = hash_algorithm::groupcache, true;
  if (s == "rendezvous") return out = hash_algorithm::rendezvous, true;
  return false;
}

// ---- consistent_hash ----------------------------------------------------------

consistent_hash::consistent_hash(int replicas) : replicas_(replicas) {}

void consistent_hash::add(const std::vector<std::string>& members) {
  for (const auto& m : members) add_points(m);
  build();
}

void consistent_hash::add(std::string_view member) {
  add_points(member);
  build();
}

void consistent_hash::add_points(std::string_view member) {
  auto it = std::find(members_.begin(), members_.end(), member);
  auto index = static_cast<std::uint32_t>(it - members_.begin());
  if (it == members_.end()) members_.emplace_back(member);
  std::string buf;
  for (int i = 0; i < replicas_; ++i) {
    buf = std::to_string(i);  // Go: strconv.Itoa(i) + key
    buf.append(member);
    ring_.push_back(point{crc32_ieee(buf), next_seq_++, index});
  }
}

void consistent_hash::build() {
  std::sort(ring_.begin(), ring_.end(), [](const point& a, const point& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.seq < b.seq;
  });
  // Go's hashMap[hash] holds the last member written for that hash: give every
  // point of an equal-hash run the member of the run's last (latest) point.
  for (std::size_t i = 0; i < ring_.size();) {
    std::size_t j = i;
    while (j + 1 < ring_.size() && ring_[j + 1].hash == ring_[i].hash) ++j;
    for (std::size_t k = i; k < j; ++k) ring_[k].member = ring_[j].member;
    i = j + 1;
  }
}

std::size_t consistent_hash::find(std::uint32_t hash) const {
  auto it = std::lower_bound(ring_.begin(), ring_.end(), hash,
                             [](const point& p, std::uint32_t h) { return p.hash < h; });
  return it == ring_.end() ? 0 : static_cast<std::size_t>(it - ring_.begin());
}

std::size_t consistent_hash::get_index(std::string_view key) const {
  if (ring_.empty()) return npos;
  return ring_[find(crc32_ieee(key))].member;
}

const std::string& consistent_hash::get(std::string_view key) const {
  auto i = get_index(key);
  return i == npos ? empty_string : members_[i];
}

std::vector<std::size_t> consistent_hash::walk(std::string_view key, std::size_t n) const {
  std::vector<std::size_t> out;
  if (ring_.empty()) return out;
  n = std::min(n, members_.size());
  std::vector<bool> seen(members_.size(), false);
  std::size_t start = find(crc32_ieee(key));
  for (std::size_t k = 0; k < ring_.size() && out.size() < n; ++k) {
    auto m = ring_[(start + k) % ring_.size()].member;
    if (!seen[m]) {
      seen[m] = true;
      out.push_back(m);
    }
  }
  return out;
}

// ---- rendezvous ---------------------------------------------------------------

std::uint64_t rendezvous_score(std::string_view member, std::string_view key) {
  return mix(fnv1a(member_prefix(member), key));
}

rendezvous::rendezvous(std::vector<std::string> members) : members_(std::move(members)) {
  std::sort(members_.begin(), members_.end());
  members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
  prefix_.reserve(members_.size());
  for (const auto& m : members_) prefix_.push_back(member_prefix(m));
}

std::size_t rendezvous::get_index(std::string_view key) const {
  std::size_t best = npos;
  std::uint64_t best_score = 0;
  // members_ is sorted, so strict > leaves an equal score with the smaller name.
  for (std::size_t i = 0; i < members_.size(); ++i) {
    auto s = mix(fnv1a(prefix_[i], key));
    if (best == npos || s > best_score) best = i, best_score = s;
  }
  return best;
}

const std::string& rendezvous::get(std::string_view key) const {
  auto i = get_index(key);
  return i == npos ? empty_string : members_[i];
}

std::vector<std::size_t> rendezvous::rank(std::string_view key, std::size_t n) const {
  std::vector<std::pair<std::uint64_t, std::size_t>> scored;
  scored.reserve(members_.size());
  for (std::size_t i = 0; i < members_.size(); ++i)
    scored.emplace_back(mix(fnv1a(prefix_[i], key)), i);
  n = std::min(n, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                    [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  std::vector<std::size_t> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(scored[i].second);
  return out;
}

double keys_moved(hash_algorithm algo, const std::vector<std::string>& before,
                  const std::vector<std::string>& after, const std::vector<std::string>& keys,
                  int replicas) {
  if (keys.empty()) return 0;
  std::size_t moved = 0;
  if (algo == hash_algorithm::groupcache) {
    consistent_hash a(replicas), b(replicas);
    a.add(before);
    b.add(after);
    for (const auto& k : keys) moved += a.get(k) != b.get(k);
  } else {
    rendezvous a(before), b(after);
    for (const auto& k : keys) moved += a.get(k) != b.get(k);
  }
  return static_cast<double>(moved) / static_cast<double>(keys.size());
}

}  // namespace peerlib
