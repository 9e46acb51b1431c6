#include "agent/config_schema.hpp"

#include "agent/config.hpp"
#include "agent/config_outputs.hpp"
#include "util/strings.hpp"

namespace agent {

const std::map<std::string, std::set<std::string>>& known_keys() {
  static const std::map<std::string, std::set<std::string>> keys{
      {"cache",
       {"port", "check", "check_interval", "check_timeout", "check_failures", "check_successes"}},
      {"cluster",
       {"port", "heartbeat", "bind", "advertise", "join", "profile", "udp_buffer_size",
        "leave_timeout", "discovery", "push_pull_budget"}},
      {"match", {"project", "zone", "network_interface", "tags"}},
      {"meta", {}},
      {"node", {"name"}},
      {"publish",
       {"socket", "max_sessions", "coalesce_max", "burst_hold", "flap_half_life", "flap_suppress",
        "flap_reuse", "flap_max_suppress", "grey_suspicions", "grey_ratio", "grey_half_life"}},
      {"http", {"listen"}},
      {"log", {"level", "format"}},
      {"encrypt", {"key", "keyring_file", "verify_incoming", "verify_outgoing"}},
      {"tags", {}},
      {"render",
       {"template", "destination", "mode", "command", "command_timeout", "wait", "escape",
        "live_only", "cache_only", "exclude_self", "zones", "tags", "restore_on_failure"}},
      {"hooks", {"on_change", "timeout"}},
      {"gce",
       {"api_endpoint", "api_calls_per_minute", "min_poll_interval", "startup_timeout", "zones",
        "region", "labels", "status", "instance_group"}},
      {"dns", {"name", "interval"}},
      {"kubernetes",
       {"api_server", "token_file", "ca_file", "namespace", "label_selector", "port_name",
        "require_ready", "startup_timeout"}},
  };
  return keys;
}

const std::set<std::pair<std::string, std::string>>& ignored_keys() {
  static const std::set<std::pair<std::string, std::string>> keys{
      {"cache", "gc_percent"},
      {"cache", "periodic_release"},
  };
  return keys;
}

void warn_unknown(const ini_file& ini, std::string_view name, std::vector<std::string>& warnings) {
  const auto& known = known_keys();
  std::vector<std::string> section_names;
  for (const auto& [section, keys] : known) section_names.push_back(section);
  std::set<std::string> reported_sections;
  for (const auto& e : ini.entries()) {
    std::string where = std::string(name) + ": ";
    if (e.section.empty()) {
      warnings.push_back(where + e.key + ": key outside any [section] (ignored)");
      continue;
    }
    auto it = known.find(schema_section(e.section));
    if (it == known.end()) {
      if (reported_sections.insert(e.section).second) {
        warnings.push_back(where + "[" + e.section + "]: unknown section (ignored)" +
                           did_you_mean(e.section, section_names));
      }
      continue;
    }
    if (it->second.empty()) continue;  // free-form section
    std::string key = util::lower(e.key);
    if (it->second.count(key) != 0) continue;
    if (ignored_keys().count({e.section, key}) != 0) {
      warnings.push_back(where + "[" + e.section + "] " + e.key +
                         ": a Go runtime setting of gce-cache-cluster (ignored)");
      continue;
    }
    // A mistyped key would otherwise leave its setting at the default unnoticed (a
    // misspelt [match] tags matches every instance of the zone): an error.
    std::vector<std::string> candidates(it->second.begin(), it->second.end());
    throw config_error(std::string(name) + ":" + std::to_string(e.line) + ": [" + e.section +
                       "] " + e.key + ": unknown key" + did_you_mean(key, candidates));
  }
}

}  // namespace agent
