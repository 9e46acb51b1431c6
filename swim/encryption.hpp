#pragma once
// Gossip encryption as memberlist 0.2.2 does it (docs/wire.md §5.5, §6.1):
// AES-GCM with the keyring's primary key, a 12-byte random nonce and a 16-byte
// tag. OpenSSL's EVP interface does the cryptography.
//
//   datagram:      vsn | nonce[12] | ciphertext | tag[16]            (no AAD)
//   stream frame:  0x0a | len:uint32 BE | vsn | nonce[12] | ciphertext | tag[16]
//                  (AAD = the 5 header bytes; len counts everything after them)
//
// vsn 1 seals the plaintext as is (29 bytes of overhead); vsn 0 pads it with
// PKCS#7 to a multiple of 16 first. Both are read; 1 is written, as Serf does.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "swim/bytes.hpp"
#include "swim/keyring.hpp"
#include "swim/wire.hpp"

namespace swim::encryption {

using nonce = std::array<std::uint8_t, 12>;

/// Bytes a vsn-1 datagram grows by: version, nonce and tag.
inline constexpr std::size_t overhead = 1 + 12 + 16;
/// The stream frame type of an encrypted frame, and its header size (type + length).
inline constexpr std::uint8_t stream_type = 10;
inline constexpr std::size_t stream_header = 5;

/// A fresh random nonce (OpenSSL's RAND_bytes).
nonce random_nonce();

/// Seal `plaintext` with `key` (16, 24 or 32 bytes): vsn | nonce | ciphertext | tag.
bytes seal(byte_view key, byte_view plaintext, byte_view aad, const nonce& n, std::uint8_t vsn = 1);

/// Open a sealed message with each key of `ring` in order (primary first). On failure returns
/// nullopt and sets `why`: truncated (shorter than the overhead), bad_field (unknown version
/// or bad padding), decrypt_failed (no key opened it).
std::optional<bytes> open(const keyring& ring, byte_view sealed, byte_view aad, wire::error* why);

/// A datagram sealed with the primary key of a non-empty `ring`.
bytes seal_packet(const keyring& ring, byte_view datagram, const nonce& n);

/// A stream frame (plain or compressed) sealed with the primary key: 0x0a | len | sealed.
bytes seal_stream(const keyring& ring, byte_view frame, const nonce& n);

/// Outcome of reading an encrypted stream frame from the start of `data`.
struct stream_open {
  wire::parse_status status = wire::parse_status::indeterminate;
  std::size_t consumed = 0;  ///< header + sealed bytes (when good)
  bytes frame;               ///< the plaintext frame (when good)
  wire::error err = wire::error::ok;
};

/// Read one encrypted frame (data[0] must be 0x0a). `indeterminate` until the whole declared
/// length has arrived; a declared length over `max_frame` is bad (too_large) at once.
stream_open open_stream(const keyring& ring, byte_view data, std::size_t max_frame);

}  // namespace swim::encryption
