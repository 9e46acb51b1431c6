#include "agent/logging.hpp"

#include <time.h>

#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace agent {
namespace {

spdlog::level::level_enum to_spdlog(log_level l) {
  switch (l) {
    case log_level::trace: return spdlog::level::trace;
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

/// [log] format = json: every event through json_log_line, so no message can break the line.
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string line = json_log_line(
        msg.level, msg.time, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<json_formatter>();
}

std::string_view severity(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "DEBUG";
    case spdlog::level::info: return "INFO";
    case spdlog::level::warn: return "WARNING";
    case spdlog::level::err: return "ERROR";
    case spdlog::level::critical: return "CRITICAL";
    default: return "DEFAULT";
  }
}

std::string json_log_line(spdlog::level::level_enum level,
                          std::chrono::system_clock::time_point time, std::string_view message) {
  using namespace std::chrono;
  const auto since = time.time_since_epoch();
  const auto secs = floor<seconds>(since);
  const auto ms = duration_cast<milliseconds>(since - secs).count();
  const std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[80];  // room for any int fields, to satisfy -Wformat-truncation
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  nlohmann::ordered_json j;
  j["time"] = stamp;
  j["severity"] = severity(level);
  j["message"] = std::string(message);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void setup_logging(const log_config& lc) {
  auto logger = spdlog::stderr_logger_mt("cachecluster");
  if (lc.format == log_format::json)
    logger->set_formatter(make_json_formatter());
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%l] %v");
  logger->set_level(to_spdlog(lc.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void set_log_level(log_level level) {
  if (auto logger = spdlog::get("cachecluster")) logger->set_level(to_spdlog(level));
}

}  // namespace agent
