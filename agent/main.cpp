// cachecluster: the agent's command line. Errors from start-up code are
// exceptions, caught once here and turned into a message and exit status 1.

#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "agent/config.hpp"

namespace {

/// Print a short, human-readable summary of a validated config.
void print_summary(const std::string& path, const agent::config& cfg, std::size_t warnings) {
  auto or_default = [](const std::string& s, const char* fallback) {
    return s.empty() ? std::string(fallback) : s;
  };
  const auto& cl = cfg.cluster;
  std::cout << path << ": OK" << (warnings ? " (" + std::to_string(warnings) + " warnings)" : "")
            << "\n";
  std::cout << "  node       " << cfg.node.name << "\n";
  std::cout << "  gossip     bind " << agent::host_port{cl.bind, cl.port}.to_string()
            << ", advertise " << (cl.advertise ? cl.advertise->to_string() : "(this instance's IP)")
            << "\n";
  std::cout << "  timing     ";
  if (cl.profile == agent::timing_profile::heartbeat) {
    std::cout << "heartbeat " << agent::format_duration(cl.heartbeat);
  } else {
    std::cout << "profile " << agent::to_string(cl.profile);
  }
  std::cout << ", udp_buffer_size " << cl.udp_buffer_size << ", leave_timeout "
            << agent::format_duration(cl.leave_timeout) << "\n";
  std::cout << "  join       ";
  if (cl.join.empty()) std::cout << "(none: peers come from GCE discovery)";
  for (std::size_t i = 0; i < cl.join.size(); ++i) {
    std::cout << (i ? ", " : "") << cl.join[i].to_string();
  }
  std::cout << "\n";
  std::cout << "  cache port "
            << (cfg.cache.port ? std::to_string(*cfg.cache.port) : "(not published)") << "\n";
  std::string zones;
  for (const auto& z : cfg.gce.zones) zones += (zones.empty() ? "" : ",") + z;
  if (zones.empty() && !cfg.gce.region.empty()) zones = "region " + cfg.gce.region;
  if (zones.empty()) zones = or_default(cfg.match.zone, "(this instance's zone)");
  std::cout << "  discovery  project " << or_default(cfg.match.project, "(this instance's)")
            << ", zones " << zones << ", tags=" << cfg.match.tags.size()
            << " meta=" << cfg.match.meta.size() << " labels=" << cfg.gce.labels.size() << "\n";
  std::cout << "  publish    " << cfg.publish.socket << "\n";
  std::cout << "  http       " << cfg.http.listen.to_string() << "\n";
  std::cout << "  log        " << agent::to_string(cfg.log.level) << ", "
            << agent::to_string(cfg.log.format) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cachecluster: live peer lists for cache nodes on Google Compute Engine",
               "cachecluster"};
  app.require_subcommand(1);

  auto* version = app.add_subcommand("version", "Print the version");

  std::string config_path = "/etc/cachecluster/cachecluster.ini";
  auto* check = app.add_subcommand("check-config", "Load and validate a config file");
  check->add_option("-c,--config", config_path, "Config file")->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  try {
    if (*version) {
      std::cout << "cachecluster " << CACHECLUSTER_VERSION << "\n";
    } else if (*check) {
      agent::loaded_config loaded = agent::load_config(config_path);
      for (const auto& w : loaded.warnings) std::cerr << "warning: " << w << "\n";
      print_summary(config_path, loaded.cfg, loaded.warnings.size());
    }
  } catch (const std::exception& e) {
    std::cerr << "cachecluster: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
