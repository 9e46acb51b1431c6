#include "agent/logging.hpp"

#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

namespace {

using json = nlohmann::json;

// 2024-05-01T12:00:00.250Z
const auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1714564800250));

}  // namespace

TEST_CASE("logging: a JSON line has Cloud Logging's time, severity and message") {
  const std::string line = agent::json_log_line(spdlog::level::warn, when, "member cache-2 failed");
  CHECK(line ==
        R"({"time":"2024-05-01T12:00:00.250Z","severity":"WARNING","message":"member cache-2 failed"})");
  CHECK(agent::severity(spdlog::level::trace) == "DEBUG");
  CHECK(agent::severity(spdlog::level::debug) == "DEBUG");
  CHECK(agent::severity(spdlog::level::info) == "INFO");
  CHECK(agent::severity(spdlog::level::err) == "ERROR");
  CHECK(agent::severity(spdlog::level::critical) == "CRITICAL");
}

TEST_CASE("logging: any message stays one valid JSON object on one line") {
  const std::string nasty[] = {
      R"(name "with quotes")",
      R"(back\slash\)",
      "new\nline and\r\ttabs",
      std::string("nul\0byte", 8),
      "bell\x07 escape\x1b[31m del\x7f",
      "not utf-8: \xff\xfe\xc3",
      "{\"type\":\"injected\"}",
      "",
      "caf\xc3\xa9 \xe2\x9c\x93",
  };
  for (const auto& m : nasty) {
    CAPTURE(m);
    const std::string line = agent::json_log_line(spdlog::level::info, when, m);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    json j = json::parse(line, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j.size() == 3);
    CHECK(j["severity"] == "INFO");
    const std::string back = j["message"].get<std::string>();
    if (m.find('\xff') == std::string::npos) {
      CHECK(back == m);  // valid UTF-8 comes back exactly
    } else {
      CHECK(back.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
    }
  }
}

TEST_CASE("logging: the JSON formatter writes one line per event through a logger") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger log("json-test", sink);
  log.set_formatter(agent::make_json_formatter());
  log.info("member {} joined", "evil\"\n{}name");
  log.error("reload failed: {}", "bad\\path");
  std::istringstream lines(out.str());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    json j = json::parse(line, nullptr, false);
    REQUIRE(j.is_object());
    if (n == 0) CHECK(j["message"] == "member evil\"\n{}name joined");
    if (n == 1) CHECK(j["severity"] == "ERROR");
    ++n;
  }
  CHECK(n == 2);
}
