#pragma once
// Pure decoding of Compute API and metadata server bodies (no I/O). Every
// optional field of the API may be missing (tags, tags.items, metadata.items,
// items[].value, labels, accessConfigs, even a page's items), so absent means
// empty here, never an error. Instance ids are uint64 and are kept as strings
// whether the server sends them quoted or as bare numbers (which overflow
// doubles). Errors come back as values.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gce {

/// One network interface of an instance.
struct network_interface {
  std::string name;         ///< "nic0" ... "nic7"
  std::string network_ip;   ///< primary internal IPv4; "" while unassigned
  std::string external_ip;  ///< first access config's natIP; "" when none
};

/// The fields of a Compute Engine instance that discovery needs.
struct instance {
  std::string id;                              ///< uint64 in decimal, as a string
  std::string name;                            ///< instance name
  std::string zone;                            ///< last segment of the zone URL
  std::string status;                          ///< "RUNNING", ... ; "" when absent
  std::vector<network_interface> interfaces;   ///< in API order
  std::vector<std::string> tags;               ///< network tags
  std::map<std::string, std::string> metadata; ///< instance metadata; missing value = ""
  std::map<std::string, std::string> labels;   ///< labels
};

/// A `warning` object of a list or of one scope of an aggregated list.
struct api_warning {
  std::string code;     ///< "NO_RESULTS_ON_PAGE", "UNREACHABLE", ...
  std::string message;  ///< human text
  std::string scope;    ///< "zones/us-central1-b" for scoped warnings, else ""
};

/// One decoded page of instances.list or instances.aggregatedList.
struct instance_page {
  std::vector<instance> instances;        ///< may be empty even when a next page exists
  std::string next_page_token;            ///< "" on the last page
  std::vector<api_warning> warnings;      ///< top-level and per-scope warnings
  std::vector<std::string> unreachables;  ///< scopes the server could not reach
};

/// A page, or why the body could not be decoded.
struct page_result {
  std::optional<instance_page> page;  ///< set on success
  std::string error;                  ///< set on failure
};

/// Decode an InstanceList (instances.list) body.
page_result parse_instance_list(std::string_view body);

/// Decode an InstanceAggregatedList body; scopes holding only a warning are skipped.
page_result parse_aggregated_list(std::string_view body);

/// One member of a managed instance group (listManagedInstances).
struct managed_instance {
  std::string name;            ///< last segment of the instance URL
  std::string zone;            ///< the URL's zone segment
  std::string id;              ///< "" while the VM does not exist yet
  std::string status;          ///< instanceStatus; "" while the VM does not exist yet
  std::string current_action;  ///< "NONE", "CREATING", "DELETING", "RECREATING", ...
};

/// One decoded page of listManagedInstances.
struct managed_page {
  std::vector<managed_instance> instances;
  std::string next_page_token;  ///< "" on the last page (a PAGELESS group has one page)
};

/// A managed page, or why the body could not be decoded.
struct managed_result {
  std::optional<managed_page> page;
  std::string error;
};

/// Decode an InstanceGroupManagersListManagedInstancesResponse body (zonal or regional).
/// Entries without an instance URL are skipped; a missing list is an empty group.
managed_result parse_managed_instances(std::string_view body);

/// Whether the group's `current_action` leaves a member a peer: NONE, REFRESHING
/// (configuration applied in place) and VERIFYING (created, being verified); not one being
/// created, deleted, recreated, abandoned, restarted, stopped, started or suspended. An
/// absent action counts as NONE.
bool action_keeps_peer(std::string_view current_action);

/// How a failed API call should be handled.
enum class error_kind {
  retryable,     ///< 5xx, 408, transport errors: retry with back-off
  rate_limited,  ///< 403/429 rateLimitExceeded (or similar): wait for the next quota minute
  unauthorized,  ///< 401: refresh the token once
  fatal,         ///< 400, 403 forbidden, 404, ...: configuration error, do not hot-loop
};

/// A Google JSON error, tolerant of a missing or non-JSON body.
struct api_error {
  int code = 0;          ///< HTTP status
  std::string reason;    ///< errors[0].reason, "" when absent
  std::string message;   ///< error.message, or a short excerpt of a non-JSON body
  error_kind kind = error_kind::fatal;  ///< what to do about it
};

/// Classify an HTTP error answer (status >= 300) from its status and body.
api_error parse_api_error(int status, std::string_view body);

/// The metadata server's service-account token.
struct token_body {
  std::string access_token;           ///< bearer value
  std::string token_type;             ///< "Bearer"
  std::chrono::seconds expires_in{0}; ///< seconds remaining when it was issued
};

/// Decode a token body; nullopt when access_token is missing or the JSON is bad.
std::optional<token_body> parse_token(std::string_view body);

/// Decode `instance/tags` (a JSON list of strings); nullopt on bad JSON.
std::optional<std::vector<std::string>> parse_tags(std::string_view body);

/// Decode `instance/attributes/?recursive=true` (a JSON object); non-string
/// values are kept as their JSON text. nullopt on bad JSON.
std::optional<std::map<std::string, std::string>> parse_attributes(std::string_view body);

/// Last '/'-separated segment: "https://.../zones/us-central1-a" -> "us-central1-a".
std::string_view last_segment(std::string_view url);

/// Region of a zone: "us-central1-a" -> "us-central1"; the zone itself without a '-'.
std::string_view region_of(std::string_view zone);

}  // namespace gce
