#pragma once
// The emulated project: its instances (loaded from a fixture, changed through
// the admin API), issued tokens, call counters, injected faults and serving
// knobs. Plain data with the few operations that keep it consistent; the APIs
// that read and change it are metadata_api, compute_api and admin_api, and
// router picks one per request (docs/gce.md, "The emulator").

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gce::emulator {

/// One NIC of an emulated VM.
struct emu_nic {
  std::string name;         ///< nic0...
  std::string ip;           ///< internal IP; also the VM's source address for metadata
  std::string external_ip;  ///< optional
};

/// One emulated VM.
struct emu_instance {
  std::string name, zone, id, status = "RUNNING", hostname;
  std::vector<emu_nic> nics;
  std::vector<std::string> tags;
  std::map<std::string, std::string> metadata;
  std::map<std::string, std::string> labels;
  bool preempted = false;
  std::string maintenance_event = "NONE";
  std::string group;                   ///< managed instance group it belongs to ("" = none)
  std::string current_action = "NONE";///< the group's current action on it (ManagedInstance)
  /// Access scopes of its service account (instance/service-accounts/default/scopes).
  std::vector<std::string> scopes = {"https://www.googleapis.com/auth/cloud-platform"};
};

/// How many more requests one injected fault affects, and on which API.
struct fault_counter {
  int remaining = 0;                ///< requests still affected; -1 = until cleared
  std::string target = "compute";   ///< "compute", "metadata" or "all"

  /// Whether this request to `api` ("compute" or "metadata") is hit; uses up one.
  bool take(std::string_view api);
};

/// The faults set through POST /admin/faults.
struct fault_set {
  int status = 0;                   ///< HTTP status of status_fault replies
  /// errors[].reason of a 403 status fault: rateLimitExceeded (default), insufficientPermissions
  /// (a token without a Compute scope) or forbidden (a service account without the permission).
  std::string reason;
  fault_counter status_fault;       ///< fail with `status`
  fault_counter malformed;          ///< truncate successful Compute bodies
  fault_counter slow;               ///< delay Compute replies by `delay`
  std::chrono::milliseconds delay{0};
  std::chrono::system_clock::time_point rate_limited_until{};  ///< 403 rateLimitExceeded before
  int quota_per_minute = 0;         ///< Compute calls per wall-clock minute; 0 = unlimited
  std::int64_t quota_minute = -1;   ///< the minute quota_used counts
  int quota_used = 0;

  /// Counts one Compute call against quota_per_minute at `wall`; true when it is over.
  bool over_quota(std::chrono::system_clock::time_point wall);
};

/// A service-account token as the metadata server hands it out.
struct issued_token {
  std::string access_token;
  std::chrono::seconds expires_in{0};
};

/// The emulated project and its test knobs.
class state {
 public:
  /// Load {"project", "project_number", "zones", "instances": [...]} or a bare
  /// array of instances. false and `error` on invalid input.
  bool load(const nlohmann::json& doc, std::string& error);

  /// Add or replace (by name) one instance given in fixture form: name, zone,
  /// networkIP or networkInterfaces [{name, networkIP, natIP}], id, status,
  /// hostname, tags, metadata, labels, preempted, maintenance_event, group (a managed
  /// instance group name) and current_action (NONE, CREATING, DELETING, RECREATING, ...).
  /// false and `error` when it is invalid; the state is then unchanged.
  bool add_instance(const nlohmann::json& j, std::string& error);

  /// Remove an instance; false when there is none of that name.
  bool remove_instance(const std::string& name);

  /// The instance called `name`, or nullptr.
  emu_instance* find(const std::string& name);

  /// Every instance, by name.
  const std::map<std::string, emu_instance>& instances() const { return instances_; }

  /// The VM a metadata request from `source_ip` speaks for: the (last by name)
  /// instance with a NIC of that IP, else `default_instance`, else nullptr.
  const emu_instance* identify(std::string_view source_ip) const;

  /// Zones from the fixture plus every instance's zone.
  std::set<std::string> all_zones() const;

  const std::string& project() const { return project_; }
  const std::string& project_number() const { return project_number_; }

  /// The token of VM `vm`: one issued to it with more than a second left, else a
  /// new one living token_ttl from `now`.
  issued_token token_for(const std::string& vm, std::chrono::steady_clock::time_point now);

  /// Whether `token` was issued here and has not expired at `now` (nor been revoked).
  bool token_valid(const std::string& token, std::chrono::steady_clock::time_point now) const;

  /// Forget every issued token.
  void revoke_tokens() { tokens_.clear(); }

  /// Counts one call of kind `what` ("compute", "compute.list", "metadata", ...).
  void count(const std::string& what) { ++calls_[what]; }

  /// Calls per kind since the start or the last reset_calls().
  const std::map<std::string, std::uint64_t>& calls() const { return calls_; }

  /// Calls of kind `what`, 0 when none.
  std::uint64_t calls(const std::string& what) const;

  void reset_calls() { calls_.clear(); }

  fault_set faults;                    ///< injected faults
  bool require_auth = true;            ///< compute calls need a token issued here
  std::string default_instance;        ///< metadata identity for unknown source addresses
  int page_size = 500;                 ///< largest page served
  bool empty_pages = false;            ///< put an empty page (with a token) before each page
  std::chrono::seconds token_ttl{3600};///< lifetime of issued tokens

 private:
  std::string project_ = "emulated-project";
  std::string project_number_ = "123456789012";
  std::set<std::string> zones_;
  std::map<std::string, emu_instance> instances_;  // by name
  std::map<std::string, std::chrono::steady_clock::time_point> tokens_;  // token -> expiry
  std::uint64_t next_token_ = 1;
  std::map<std::string, std::uint64_t> calls_;
};

}  // namespace gce::emulator
