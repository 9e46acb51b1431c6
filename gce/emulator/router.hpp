#pragma once
// The emulator as one pure request -> response function over a state (like
// Asio's request_handler): main.cpp only moves bytes.
//
// Served paths (see docs/gce.md for the full list and the admin API):
//   /computeMetadata/v1/...                      metadata server (metadata_api); the
//                                                caller's VM is picked by its SOURCE
//                                                ADDRESS (the instance whose NIC has that IP)
//   /compute/v1/projects/P/zones/Z/instances     instances.list (compute_api)
//   /compute/v1/projects/P/aggregated/instances  instances.aggregatedList
//   /compute/v1/projects/P/zones, .../regions/R  zones.list, regions.get
//   /admin/...                                   test control (admin_api): instances,
//                                                faults, page size, tokens, call counters
//   /                                            the metadata server's root, with
//                                                Metadata-Flavor: Google

#include <chrono>

#include "gce/emulator/message.hpp"
#include "gce/emulator/state.hpp"

namespace gce::emulator {

/// Answers one request: `now` drives token expiry and watches, `wall` quota
/// minutes and rate-limit windows. Anything else is a plain-text 404. Never throws.
response handle(state& st, const request& req, std::chrono::steady_clock::time_point now,
                std::chrono::system_clock::time_point wall);

}  // namespace gce::emulator
