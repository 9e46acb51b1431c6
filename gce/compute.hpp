#pragma once
// Compute Engine API v1 client: instances.list per zone and
// instances.aggregatedList, over an http_client. Blocking; one listing follows
// every page (empty pages that still carry a nextPageToken included) up to a
// hard cap, retries 5xx and timeouts a few times with jittered exponential
// back-off, and on a rate limit (403 rateLimitExceeded or 429) stops at once
// and reports when the next quota minute starts: the caller's loop waits,
// this client never sleeps through a quota window.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gce/http_client.hpp"
#include "gce/parse.hpp"

namespace gce {

/// Where a bearer token comes from; `refresh` asks for a new one (after a 401).
/// nullopt = no token (the request is sent without Authorization).
using token_source = std::function<std::optional<std::string>(bool refresh)>;

/// Settings of compute_client.
struct compute_options {
  /// API root ([gce] api_endpoint); a missing trailing '/' is added.
  std::string endpoint = "https://compute.googleapis.com/compute/v1/";
  std::string project;                    ///< project id to list
  int max_results = 500;                  ///< maxResults per page (1-500; 0 = server default)
  int max_pages = 100;                    ///< a listing with more pages fails (token loop guard)
  int max_attempts = 4;                   ///< tries per page for 5xx and timeouts
  std::chrono::milliseconds timeout{std::chrono::seconds(15)};   ///< per request
  std::chrono::milliseconds backoff_base{200};                   ///< first retry delay
  std::chrono::milliseconds backoff_max{std::chrono::seconds(5)};///< retry delay cap
  token_source token;                     ///< Authorization source; empty = none
  /// Sleep between retries; tests inject a no-op. Empty = std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  /// Wall clock for quota minutes; tests inject one. Empty = system_clock::now.
  std::function<std::chrono::system_clock::time_point()> now;
  std::uint64_t seed = 0;                 ///< back-off jitter seed (0 = random_device)
};

/// Outcome of one listing (all of its pages, possibly several zones).
struct list_result {
  std::vector<instance> instances;   ///< every instance seen, unfiltered by match rules
  std::vector<managed_instance> managed;  ///< list_managed: the group's members
  std::string error;                 ///< "" on success
  /// Set when the API refused for quota: do not call again before this time.
  std::optional<std::chrono::system_clock::time_point> rate_limited_until;
  std::vector<api_warning> warnings; ///< non-routine warnings, and zones that failed
  int calls = 0;                     ///< HTTP requests sent (retries included)
  int pages = 0;                     ///< pages decoded
  std::vector<api_call> call_log;    ///< every request sent, with its status (metrics)
  int http_status = 0;               ///< status of the failing answer; 0 = none or transport
  std::string error_reason;          ///< errors[0].reason of the failing answer ("forbidden")

  /// The listing failed on a 403 that is not a rate limit (a missing scope or IAM role).
  bool permission_denied() const { return http_status == 403 && !rate_limited_until; }

  /// True when the listing completed.
  bool ok() const { return error.empty(); }
};

/// "Compute API returned 403 (forbidden): MESSAGE; HINT" for a failed call of `method`
/// ("instances.list"): the hint names the scope and role a 403, 401 or 404 usually lacks.
std::string explain_api_error(const api_error& e, std::string_view method);

/// Client of instances.list / instances.aggregatedList. Not thread-safe.
class compute_client {
 public:
  /// A client sending through `http`, which must outlive it.
  compute_client(http_client& http, compute_options options);

  /// instances.list in one zone, with an optional AIP-160 `filter`.
  list_result list(const std::string& zone, const std::string& filter);

  /// instances.list in each of `zones`, merged. A zone that fails (say a new
  /// zone the API does not serve yet) is reported in warnings and skipped;
  /// the result is an error only when every zone failed or a rate limit hit.
  list_result list_zones(const std::vector<std::string>& zones, const std::string& filter);

  /// instances.aggregatedList over the whole project (one global read per page).
  list_result aggregated_list(const std::string& filter);

  /// aggregatedList restricted to the zones of `region` ("us-central1"): one
  /// call per page instead of one list per zone, which is how a regional MIG is covered.
  list_result list_region(const std::string& region, const std::string& filter);

  /// The members of managed instance group `group` in `scope`, "zones/Z"
  /// (instanceGroupManagers.listManagedInstances) or "regions/R" (the regional one):
  /// a POST with an empty body, its pages followed when the group is PAGINATED. Same
  /// retries and rate-limit handling as the listings. Members come back in `managed`.
  list_result list_managed(const std::string& scope, const std::string& group);

  /// The start of the next quota minute after `now` (quotas refill on whole minutes).
  static std::chrono::system_clock::time_point next_quota_minute(
      std::chrono::system_clock::time_point now);

 private:
  enum class kind { list, aggregated, managed };
  list_result run(const std::string& base_url, const std::string& filter, kind k);
  std::chrono::milliseconds backoff(int attempt);

  http_client& http_;
  compute_options options_;
  std::mt19937_64 rng_;
};

}  // namespace gce
