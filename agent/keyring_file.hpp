#pragma once
// Gossip keys as Serf keeps them: base64 strings (`serf keygen`, `serf agent
// -encrypt KEY`) and the keyring file, a JSON array of base64 keys with the
// primary first (`serf agent -keyring-file PATH`). The agent rewrites the file
// whenever the keys change, so a restart keeps the current ring.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "swim/bytes.hpp"

namespace agent {

/// Standard base64 with padding, as Go's base64.StdEncoding writes it.
std::string base64_encode(swim::byte_view data);
/// Decode standard base64 (padding required, no line breaks); nullopt when malformed.
std::optional<swim::bytes> base64_decode(std::string_view text);

/// A gossip key from its base64 form; nullopt and `error` set unless it decodes to 16, 24 or
/// 32 bytes.
std::optional<swim::bytes> decode_key(std::string_view text, std::string* error = nullptr);

/// 32 random bytes from OpenSSL, base64-encoded (`cachecluster keygen`).
std::string generate_key();

/// Read a keyring file. nullopt when it does not exist; throws config_error naming the file
/// when it cannot be read or holds anything but a non-empty array of valid keys.
std::optional<std::vector<swim::bytes>> read_keyring_file(const std::filesystem::path& path);

/// Write `keys` (primary first) to `path`: a temporary file in the same directory, mode 0600,
/// then rename. Returns an error message, or nullopt on success.
std::optional<std::string> write_keyring_file(const std::filesystem::path& path,
                                              const std::vector<swim::bytes>& keys);

}  // namespace agent
