#pragma once
// Peer discovery behind one small interface: who this node is (name, address,
// zone: whatever the source knows) and which addresses might be peers now.
// Gossip decides who is alive; a provider only hands out candidates, and a
// failed listing never removes a peer.
//
// Providers: gce (metadata server + Compute API, gce_source), kubernetes (pods
// by label selector, list then watch), dns (a name re-resolved every interval)
// and static (the join list, its host names re-resolved). The agent's
// discovery_runner drives them:
//   - polling providers (watches() == false): list() on a worker thread, one
//     call at a time, then the next delay from discovery/schedule.hpp (the GCE
//     API budget when budgeted(), else the provider's interval);
//   - watching providers: run_watch() on its own thread until stopped, which
//     lists, watches and re-lists itself and publishes every new listing.
//
// Threading: list() and run_watch() block (libcurl, the resolver); everything
// else is called once at start-up. Providers are not thread-safe, except
// cancel(), which aborts a blocking call from another thread at shutdown.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gce/http_client.hpp"

namespace discovery {

using gce::api_call;

/// What a provider knows of this node; empty fields are unknown.
struct identity {
  std::string name;     ///< instance or pod name
  std::string address;  ///< IP peers reach this node at
  std::string zone;     ///< failure domain ("us-central1-a"), published as the zone tag
};

/// One listing.
struct result {
  std::vector<std::string> addresses;  ///< "ip:port", sorted, unique, own address excluded
  std::string error;                   ///< "" on success (even with no addresses)
  /// After a quota refusal: no API call before this time.
  std::optional<std::chrono::system_clock::time_point> rate_limited_until;
  std::vector<std::string> warnings;   ///< non-fatal problems
  int api_calls = 0;                   ///< requests sent (the GCE budget counts them)
  std::vector<api_call> call_log;      ///< each request and its status, for metrics
  bool permission_denied = false;      ///< failed on a 403 that is not a rate limit

  /// True when the listing completed (addresses is then authoritative).
  bool ok() const { return error.empty(); }
};

/// A source of candidate peer addresses.
class provider {
 public:
  virtual ~provider() = default;
  /// "gce", "kubernetes", "dns" or "static": for logs and metrics.
  virtual std::string_view name() const = 0;
  /// This node as the source describes it (read at start-up).
  virtual identity self() const { return {}; }
  /// Whether a completed listing means the agent found its cluster (it becomes ready):
  /// true for every source but static, whose readiness is a seed answering.
  virtual bool listing_makes_ready() const { return true; }

  /// One listing now. Blocking.
  virtual result list() = 0;
  /// Polling providers: the share of an API budget drives the delay (GCE), not interval().
  virtual bool budgeted() const { return false; }
  /// Polling providers: the steady delay between listings.
  virtual std::chrono::milliseconds interval() const { return std::chrono::seconds(10); }

  /// True for providers that watch (run_watch) instead of being polled.
  virtual bool watches() const { return false; }
  /// Watching providers: list, watch, re-list and back off until `stopped()`, calling
  /// `publish` with each listing that completes or fails. Blocking.
  virtual void run_watch(const std::function<void(result)>& publish,
                         const std::function<bool()>& stopped) {
    (void)publish;
    (void)stopped;
  }
  /// Abort a blocking call in flight, from any thread (shutdown).
  virtual void cancel() {}
};

}  // namespace discovery
