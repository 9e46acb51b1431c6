#pragma once
// An immutable, versioned peer list with owner lookups. The client publishes
// each one as std::shared_ptr<const peer_set>: share it freely between threads,
// keep it as long as you like; a newer list is a different object.
//
// Peers are identified for hashing by their cache URL (what groupcache's
// HTTPPool.Set receives), or by name when a peer publishes no cache port.
// The groupcache ring adds them in the list's order, sorted by name, so
// HTTPPool.Set(set.hash_ids()...) picks the same owners as owner(key).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "peerlib/hash.hpp"
#include "peerlib/protocol.hpp"

namespace peerlib {

/// The hashing identity of a peer: its cache URL, or its name without one.
const std::string& hash_id(const peer& p);

/// One immutable view of the cluster.
class peer_set {
 public:
  /// A view built from an agent snapshot; `generation` orders views within one client.
  explicit peer_set(snapshot s, std::uint64_t generation = 0,
                    int replicas = groupcache_default_replicas);

  /// The local-mode view: just `self`.
  static std::shared_ptr<const peer_set> local(peer self, std::uint64_t generation = 0,
                                               int replicas = groupcache_default_replicas);

  /// The agent's snapshot version (restarts at 1 when the agent restarts; 0 for a local view).
  std::uint64_t version() const { return snap_.version; }
  /// Increases with every view one client publishes, across agent restarts.
  std::uint64_t generation() const { return generation_; }
  /// True when the list is only this node (the agent is not clustered or not reachable).
  bool local_mode() const { return snap_.local_mode; }
  /// This node.
  const peer& self() const { return snap_.self; }
  /// Live peers, self included, sorted by name; without members whose cache check fails
  /// (self too, then: docs/protocol.md).
  const std::vector<peer>& peers() const { return snap_.peers; }
  /// Number of peers.
  std::size_t size() const { return snap_.peers.size(); }
  /// The underlying snapshot.
  const snapshot& snap() const { return snap_; }

  /// The peer named `name`, or nullptr.
  const peer* find(std::string_view name) const;
  /// True when `p` is this node.
  bool is_self(const peer& p) const { return p.name == snap_.self.name; }
  /// hash_id() of every peer, in list order (the argument list for groupcache's HTTPPool.Set).
  /// A peer without a cache URL contributes its name: set [cache] port on every agent, and
  /// client_options::self.cache_url for the local view before the agent answers.
  std::vector<std::string> hash_ids() const;

  /// The key's owner; nullptr only when the list is empty.
  const peer* owner(std::string_view key, hash_algorithm algo = hash_algorithm::groupcache) const;
  /// Up to `n` distinct peers for the key, owner first, preferring distinct zones.
  /// Stable: a peer that is not chosen can join or leave without changing the answer.
  std::vector<const peer*> owners(std::string_view key, std::size_t n,
                                  hash_algorithm algo = hash_algorithm::groupcache) const;

  /// The groupcache ring over hash_ids().
  const consistent_hash& ring() const { return ring_; }

 private:
  snapshot snap_;
  std::uint64_t generation_;
  consistent_hash ring_;
  rendezvous hrw_;
  std::vector<std::size_t> ring_to_peer_;  // ring member index -> peers() index
  std::vector<std::size_t> hrw_to_peer_;   // rendezvous member index -> peers() index
};

}  // namespace peerlib
