#include "swim/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace swim {
namespace {

constexpr std::uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  if (s.empty() || s.size() > 5) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

}  // namespace

std::optional<address> address::from_ip_bytes(byte_view ip, std::uint16_t port) {
  address a;
  a.port = port;
  if (ip.size() == 4) {
    std::memcpy(a.ip.data(), ip.data(), 4);
    a.ip_len = 4;
    return a;
  }
  if (ip.size() == 16) {
    // IPv4-mapped (Go's 16-byte form of an IPv4 address): keep one identity per host.
    if (std::memcmp(ip.data(), v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
      std::memcpy(a.ip.data(), ip.data() + 12, 4);
      a.ip_len = 4;
      return a;
    }
    std::memcpy(a.ip.data(), ip.data(), 16);
    a.ip_len = 16;
    return a;
  }
  return std::nullopt;
}

std::optional<address> address::parse(std::string_view text, std::uint16_t default_port) {
  std::string_view host = text;
  std::optional<std::uint16_t> port = default_port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = parse_port(rest.substr(1));
    }
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos &&
                                           text.find(':') == colon) {
    // Exactly one colon: host:port. More colons: a bare IPv6 literal.
    host = text.substr(0, colon);
    port = parse_port(text.substr(colon + 1));
  }
  if (!port || host.empty() || host.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, host.data(), host.size());
  std::uint8_t raw[16];
  if (inet_pton(AF_INET, buf, raw) == 1) return from_ip_bytes({raw, 4}, *port);
  if (inet_pton(AF_INET6, buf, raw) == 1) return from_ip_bytes({raw, 16}, *port);
  return std::nullopt;
}

address address::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                    std::uint16_t port) {
  address r;
  r.ip[0] = a;
  r.ip[1] = b;
  r.ip[2] = c;
  r.ip[3] = d;
  r.ip_len = 4;
  r.port = port;
  return r;
}

std::string address::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, ip.data(), buf, sizeof buf);
  return buf;
}

std::string address::to_string() const {
  std::string s = is_v4() ? ip_string() : "[" + ip_string() + "]";
  return s + ":" + std::to_string(port);
}

std::size_t address_hash::operator()(const address& a) const noexcept {
  // FNV-1a over the used bytes and the port: cheap, and addresses are not attacker-chosen keys
  // in any table that could degrade (the member table is keyed by name).
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  for (std::size_t i = 0; i < a.ip_len; ++i) mix(a.ip[i]);
  mix(static_cast<std::uint8_t>(a.port >> 8));
  mix(static_cast<std::uint8_t>(a.port));
  return static_cast<std::size_t>(h);
}

}  // namespace swim
