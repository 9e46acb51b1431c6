#pragma once
// A gossip endpoint: an IPv4 or IPv6 address plus a port. IPv4-mapped IPv6
// addresses (::ffff:a.b.c.d, which Go sends when it binds 0.0.0.0) are
// normalised to plain IPv4 so that one host never has two identities.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "swim/bytes.hpp"

namespace swim {

/// An IP address and port. Value type, comparable and hashable.
struct address {
  std::array<std::uint8_t, 16> ip{};  ///< first `ip_len` bytes are used, network order
  std::uint8_t ip_len = 4;            ///< 4 (IPv4) or 16 (IPv6)
  std::uint16_t port = 0;

  /// From raw IP bytes as they appear on the wire (4 or 16 bytes); nullopt otherwise.
  static std::optional<address> from_ip_bytes(byte_view ip, std::uint16_t port);
  /// Parse "1.2.3.4", "1.2.3.4:7946", "::1", "[::1]:7946"; `default_port` when none given.
  static std::optional<address> parse(std::string_view text, std::uint16_t default_port);
  /// IPv4 a.b.c.d with a port (convenient in tests and the simulator).
  static address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port);

  /// The IP bytes (4 or 16) for the wire.
  byte_view ip_bytes() const { return {ip.data(), ip_len}; }
  bool is_v4() const { return ip_len == 4; }
  /// "1.2.3.4" or "2001:db8::1".
  std::string ip_string() const;
  /// "1.2.3.4:7946" or "[2001:db8::1]:7946".
  std::string to_string() const;

  friend bool operator==(const address& a, const address& b) {
    return a.ip_len == b.ip_len && a.port == b.port && a.ip == b.ip;
  }
  friend bool operator<(const address& a, const address& b) {
    if (a.ip_len != b.ip_len) return a.ip_len < b.ip_len;
    if (a.ip != b.ip) return a.ip < b.ip;
    return a.port < b.port;
  }
};

/// Hash for unordered containers.
struct address_hash {
  std::size_t operator()(const address& a) const noexcept;
};

}  // namespace swim
