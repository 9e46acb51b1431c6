#include "gce/http_client.hpp"

#include <cctype>

#include "util/strings.hpp"

namespace gce {

std::optional<std::string> http_result::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (util::iequals(n, name)) return v;
  }
  return std::nullopt;
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace gce
