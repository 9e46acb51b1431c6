#include "agent/config.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent/config_outputs.hpp"
#include "agent/config_reader.hpp"
#include "agent/config_schema.hpp"
#include "agent/config_validate.hpp"
#include "agent/ini.hpp"
#include "util/host_port.hpp"
#include "util/strings.hpp"

namespace agent {

std::string host_port::to_string() const { return util::join_host_port(host, port); }

std::string_view to_string(discovery_mode d) {
  switch (d) {
    case discovery_mode::automatic:
      return "auto";
    case discovery_mode::gce:
      return "gce";
    case discovery_mode::static_:
      return "static";
    case discovery_mode::kubernetes:
      return "kubernetes";
    case discovery_mode::dns:
      return "dns";
  }
  return "auto";
}

std::string_view to_string(timing_profile p) {
  switch (p) {
    case timing_profile::heartbeat:
      return "heartbeat";
    case timing_profile::lan:
      return "lan";
    case timing_profile::wan:
      return "wan";
    case timing_profile::local:
      return "local";
  }
  return "?";
}

std::string_view to_string(log_level l) {
  switch (l) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "?";
}

std::string_view to_string(log_format f) {
  switch (f) {
    case log_format::text:
      return "text";
    case log_format::json:
      return "json";
  }
  return "?";
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = util::trim(text);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  auto n = parse_int<std::int64_t>(text.substr(0, digits));
  if (!n) return std::nullopt;
  std::string_view unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else {
    return std::nullopt;
  }
  // Far beyond any allowed range, and safe from overflow.
  if (*n > std::int64_t{1} << 40) return std::nullopt;
  return std::chrono::milliseconds(*n * scale);
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

loaded_config parse_config(std::string_view text, std::string_view name) {
  ini_file ini;
  try {
    ini = ini_file::parse(text, name, case_sensitive_sections);
  } catch (const ini_error& e) {
    throw config_error(e.what());
  }
  loaded_config out;
  warn_unknown(ini, name, out.warnings);
  out.cfg = validate_config(ini, name, out.warnings);
  validate_outputs(ini, name, out.cfg, out.warnings);
  return out;
}

loaded_config load_config(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw config_error(path.string() + ": cannot read: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw config_error(path.string() + ": cannot open: " + std::strerror(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    int err = errno;
    throw config_error(path.string() + ": cannot read: " + std::strerror(err));
  }
  return parse_config(text.str(), path.string());
}

}  // namespace agent
