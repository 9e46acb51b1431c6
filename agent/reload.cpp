#include "agent/reload.hpp"

#include <exception>
#include <spdlog/spdlog.h>

#include "agent/logging.hpp"

namespace agent {

bool reload_config(const std::string& path, config& running) {
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
