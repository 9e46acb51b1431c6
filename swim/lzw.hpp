#pragma once
// LZW as Go's compress/lzw speaks it with order LSB and literal width 8
// (memberlist's only compression algorithm): codes 0-255 literals, 256 clear,
// 257 EOF, first dictionary code 258, 9 to 12-bit codes packed LSB first.
// The writer emits a leading clear code and a final EOF code, exactly like the
// Go 1.19 writer that built Debian's serf, so captured payloads re-compress
// byte for byte. docs/wire.md §5.4.

#include <cstddef>
#include <optional>

#include "swim/bytes.hpp"

namespace swim::lzw {

/// Compress `input`.
bytes compress(byte_view input);

/// Decompress `input`; nullopt on an invalid stream, a missing EOF code, or
/// output beyond `max_output` bytes (a decompression bomb).
std::optional<bytes> decompress(byte_view input, std::size_t max_output);

}  // namespace swim::lzw
