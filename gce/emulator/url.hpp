#pragma once
// Request-target helpers: path and query apart, query parameters decoded,
// path segments. Pure; nothing here fails (malformed escapes pass through).

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gce::emulator {

/// A request target cut at its first '?'; both parts view the target.
struct target_parts {
  std::string_view path;   ///< before '?'
  std::string_view query;  ///< after '?', "" when there is none
};

/// "/a/b?x=1" -> {"/a/b", "x=1"}.
target_parts split_target(std::string_view target);

/// %XX escapes and '+' as space; a '%' without two hex digits stays as it is.
std::string url_decode(std::string_view s);

/// "a=1&b=x%20y&c" -> {a: "1", b: "x y", c: ""}; a repeated key keeps its last value.
std::map<std::string, std::string> parse_query(std::string_view query);

/// The non-empty segments of a path: "//a/b/" -> {"a", "b"}; they view `path`.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace gce::emulator
