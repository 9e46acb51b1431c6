#pragma once
// FNV-1a, 64-bit (Fowler, Noll, Vo; standard offset basis and prime):
// a fast, stable, non-cryptographic hash for file names, ETags and fake IDs.
// Not for tables keyed by untrusted input (it is trivially collided).

#include <cstdint>
#include <span>
#include <string_view>

namespace util {

/// The 64-bit FNV offset basis: the hash of no bytes.
inline constexpr std::uint64_t fnv1a_64_offset = 0xcbf29ce484222325ull;
/// The 64-bit FNV prime.
inline constexpr std::uint64_t fnv1a_64_prime = 0x100000001b3ull;

/// FNV-1a of `s`, continuing from `h`: fnv1a_64(b, fnv1a_64(a)) == fnv1a_64(a + b).
constexpr std::uint64_t fnv1a_64(std::string_view s, std::uint64_t h = fnv1a_64_offset) noexcept {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= fnv1a_64_prime;
  }
  return h;
}

/// FNV-1a of raw bytes, continuing from `h`; the same value as for the same bytes as text.
constexpr std::uint64_t fnv1a_64(std::span<const std::uint8_t> bytes,
                                 std::uint64_t h = fnv1a_64_offset) noexcept {
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= fnv1a_64_prime;
  }
  return h;
}

}  // namespace util
