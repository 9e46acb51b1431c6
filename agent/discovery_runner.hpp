#pragma once
// Discovery inside the agent: which provider [cluster] discovery asks for, when
// to ask it, on which thread, and what to do with the answer. Providers block
// (libcurl, the resolver), so a polling provider's listings run on a worker
// thread, one at a time, and a watching provider runs its own thread; results
// are posted back to the agent's io_context and the agent's state is only
// touched there. A failed listing never removes peers; gossip keeps membership.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "agent/discovery_stats.hpp"
#include "discovery/provider.hpp"

namespace boost::asio {
class io_context;
}

namespace agent {

/// The source `cfg` asks for: [cluster] discovery, with "auto" resolved: static when
/// [cluster] join is set; kubernetes when [kubernetes] label_selector is; dns when [dns]
/// name is; gce when [match], [meta] or [gce] set anything or GCE_METADATA_HOST is set;
/// else static.
discovery_mode effective_discovery(const config& cfg);

/// One line for `check-config`: the source effective_discovery picks and what it lists
/// ("gce: project (this instance's), zones us-central1-a, tags=1 meta=0 labels=0",
/// "kubernetes: pods app=cache in namespace (this pod's)", "dns: NAME every 10s", ...).
std::string describe_discovery(const config& cfg);

/// The provider for `cfg`, built at start-up (GCE reads this VM's identity from the
/// metadata server, Kubernetes this pod), with HTTP requests sent from `bind_ip`.
/// nullptr when nothing needs discovering (static with IP seeds only). Blocking; throws
/// config_error with an actionable message when the source cannot work.
std::shared_ptr<discovery::provider> make_provider(const config& cfg, const std::string& bind_ip);

/// What the runner asks of the agent (always called on the io_context thread).
struct discovery_hooks {
  std::function<std::size_t()> live_members;           ///< alive members, self included
  std::function<void(std::vector<std::string>)> join;  ///< candidate "ip:port" to join
  /// The first listing that makes the agent ready completed, with this many candidates.
  std::function<void(std::size_t)> ready;
  std::function<void()> preempted;                     ///< this VM is being preempted (GCE)
};

/// Runs a provider: polls it (on the GCE budget, or its interval) or lets it watch, and
/// watches for preemption on GCE.
class discovery_runner {
 public:
  /// `cfg` gives the poll budget and the bind address of the preemption watch.
  discovery_runner(boost::asio::io_context& io, std::shared_ptr<discovery::provider> provider,
                   const config& cfg, discovery_hooks hooks, std::uint64_t seed);
  ~discovery_runner();
  discovery_runner(const discovery_runner&) = delete;
  discovery_runner& operator=(const discovery_runner&) = delete;

  /// Schedule the first listing (spread over a couple of seconds), or start the watch, and
  /// the preemption watch on GCE.
  void start();
  /// Stop; listings in flight finish on their thread and are ignored.
  void stop();
  /// Listings started so far (watch updates included).
  std::uint64_t polls() const;
  /// Counters and the last listing's state, for /metrics and /ready.
  discovery_stats stats() const;

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace agent
