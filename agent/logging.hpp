#pragma once
// The agent's log: spdlog's "cachecluster" logger on stderr, as text or as one JSON object
// per line ([log] format), at [log] level.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include "agent/config.hpp"

namespace agent {

/// Create the logger and make it the default. Called once, at start-up.
void setup_logging(const log_config& lc);

/// Change the level of the running logger (SIGHUP reload).
void set_log_level(log_level level);

/// One event as `[log] format = json` writes it, without the newline: a JSON object with the
/// fields Google Cloud Logging reads from a structured line, `{"time":"2024-05-01T12:00:00.250Z",
/// "severity":"WARNING","message":"..."}` (time in UTC, RFC 3339; severity DEBUG for trace and
/// debug, INFO, WARNING, ERROR, CRITICAL). Any message is valid JSON there: quotes,
/// backslashes and control characters are escaped, bytes that are not UTF-8 become U+FFFD.
std::string json_log_line(spdlog::level::level_enum level,
                          std::chrono::system_clock::time_point time, std::string_view message);

/// The formatter of `[log] format = json`: json_log_line and a newline per event.
std::unique_ptr<spdlog::formatter> make_json_formatter();

/// Cloud Logging's severity name for a spdlog level ("DEBUG", "INFO", "WARNING", ...).
std::string_view severity(spdlog::level::level_enum level);

}  // namespace agent
