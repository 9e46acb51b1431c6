#include "swim/crc32.hpp"

#include <array>

namespace swim {

namespace {

// Reflected CRC-32/IEEE (polynomial 0x04C11DB7, reversed 0xEDB88320), one
// table entry per byte value. Built at compile time so there is no static
// initialisation order to worry about.
constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    table[i] = c;
  }
  return table;
}

constexpr auto crc_table = make_table();

}  // namespace

std::uint32_t crc32_ieee(byte_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const std::uint8_t b : data) {
    crc = crc_table[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace swim
