#pragma once
// The Compute API subset (/compute/v1/projects/P/...) that discovery reads:
//   zones/Z/instances      https://cloud.google.com/compute/docs/reference/rest/v1/instances/list
//   aggregated/instances   https://cloud.google.com/compute/docs/reference/rest/v1/instances/aggregatedList
//   zones                  https://cloud.google.com/compute/docs/reference/rest/v1/zones/list
//   regions/R              https://cloud.google.com/compute/docs/reference/rest/v1/regions/get
//   zones/Z/instanceGroupManagers/G/listManagedInstances (POST)
//                          https://cloud.google.com/compute/docs/reference/rest/v1/instanceGroupManagers/listManagedInstances
//   regions/R/instanceGroupManagers/G/listManagedInstances (POST), the regional one
// Shapes follow the real API: empty lists and maps omitted, ids as strings,
// zone URLs in the www.googleapis.com form, NO_RESULTS_ON_PAGE warnings for the
// empty zones of an aggregated page, opaque page tokens refused when reused
// with another filter, scope or page size, and errors in the standard Google
// JSON error body (https://cloud.google.com/apis/design/errors).

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gce/emulator/message.hpp"
#include "gce/emulator/state.hpp"

namespace gce::emulator {

/// Answers one request whose path starts with /compute/v1/. Every request is
/// counted ("compute" and one of "compute.list", "compute.aggregated",
/// "compute.zones", "compute.regions", "compute.managed", "compute.other"), refused
/// ones included. In order: GET only, POST for listManagedInstances (405), a valid Bearer token when st.require_auth (401),
/// the rate-limit window and the per-minute quota at `wall` (403
/// rateLimitExceeded), injected status faults, the project (404); then the
/// endpoint, with injected truncation of 200 bodies. Injected delays apply to
/// every answer. `now` checks token expiry. Never throws: bad input is a 4xx.
response handle_compute(state& st, const request& req, std::chrono::steady_clock::time_point now,
                        std::chrono::system_clock::time_point wall);

/// An instance as the API returns it (compute#instance), as in list pages.
nlohmann::json instance_json(const state& st, const emu_instance& in);

}  // namespace gce::emulator
