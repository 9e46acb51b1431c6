#include "peerlib/peer_set.hpp"

#include <algorithm>
#include <map>

namespace peerlib {

const std::string& hash_id(const peer& p) { return p.cache_url.empty() ? p.name : p.cache_url; }

peer_set::peer_set(snapshot s, std::uint64_t generation, int replicas)
    : snap_(std::move(s)), generation_(generation), ring_(replicas) {
  std::sort(snap_.peers.begin(), snap_.peers.end(),
            [](const peer& a, const peer& b) { return a.name < b.name; });
  auto ids = hash_ids();
  ring_.add(ids);
  hrw_ = rendezvous(ids);
  // Two peers with one hash id (a misconfiguration) collapse into the first by name.
  std::map<std::string_view, std::size_t> first;
  for (std::size_t i = 0; i < ids.size(); ++i) first.emplace(hash_id(snap_.peers[i]), i);
  for (const auto& m : ring_.members()) ring_to_peer_.push_back(first.at(m));
  for (const auto& m : hrw_.members()) hrw_to_peer_.push_back(first.at(m));
}

std::shared_ptr<const peer_set> peer_set::local(peer self, std::uint64_t generation, int replicas) {
  snapshot s;
  s.version = 0;
  s.local_mode = true;
  s.peers.push_back(self);
  s.self = std::move(self);
  return std::make_shared<const peer_set>(std::move(s), generation, replicas);
}

const peer* peer_set::find(std::string_view name) const {
  auto it = std::lower_bound(snap_.peers.begin(), snap_.peers.end(), name,
                             [](const peer& p, std::string_view n) { return p.name < n; });
  return it != snap_.peers.end() && it->name == name ? &*it : nullptr;
}

std::vector<std::string> peer_set::hash_ids() const {
  std::vector<std::string> out;
  out.reserve(snap_.peers.size());
  for (const auto& p : snap_.peers) out.push_back(hash_id(p));
  return out;
}

const peer* peer_set::owner(std::string_view key, hash_algorithm algo) const {
  if (algo == hash_algorithm::groupcache) {
    auto i = ring_.get_index(key);
    return i == consistent_hash::npos ? nullptr : &snap_.peers[ring_to_peer_[i]];
  }
  auto i = hrw_.get_index(key);
  return i == rendezvous::npos ? nullptr : &snap_.peers[hrw_to_peer_[i]];
}

std::vector<const peer*> peer_set::owners(std::string_view key, std::size_t n,
                                          hash_algorithm algo) const {
  std::vector<std::size_t> ranked;
  if (algo == hash_algorithm::groupcache) {
    for (auto i : ring_.walk(key, ring_.members().size())) ranked.push_back(ring_to_peer_[i]);
  } else {
    for (auto i : hrw_.rank(key, hrw_.members().size())) ranked.push_back(hrw_to_peer_[i]);
  }
  auto picked = pick_zone_diverse(ranked, n,
                                  [this](std::size_t i) -> std::string_view { return snap_.peers[i].zone; });
  std::vector<const peer*> out;
  out.reserve(picked.size());
  for (auto i : picked) out.push_back(&snap_.peers[i]);
  return out;
}

}  // namespace peerlib
