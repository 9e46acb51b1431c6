#pragma once
// Counters of the rendered files and the change hook (agent/outputs.hpp), as
// /metrics reports them. Plain data, copied on the agent's thread.

#include <cstdint>
#include <string>
#include <vector>

namespace agent {

/// One [render.NAME].
struct render_stats {
  std::string name;
  std::uint64_t written = 0;    ///< renders that changed the file
  std::uint64_t unchanged = 0;  ///< renders that found the file as it should be
  std::uint64_t failed = 0;     ///< renders that failed (template, write); the old file stays
  std::uint64_t commands = 0;   ///< commands started
  std::uint64_t command_failures = 0;  ///< commands that exited non-zero, timed out or did not start
  std::uint64_t restored = 0;   ///< previous files put back after a failed command
};

/// [hooks] on_change.
struct hook_stats {
  std::uint64_t ok = 0;         ///< runs that exited 0
  std::uint64_t failed = 0;     ///< runs that exited non-zero or did not start
  std::uint64_t timed_out = 0;  ///< runs killed at the timeout
  std::uint64_t coalesced = 0;  ///< snapshots that never got a run: a newer one took their place
};

struct outputs_stats {
  std::vector<render_stats> renders;
  hook_stats hook;
};

class exposition;

/// The families of `s`, appended to /metrics (agent/outputs.cpp).
void write_outputs_metrics(exposition& m, const outputs_stats& s);

}  // namespace agent
