#pragma once
// Typed values out of a parsed cachecluster.ini: ports, integers, durations,
// choices, lists, host:port and free-form sections. Every error is a
// config_error naming the file, the [section] key, the value and what is allowed.

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "agent/config.hpp"
#include "agent/ini.hpp"
#include "util/strings.hpp"

namespace agent {

/// `s` in double quotes, with newlines (from repeated keys) shown as \n.
std::string in_quotes(std::string_view s);

/// The non-empty items of a list, split at ',' and newlines and trimmed.
std::vector<std::string> split_list(std::string_view text);

/// The whole of `text` as a decimal integer of type Int; nullopt otherwise.
template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
  Int v{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return v;
}

/// A host and an optional port as written in the file (util::split_host_port).
struct host_and_port {
  std::string host;                   ///< without brackets; not checked
  std::optional<std::uint32_t> port;  ///< nullopt when absent, 0 when present but not 1-65535
};

/// Split "host", "host:port", "[v6]" or "[v6]:port"; nullopt for malformed brackets.
std::optional<host_and_port> read_host_port(std::string_view text);

/// Reads typed values out of an ini_file, naming the file and key in every error.
class config_reader {
 public:
  /// `name` stands for the file in messages; both must outlive the reader.
  config_reader(const ini_file& ini, std::string_view name) : ini_(ini), name_(name) {}

  /// The value of [section] key, trimmed and unquoted; nullopt when absent.
  std::optional<std::string> get(const std::string& section, const std::string& key) const {
    return ini_.get(section, key);
  }

  /// Like get(), for a key that holds one value (not a list).
  std::optional<std::string> get_scalar(const std::string& section, const std::string& key) const;

  /// Throw "<file>: [section] key = "value": what".
  [[noreturn]] void fail(const std::string& section, const std::string& key, std::string_view value,
                         std::string_view what) const;

  /// Throw "<file>: [section] key: what".
  [[noreturn]] void fail(const std::string& section, const std::string& key,
                         std::string_view what) const;

  /// A port 1-65535 into `out`, when the key is set.
  void port(const std::string& section, const std::string& key, std::uint16_t& out) const;

  /// An integer min-max into `out`, when the key is set.
  template <typename Int>
  void integer(const std::string& section, const std::string& key, Int min, Int max,
               Int& out) const {
    if (auto v = get_scalar(section, key)) {
      auto n = parse_int<long long>(*v);
      if (!n || *n < static_cast<long long>(min) || *n > static_cast<long long>(max)) {
        fail(section, key, *v,
             "must be an integer " + std::to_string(min) + "-" + std::to_string(max));
      }
      out = static_cast<Int>(*n);
    }
  }

  /// A duration (parse_duration) between min and max into `out`, when the key is set.
  void duration(const std::string& section, const std::string& key, std::chrono::milliseconds min,
                std::chrono::milliseconds max, std::chrono::milliseconds& out) const;

  /// true/false (also yes/no, on/off, 1/0, any case).
  void boolean(const std::string& section, const std::string& key, bool& out) const {
    if (auto v = get_scalar(section, key)) {
      const std::string want = util::lower(*v);
      if (want == "true" || want == "yes" || want == "on" || want == "1") {
        out = true;
      } else if (want == "false" || want == "no" || want == "off" || want == "0") {
        out = false;
      } else {
        fail(section, key, *v, "must be true or false");
      }
    }
  }

  /// One of `choices` (case-insensitive) into `out`, when the key is set.
  template <typename Enum, std::size_t N>
  void choice(const std::string& section, const std::string& key,
              const std::array<std::pair<std::string_view, Enum>, N>& choices, Enum& out) const {
    if (auto v = get_scalar(section, key)) {
      std::string want = util::lower(*v);
      for (const auto& [text, value] : choices) {
        if (want == text) {
          out = value;
          return;
        }
      }
      std::string allowed;
      for (const auto& [text, value] : choices) {
        allowed += allowed.empty() ? "" : ", ";
        allowed += text;
      }
      fail(section, key, *v, "must be one of " + allowed);
    }
  }

  /// Keys and values of a free-form section ([meta], [tags]), in key order.
  std::map<std::string, std::string> section_map(const std::string& section) const;

 private:
  const ini_file& ini_;
  std::string_view name_;
};

}  // namespace agent
