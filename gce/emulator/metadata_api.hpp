#pragma once
// The metadata server (/computeMetadata/v1/...), answering as the VM whose NIC
// has the caller's source address. Behaviour of the real server it follows:
// https://cloud.google.com/compute/docs/metadata/querying-metadata (flavor
// header, X-Forwarded-For refusal, ETags, wait_for_change long polls) and
// https://cloud.google.com/compute/docs/metadata/predefined-metadata-keys.
// The served keys are listed in docs/gce.md, "The emulator".

#include <chrono>

#include "gce/emulator/message.hpp"
#include "gce/emulator/state.hpp"

namespace gce::emulator {

/// Answers one request whose path starts with /computeMetadata/. Counts
/// "metadata" (and "metadata.token", "metadata.watch") unless req.recheck, and
/// applies status faults aimed at the metadata server. A watch
/// (wait_for_change=true) whose last_etag is still current comes back with
/// `park` set: the caller asks again later with req.recheck (and req.expired
/// once timeout_sec has passed). `now` drives token expiry. Never throws: bad
/// input is a 4xx.
response handle_metadata(state& st, const request& req, std::chrono::steady_clock::time_point now);

}  // namespace gce::emulator
