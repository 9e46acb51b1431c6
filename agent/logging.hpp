#pragma once
// The agent's log: spdlog's "cachecluster" logger on stderr, as text or as one JSON object
// per line ([log] format), at [log] level.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include "agent/config.hpp"
#include "peerlib/protocol.hpp"

namespace agent {

/// Create the logger and make it the default. Called once, at start-up.
void setup_logging(const log_config& lc);

/// Change the level of the running logger (SIGHUP reload).
void set_log_level(log_level level);

/// Receives log events for `cachecluster monitor`: the spdlog level and the event (time as
/// json_log_line writes it, Cloud Logging's severity, message). Called on whatever thread
/// logged, under the log's lock: it must only queue (post to the agent's io_context), never log.
using log_forward = std::function<void(spdlog::level::level_enum, peerlib::log_line)>;

/// Send every event at `level` or more severe to `forward` too (null: stop). The logger then
/// passes events down to `level` even when [log] level is less verbose; stderr still gets
/// [log] level only. No effect before setup_logging.
void set_log_forward(log_forward forward, std::optional<spdlog::level::level_enum> level);

/// The spdlog level of a [log] level name ("warn" -> warn); nullopt for other names.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// One event as `[log] format = json` writes it, without the newline: a JSON object with the
/// fields Google Cloud Logging reads from a structured line, `{"time":"2024-05-01T12:00:00.250Z",
/// "severity":"WARNING","message":"..."}` (time in UTC, RFC 3339; severity DEBUG for trace and
/// debug, INFO, WARNING, ERROR, CRITICAL). Any message is valid JSON there: quotes,
/// backslashes and control characters are escaped, bytes that are not UTF-8 become U+FFFD.
std::string json_log_line(spdlog::level::level_enum level,
                          std::chrono::system_clock::time_point time, std::string_view message);

/// The formatter of `[log] format = json`: json_log_line and a newline per event.
std::unique_ptr<spdlog::formatter> make_json_formatter();

/// `time` in UTC as RFC 3339 with milliseconds: "2024-05-01T12:00:00.250Z".
std::string utc_timestamp(std::chrono::system_clock::time_point time);

/// Cloud Logging's severity name for a spdlog level ("DEBUG", "INFO", "WARNING", ...).
std::string_view severity(spdlog::level::level_enum level);

}  // namespace agent
