#pragma once
// Byte buffers used across the codec and the node.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace swim {

/// An owned byte buffer (a datagram, a stream frame, a msgpack body).
using bytes = std::vector<std::uint8_t>;
/// A read-only view of bytes; never outlives the buffer it points into.
using byte_view = std::span<const std::uint8_t>;

/// View a string's characters as bytes.
inline byte_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace swim
