#pragma once
// `cachecluster owner KEY...`: which peer owns each key, from the local agent's
// live list or from a list of peer URLs given on the command line.

#include <ostream>
#include <string>
#include <vector>

namespace agent::cli {

/// What `owner` was asked.
struct owner_args {
  std::vector<std::string> keys;   ///< keys to place
  std::string algo = "groupcache"; ///< "groupcache" or "rendezvous"
  int replicas = 50;               ///< groupcache ring points per peer
  std::vector<std::string> peers;  ///< offline peer URLs, in HTTPPool.Set order; empty: ask the agent
};

/// Print one line per key: "KEY<TAB>OWNER" offline, "KEY<TAB>OWNER<TAB>NAME" from the agent
/// (OWNER is the cache URL, or the name for a peer without a cache port). Returns the exit code.
int owner(const std::string& socket, const owner_args& args, std::ostream& out, std::ostream& err);

}  // namespace agent::cli
