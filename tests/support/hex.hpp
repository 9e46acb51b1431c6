#pragma once
// Hex strings to bytes for test vectors ("0c 1f88..." or "0c1f88..."; spaces ignored).

#include <cstdint>
#include <string>
#include <string_view>

#include "swim/bytes.hpp"

namespace test_support {

/// Decode hex digits (either case); spaces are skipped, a trailing odd digit is ignored.
inline swim::bytes hex(std::string_view text) {
  const auto nibble = [](char c) {
    return static_cast<std::uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  };
  std::string digits;
  for (char c : text)
    if (c != ' ') digits.push_back(c);
  swim::bytes out;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>((nibble(digits[i]) << 4) | nibble(digits[i + 1])));
  return out;
}

}  // namespace test_support
