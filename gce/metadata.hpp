#pragma once
// GCE metadata server client over an http_client: this VM's identity, its
// service-account token (cached, refreshed before expiry), and long-poll
// watches (wait_for_change + last_etag) for preemption and host maintenance.
//
// Every request sends `Metadata-Flavor: Google` and every answer except the
// token's must carry it back: a reply without it did not come from a
// metadata server (a captive proxy, a wrong host) and is an error.
// Blocking; not thread-safe: a watch runs on its own client and http_client.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gce/http_client.hpp"

namespace gce {

/// Host[:port] of the metadata server from the environment, as Google's client
/// libraries read it: GCE_METADATA_HOST, then GCE_METADATA_ROOT; "" when neither is set.
std::string metadata_host_from_env();

/// "http://HOST/computeMetadata/v1/" for a host[:port] (a leading "http://" is accepted).
std::string metadata_base_url(std::string_view host);

/// The default host when neither the config nor the environment names one.
inline constexpr std::string_view default_metadata_host = "metadata.google.internal";

/// Settings of metadata_client.
struct metadata_options {
  /// host[:port]; "" = metadata_host_from_env(), else default_metadata_host.
  std::string host;
  std::chrono::milliseconds timeout{std::chrono::seconds(3)};  ///< per plain request
  int max_attempts = 3;                                         ///< tries on 5xx / transport errors
  std::chrono::milliseconds retry_delay{200};                   ///< first retry delay, doubled
  /// Refresh a token this long before it expires (capped at half its lifetime).
  std::chrono::seconds token_refresh_margin{300};
  /// Sleep between retries; empty = std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  /// Clock for token expiry; empty = steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

/// A value read from the metadata server.
struct metadata_value {
  std::string value;  ///< body as sent (text or JSON)
  std::string etag;   ///< ETag header, "" when absent
};

/// A value, or why there is none.
struct metadata_result {
  std::optional<metadata_value> value;  ///< set on 200
  int status = 0;                       ///< HTTP status, 0 on transport failure
  std::string error;                    ///< set when value is not
};

/// Who this VM is, as the metadata server says.
struct identity {
  std::string project;                           ///< project id ("acme-prod")
  std::string zone;                              ///< "us-central1-a" (last segment)
  std::string region;                            ///< "us-central1"
  std::string name;                              ///< instance name
  std::string id;                                ///< uint64 as a string
  std::string ip;                                ///< internal IP of the chosen NIC
  std::vector<std::string> tags;                 ///< network tags
  std::map<std::string, std::string> attributes; ///< instance metadata
};

/// A service-account access token.
struct access_token {
  std::string value;                               ///< "ya29...."
  std::string type;                                ///< "Bearer"
  std::chrono::steady_clock::time_point expires_at;///< when the server stops accepting it
};

/// Outcome of one preemption watch call.
struct preemption_state {
  bool preempted = false;  ///< instance/preempted is TRUE
  std::string etag;        ///< pass back as last_etag to wait for the next change
  std::string error;       ///< "" on success; on error wait ~1 s and call again
};

/// Metadata server client.
class metadata_client {
 public:
  /// A client sending through `http`, which must outlive it.
  metadata_client(http_client& http, metadata_options options = {});

  /// "http://HOST/computeMetadata/v1/".
  const std::string& base_url() const { return base_; }

  /// GET a path under /computeMetadata/v1/ ("instance/name"); retries 5xx and
  /// transport errors. A 404 is returned at once (status 404, no value).
  metadata_result get(std::string_view path);

  /// project, zone, name, id, tags, attributes and the IP of NIC `nic` ("nic0").
  /// On failure returns nullopt and sets `error`.
  std::optional<identity> fetch_identity(std::string_view nic, std::string& error);

  /// A fresh token from instance/service-accounts/default/token; nullopt and `error` on failure.
  std::optional<access_token> fetch_token(std::string& error);

  /// The cached token, fetched again when it is within the refresh margin of
  /// expiry or when `force`. nullopt when no token can be had.
  std::optional<std::string> bearer_token(bool force = false);

  /// Long-poll `path` until its ETag differs from `last_etag` ("0" or "" returns
  /// at once) or `timeout_sec` passes (then the unchanged value comes back).
  metadata_result watch(std::string_view path, std::string_view last_etag, int timeout_sec);

  /// Watch instance/preempted once (see watch()).
  preemption_state wait_for_preempted(std::string_view last_etag, int timeout_sec);

  /// Watch instance/maintenance-event once; the value is "NONE",
  /// "MIGRATE_ON_HOST_MAINTENANCE" or "TERMINATE_ON_HOST_MAINTENANCE".
  metadata_result wait_for_maintenance(std::string_view last_etag, int timeout_sec);

  /// Whether the last failed request failed in a way that may pass (no answer, a timeout,
  /// 5xx or 429) rather than one that will not (404, a reply that is not the metadata
  /// server's). Start-up retries the former (agent/startup_retry.hpp).
  bool last_failure_transient() const { return last_failure_transient_; }

 private:
  metadata_result request(const std::string& url, std::chrono::milliseconds timeout,
                          bool expect_flavor, int attempts);

  http_client& http_;
  metadata_options options_;
  std::string base_;
  std::optional<access_token> token_;
  std::chrono::steady_clock::time_point refresh_at_{};
  bool last_failure_transient_ = false;
};

/// Block until this VM is preempted (returns true) or `stop()` is true
/// (returns false), watching instance/preempted with `timeout_sec` long polls
/// and waiting 1 s after errors. `stop` is checked between polls; to stop a
/// poll in flight, cancel the client's transport (curl_http_client::cancel).
bool wait_until_preempted(metadata_client& md, const std::function<bool()>& stop,
                          int timeout_sec = 60);

}  // namespace gce
