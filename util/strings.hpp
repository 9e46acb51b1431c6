#pragma once
// ASCII string helpers for protocol text: HTTP header names, INI keys, metadata
// values. Independent of the C locale on purpose (std::tolower and std::isspace
// follow setlocale; Boost.StringAlgo follows std::locale): bytes >= 0x80 pass
// through unchanged.

#include <cstddef>
#include <string>
#include <string_view>

namespace util {

/// 'A'-'Z' to 'a'-'z'; any other byte unchanged.
constexpr char to_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// 'a'-'z' to 'A'-'Z'; any other byte unchanged.
constexpr char to_upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

/// True for the ASCII white space of the "C" locale: ' ', '\t', '\n', '\v', '\f', '\r'.
constexpr bool is_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

/// A copy of `s` with ASCII upper-case letters lowered: lower("Content-Type") == "content-type".
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

/// A copy of `s` with ASCII lower-case letters raised: upper("running") == "RUNNING".
inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_upper(c);
  return out;
}

/// `s` without leading and trailing white space (see is_space); a view into `s`.
constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Equal ignoring ASCII case: iequals("ETag", "etag").
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

}  // namespace util
