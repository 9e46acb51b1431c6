#pragma once
// The emulator's test-control API (/admin/...), open to any source address:
// instances (list, add or replace, remove, preempt, maintenance events),
// faults, page size, tokens and the call counters. Bodies are JSON; bad input
// is a 400 with {"error": "..."}, an unknown instance a 404. The requests and
// their effects are tabled in docs/gce.md, "The emulator".

#include <chrono>

#include "gce/emulator/message.hpp"
#include "gce/emulator/state.hpp"

namespace gce::emulator {

/// Answers one request whose path is /admin or starts with /admin/. A rate
/// limit set here lasts from `wall`. Never throws.
response handle_admin(state& st, const request& req, std::chrono::system_clock::time_point wall);

}  // namespace gce::emulator
