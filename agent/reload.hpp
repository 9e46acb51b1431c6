#pragma once
// SIGHUP: what a running agent takes from its config file again. Everything else (ports,
// name, tags, sockets, discovery) needs a restart.

#include <string>

#include "agent/config.hpp"

namespace agent {

/// Load `path` again and apply its log level and join list to `running`. Returns true when
/// the join list changed (the caller hands it to the joiner). A file that does not load is
/// logged and changes nothing; an empty `path` (the agent was started without a config file)
/// is logged as nothing to reload; never throws.
bool reload_config(const std::string& path, config& running);

}  // namespace agent
