#pragma once
// The emulator's stable hash: generated instance ids, metadata ETags and page
// token fingerprints. FNV-1a over 64 bits, started from the emulator's own seed
// (see hash_seed), so those values are the same from run to run and release to
// release.

#include <cstdint>
#include <string>
#include <string_view>

namespace gce::emulator {

/// The starting value of every emulator hash. It is NOT the standard FNV-1a
/// 64-bit offset basis (14695981039346656037): it has one digit fewer. It is
/// kept because generated ids, ETags and page tokens have always been derived
/// from it; changing it would change every one of them.
inline constexpr std::uint64_t hash_seed = 1469598103934665603ull;

/// FNV-1a of `s` from hash_seed.
std::uint64_t hash(std::string_view s);

/// `v` as 16 lower-case hex digits, zero-padded: hex16(255) == "00000000000000ff".
std::string hex16(std::uint64_t v);

/// hex16(hash(s)): the form of ETags and page token fingerprints.
std::string digest(std::string_view s);

}  // namespace gce::emulator
