#pragma once
// CRC-32/IEEE (zlib, Ethernet; Go's crc32.ChecksumIEEE), used by the hasCrc header.

#include <cstdint>

#include "swim/bytes.hpp"

namespace swim {

/// CRC-32/IEEE of `data`.
std::uint32_t crc32_ieee(byte_view data);

}  // namespace swim
