#pragma once
// `cachecluster owner KEY...`: which peer owns each key, from the local agent's
// live list or from a list of peer URLs given on the command line. Without keys on
// the command line, the keys come from standard input, one per line.

#include <istream>
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
/// (OWNER is the cache URL, or the name for a peer without a cache port). When `args.keys` is
/// empty the keys are the lines of `in` (a trailing '\r' dropped, empty lines skipped), each
/// answered as it is read, so `owner` can sit in a pipe. Returns the exit code.
int owner(const std::string& socket, const owner_args& args, std::istream& in, std::ostream& out,
          std::ostream& err);

}  // namespace agent::cli
