#include "agent/reload.hpp"

#include <exception>
#include <spdlog/spdlog.h>

#include "agent/logging.hpp"

namespace agent {

bool reload_config(const std::string& path, config& running) {
  if (path.empty()) {
    // Started on defaults and flags: there is no file to read again.
    spdlog::info("SIGHUP: the agent was started without a config file; nothing to reload");
    return false;
  }
  spdlog::info("SIGHUP: reloading {}", path);
  try {
    auto loaded = load_config(path);
    for (const auto& w : loaded.warnings) spdlog::warn("{}", w);
    set_log_level(loaded.cfg.log.level);
    running.log.level = loaded.cfg.log.level;
    if (loaded.cfg.cluster.join == running.cluster.join) return false;
    running.cluster.join = loaded.cfg.cluster.join;
    spdlog::info("join list now has {} seed(s)", running.cluster.join.size());
    return true;
  } catch (const std::exception& e) {
    spdlog::error("reload failed, keeping the running config: {}", e.what());
    return false;
  }
}

}  // namespace agent
