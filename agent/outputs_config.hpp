#pragma once
// [render.NAME] and [hooks]: the files the agent renders from the peer list and
// the command it runs on every change (docs/config.md, agent/outputs.hpp). Kept
// apart from config.hpp so the rooms that use them need nothing else of it.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace agent {

/// How {{name}} escapes values ({{{name}}} never does).
enum class render_escape {
  none,  ///< as is (config files: nginx, HAProxy, YAML, Lua)
  json,  ///< JSON string content: \" \\ and control characters
  html,  ///< Mustache's default: & < > " ' escaped
};

/// Which peers a rendered view lists (agent/render_view.hpp).
struct render_filter {
  bool live_only = false;     ///< only alive peers (suspect ones left out)
  bool cache_only = false;    ///< only peers that publish a cache port
  bool exclude_self = false;  ///< leave this node out of the lists
  std::vector<std::string> zones;  ///< only peers in these zones; empty = any
  /// Only peers whose tags hold each key=value (all of them).
  std::vector<std::pair<std::string, std::string>> tags;
};

/// One [render.NAME] section: a template rendered into a file.
struct render_config {
  std::string name;         ///< NAME of [render.NAME]
  std::string template_path;  ///< the Mustache template (absolute, or relative to the config)
  std::string destination;  ///< the file written (absolute)
  /// File mode of the destination; nullopt = keep an existing file's mode, else 0644.
  std::optional<unsigned> mode;
  std::string command;      ///< run with /bin/sh -c after the file changed; "" = none
  std::chrono::milliseconds command_timeout{std::chrono::seconds(30)};
  /// Debounce: render once the view was quiet for wait_min, at the latest wait_max after the
  /// first change (consul-template's wait). 0:0 renders at every published snapshot.
  std::chrono::milliseconds wait_min{0};
  std::chrono::milliseconds wait_max{0};
  render_escape escape = render_escape::none;
  render_filter filter;
  /// Put the previous file back when the command fails (restore_on_failure).
  bool restore_on_failure = true;
};

/// [hooks]: a command run with each new snapshot (Serf's event handlers).
struct hooks_config {
  std::string on_change;  ///< run with /bin/sh -c; "" = none
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

}  // namespace agent
