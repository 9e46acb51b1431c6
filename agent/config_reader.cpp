#include "agent/config_reader.hpp"

#include "util/host_port.hpp"

namespace agent {

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',' || text[i] == '\n') {
      std::string_view item = util::trim(text.substr(start, i - start));
      if (!item.empty()) items.emplace_back(item);
      start = i + 1;
    }
  }
  return items;
}

std::optional<host_and_port> read_host_port(std::string_view text) {
  auto parts = util::split_host_port(text);
  if (!parts) return std::nullopt;
  host_and_port out{std::string(parts->host), std::nullopt};
  if (parts->port) {
    auto p = parse_int<std::uint32_t>(*parts->port);
    out.port = (p && *p >= 1 && *p <= 65535) ? *p : 0;
  }
  return out;
}

std::optional<std::string> config_reader::get_scalar(const std::string& section,
                                                     const std::string& key) const {
  auto v = get(section, key);
  if (v && v->find('\n') != std::string::npos) {
    fail(section, key, *v, "set more than once (or continued on an indented line)");
  }
  return v;
}

void config_reader::fail(const std::string& section, const std::string& key, std::string_view value,
                         std::string_view what) const {
  throw config_error(std::string(name_) + ": [" + section + "] " + key + " = " + in_quotes(value) +
                     ": " + std::string(what));
}

void config_reader::fail(const std::string& section, const std::string& key,
                         std::string_view what) const {
  throw config_error(std::string(name_) + ": [" + section + "] " + key + ": " + std::string(what));
}

void config_reader::port(const std::string& section, const std::string& key,
                         std::uint16_t& out) const {
  if (auto v = get_scalar(section, key)) {
    auto p = parse_int<std::uint32_t>(*v);
    if (!p || *p < 1 || *p > 65535) fail(section, key, *v, "must be an integer 1-65535");
    out = static_cast<std::uint16_t>(*p);
  }
}

void config_reader::duration(const std::string& section, const std::string& key,
                             std::chrono::milliseconds min, std::chrono::milliseconds max,
                             std::chrono::milliseconds& out) const {
  if (auto v = get_scalar(section, key)) {
    auto d = parse_duration(*v);
    if (!d) {
      fail(section, key, *v,
           "must be a duration such as 250ms, 5s or 1m (a bare integer means milliseconds)");
    }
    if (*d < min || *d > max) {
      fail(section, key, *v,
           "must be between " + format_duration(min) + " and " + format_duration(max));
    }
    out = *d;
  }
}

std::map<std::string, std::string> config_reader::section_map(const std::string& section) const {
  std::map<std::string, std::string> out;
  for (const auto& e : ini_.entries()) {
    if (e.section != section) continue;
    std::string value = ini_file::value(e.value);
    if (value.find('\n') != std::string::npos) {
      fail(section, e.key, value, "set more than once (or continued on an indented line)");
    }
    out.emplace(e.key, std::move(value));
  }
  return out;
}

}  // namespace agent
