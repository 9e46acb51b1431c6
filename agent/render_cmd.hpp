#pragma once
// `cachecluster render --template T`: print a template rendered with the local
// agent's live peer list (or a snapshot saved in a file), to try templates out
// before a [render.NAME] section uses them.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "agent/outputs_config.hpp"

namespace agent::cli {

/// What `render` was asked.
struct render_args {
  std::string template_path;             ///< the Mustache template
  std::optional<std::string> snapshot;   ///< a file holding a snapshot line; none: ask the agent
  std::string escape = "none";           ///< none, json or html
  render_filter filter;                  ///< --live-only, --cache-only, --exclude-self, --zones
  std::vector<std::string> tags;         ///< --tag KEY=VALUE, into filter.tags
};

/// Render and print. Exit status: 0, 1 (no snapshot, unreadable or invalid template), 2 (bad
/// arguments).
int render(const std::string& socket, render_args args, std::ostream& out, std::ostream& err);

}  // namespace agent::cli
