#pragma once
// Peer discovery behind one interface, so the agent runs on GCE (gce_provider:
// metadata server + Compute API) or anywhere else (static_provider: the join
// list). A provider answers "which addresses might be peers right now"; gossip
// decides who is alive.
//
// Threading: discover() is synchronous and blocking (libcurl easy, retries
// with short sleeps, seconds in the worst case). The daemon runs it on a
// worker thread, one call at a time per provider, and posts the result back to
// its io_context. Providers are not thread-safe.
//
// Failures are values: an error result carries no addresses and must never
// empty the caller's known peer list; rate_limited_until says when the next
// call may go out (feed it to poll_policy's poll_state).
//
// Sketch of the daemon side (see docs/gce.md):
//
//   std::string err;
//   auto p = gce::gce_provider::create(settings, err);      // start-up, blocking
//   if (!p) throw config_error(err);                         // actionable message
//   advertise_ip = p->self().ip;
//   // worker thread, each time the poll timer fires:
//   gce::discovery_result r = p->discover();
//   post(io, [r] { if (r.ok()) join(r.addresses); /* else keep peers, log r.error */ });
//   delay = gce::next_poll_delay(state_from(r, live_members), poll_cfg, now, rng);

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gce/compute.hpp"
#include "gce/http_client.hpp"
#include "gce/match.hpp"
#include "gce/metadata.hpp"

namespace gce {

/// Outcome of one discovery.
struct discovery_result {
  std::vector<std::string> addresses;  ///< "ip:port", sorted, unique, own address excluded
  std::string error;                   ///< "" on success (even with no addresses)
  /// Set after a quota refusal: make no API call before this time.
  std::optional<std::chrono::system_clock::time_point> rate_limited_until;
  std::vector<std::string> warnings;   ///< non-fatal problems (a zone failed, unreachable scope)
  int api_calls = 0;                   ///< requests sent, for poll_state::calls_per_poll
  std::vector<api_call> call_log;      ///< each request and its status, for metrics
  bool permission_denied = false;      ///< failed on a 403 that is not a rate limit

  /// True when the listing completed (addresses is then authoritative).
  bool ok() const { return error.empty(); }
};

/// A source of candidate peer addresses.
class provider {
 public:
  virtual ~provider() = default;
  /// Find candidate peers now. Blocking; see the threading note above.
  virtual discovery_result discover() = 0;
  /// "gce" or "static", for logs.
  virtual std::string_view name() const = 0;
};

/// The configured join list, returned as is: discovery for machines off GCE.
class static_provider final : public provider {
 public:
  /// Addresses as "host:port"; duplicates are dropped.
  explicit static_provider(std::vector<std::string> addresses);
  discovery_result discover() override;
  std::string_view name() const override { return "static"; }

 private:
  std::vector<std::string> addresses_;
};

/// What gce_provider lists and matches; empty fields default from the metadata server.
struct gce_settings {
  std::string project;             ///< [match] project; "" = this VM's project
  std::string zone;                ///< [match] zone; "" = this VM's zone
  std::vector<std::string> zones;  ///< [gce] zones; overrides zone
  std::string region;              ///< [gce] region; overrides zones (aggregatedList)
  /// [gce] instance_group: list this managed instance group's members (zonal in `zone`, or
  /// regional in `region`) instead of every matching instance.
  std::string instance_group;
  match_rules rules;               ///< [match] tags/network_interface, [meta], [gce] labels/status
  std::uint16_t port = 7946;       ///< gossip port appended to each peer IP
  std::string self_ip;             ///< excluded from results; "" = this VM's IP
  std::string api_endpoint = "https://compute.googleapis.com/compute/v1/";  ///< [gce] api_endpoint
  std::string metadata_host;       ///< host[:port]; "" = GCE_METADATA_HOST/ROOT, else default
  std::string local_address;       ///< source IP for HTTP requests ("" = any); the agent's bind IP
  compute_options compute;         ///< tuning (timeouts, retries, page size); endpoint/project/token are set by create()
  metadata_options metadata;       ///< tuning; host is set from metadata_host
};

/// Discovery through the Compute API.
class gce_provider final : public provider {
 public:
  /// Start-up: build libcurl clients, read this VM's identity from the
  /// metadata server, fill defaults. Blocking. nullptr and `error` on failure; then
  /// `*transient` (when given) says whether trying again may succeed (the metadata
  /// server did not answer, timed out, or sent 5xx/429) or not (404, not a metadata
  /// server, a malformed reply).
  static std::unique_ptr<gce_provider> create(gce_settings settings, std::string& error,
                                              bool* transient = nullptr);

  /// Same, over given transports (tests): `metadata_http` and `compute_http` are owned.
  static std::unique_ptr<gce_provider> create(gce_settings settings,
                                              std::unique_ptr<http_client> metadata_http,
                                              std::unique_ptr<http_client> compute_http,
                                              std::string& error, bool* transient = nullptr);

  /// One listing: zones or region as configured, server-side filter for
  /// status and labels, client-side match for tags and metadata. With an
  /// instance group: its members (listManagedInstances) whose status counts and
  /// whose current action keeps them peers (not being deleted, recreated,
  /// created...), then their network IPs from one listing of the group's zone or
  /// region, matched by name: two API calls per poll (plus pages).
  discovery_result discover() override;
  std::string_view name() const override { return "gce"; }

  /// This VM as the metadata server described it at start-up.
  const identity& self() const { return self_; }
  /// The settings with defaults filled in.
  const gce_settings& settings() const { return settings_; }
  /// The filter sent to the API ("" = none).
  const std::string& filter() const { return filter_; }

 private:
  gce_provider(gce_settings settings, std::unique_ptr<http_client> metadata_http,
               std::unique_ptr<http_client> compute_http);
  discovery_result discover_group();

  gce_settings settings_;
  std::unique_ptr<http_client> metadata_http_;
  std::unique_ptr<http_client> compute_http_;
  metadata_client metadata_;
  std::unique_ptr<compute_client> compute_;
  identity self_;
  std::string filter_;
};

/// "ip:port" (IPv6 in brackets).
std::string join_host_port(std::string_view ip, std::uint16_t port);

}  // namespace gce
