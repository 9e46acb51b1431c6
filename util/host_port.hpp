#pragma once
// host:port as text: "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6
// literal ("::1", which has no port). Splitting only: neither the host nor the
// port is checked here; callers validate them (an IP literal, a DNS name, 1-65535).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace util {

/// The parts of a host:port text, as views into it.
struct host_port_parts {
  std::string_view host;                 ///< without brackets; may be empty
  std::optional<std::string_view> port;  ///< the text after ':' (may be empty); nullopt = none
};

/// Split "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal. A text with
/// exactly one ':' is host:port; more colons without brackets are one IPv6 literal.
/// nullopt when brackets are malformed: "[::1" or "[::1]x".
constexpr std::optional<host_port_parts> split_host_port(std::string_view text) noexcept {
  host_port_parts out;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      out.port = rest.substr(1);
    }
    return out;
  }
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    out.host = text.substr(0, colon);
    out.port = text.substr(colon + 1);
  } else {
    out.host = text;  // a name, an IPv4 literal, or a bare IPv6 literal
  }
  return out;
}

/// "10.0.0.2:7946", or "[::1]:7946" when the host holds a ':' (an IPv6 literal).
inline std::string join_host_port(std::string_view host, std::uint16_t port) {
  std::string out;
  const bool v6 = host.find(':') != std::string_view::npos;
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

}  // namespace util
