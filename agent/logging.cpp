#include "agent/logging.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/sinks/base_sink.h>
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

/// The monitor's way out of the log: each event, as a JSON line, to the forward function.
/// base_sink's mutex guards `forward`, so set_forward never races a log call.
class forward_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void set_forward(log_forward f) {
    std::lock_guard<std::mutex> lock(mutex_);
    forward_ = std::move(f);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!forward_) return;
    forward_(msg.level, peerlib::log_line{utc_timestamp(msg.time), std::string(severity(msg.level)),
                                          std::string(msg.payload.data(), msg.payload.size())});
  }
  void flush_() override {}

 private:
  log_forward forward_;
};

/// The running logger's pieces (set up once by setup_logging, on the main thread).
struct log_state {
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<spdlog::sinks::sink> out;      // stderr, at [log] level
  std::shared_ptr<forward_sink> forward;         // monitors, at their most verbose level
  spdlog::level::level_enum configured = spdlog::level::info;
  std::optional<spdlog::level::level_enum> forwarded;
};

log_state& state() {
  static log_state s;
  return s;
}

/// The logger lets through what stderr or a monitor wants.
void apply_levels() {
  auto& st = state();
  if (!st.logger) return;
  st.out->set_level(st.configured);
  st.forward->set_level(st.forwarded.value_or(spdlog::level::off));
  st.logger->set_level(std::min(st.configured, st.forwarded.value_or(spdlog::level::off)));
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return std::nullopt;
}

void set_log_forward(log_forward forward, std::optional<spdlog::level::level_enum> level) {
  auto& st = state();
  if (!st.logger) return;
  st.forward->set_forward(forward ? std::move(forward) : log_forward{});
  st.forwarded = level;
  apply_levels();
}

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
  nlohmann::ordered_json j;
  j["time"] = utc_timestamp(time);
  j["severity"] = severity(level);
  j["message"] = std::string(message);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string utc_timestamp(std::chrono::system_clock::time_point time) {
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
  return stamp;
}

void setup_logging(const log_config& lc) {
  auto& st = state();
  st.out = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  st.forward = std::make_shared<forward_sink>();
  st.logger = std::make_shared<spdlog::logger>(
      "cachecluster", spdlog::sinks_init_list{st.out, st.forward});
  spdlog::register_logger(st.logger);
  if (lc.format == log_format::json)
    st.out->set_formatter(make_json_formatter());
  else
    st.out->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%l] %v");
  st.configured = to_spdlog(lc.level);
  apply_levels();
  st.logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(st.logger);
}

void set_log_level(log_level level) {
  state().configured = to_spdlog(level);
  apply_levels();
}

}  // namespace agent
