#pragma once
// [hooks] on_change: a command run with each new peer list, like Serf's event
// handlers. The snapshot goes to its stdin as one JSON line (docs/protocol.md),
// and its environment names what changed since the list its previous run saw:
//   CACHECLUSTER_VERSION   the snapshot's version
//   CACHECLUSTER_ADDED     peers added, space-separated names
//   CACHECLUSTER_REMOVED   peers removed, space-separated names
// One run at a time; snapshots published while it runs are coalesced into one
// more run with the latest (agent/latest_only.hpp). Exit status, stderr and
// timeouts are logged and counted (hook_stats).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/command_runner.hpp"
#include "agent/latest_only.hpp"
#include "agent/outputs_config.hpp"
#include "agent/outputs_stats.hpp"
#include "peerlib/protocol.hpp"

namespace agent {

/// Peer names in `after` and not in `before` (added), and the other way round (removed),
/// each sorted. No `before` (the first run): every peer is added.
struct peer_changes {
  std::vector<std::string> added;
  std::vector<std::string> removed;
};
peer_changes diff_peers(const peerlib::snapshot* before, const peerlib::snapshot& after);

/// The environment a run gets for `after`, having seen `before` last.
std::vector<std::pair<std::string, std::string>> hook_environment(
    const peerlib::snapshot* before, const peerlib::snapshot& after);

class change_hook {
 public:
  change_hook(boost::asio::io_context& io, hooks_config cfg);

  /// A snapshot was published: run the command with it, now or after the running one.
  void published(const peerlib::snapshot& s);
  hook_stats stats() const;

 private:
  void start(peerlib::snapshot s);

  hooks_config cfg_;
  command_runner runner_;
  latest_only<peerlib::snapshot> queue_;
  std::unique_ptr<peerlib::snapshot> last_run_;  ///< what the previous run saw
  hook_stats stats_;
};

}  // namespace agent
