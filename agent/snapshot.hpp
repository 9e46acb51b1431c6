#pragma once
// From the member table to what subscribers receive: pure functions, no I/O.

#include <cstdint>
#include <functional>
#include <vector>

#include "peerlib/protocol.hpp"
#include "swim/member.hpp"

namespace agent {

/// A member as a peerlib peer: tags decoded, cache port and zone read from the reserved tags.
peerlib::peer to_peer(const swim::member& m);

/// True when the peer's `cache` tag says "down" (its [cache] check fails, or it has not
/// passed yet since its agent started): it is left out of peer lists.
bool cache_down(const peerlib::peer& p);

/// The published view: live members (alive and suspect), self included, sorted by name;
/// without the members `held_out` names (flap damping; never self), and without the members
/// whose cache is down (cache_down; self too: `self` still describes this node).
peerlib::snapshot build_snapshot(const swim::member& self, const std::vector<swim::member>& members,
                                 std::uint64_t version, bool local_mode,
                                 const std::function<bool(const swim::member&)>& held_out = {});

/// True when two snapshots would tell a subscriber the same thing (versions aside).
bool same_view(const peerlib::snapshot& a, const peerlib::snapshot& b);

}  // namespace agent
