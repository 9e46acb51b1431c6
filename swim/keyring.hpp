#pragma once
// The gossip keyring (memberlist Keyring, Serf's `-encrypt` and keyring file):
// AES keys of 16, 24 or 32 bytes, primary first. The primary key encrypts;
// every installed key is tried on decrypt, so a cluster can rotate keys
// without a split: install the new key everywhere, make it primary, remove the
// old one. An empty keyring means plaintext gossip.

#include <optional>
#include <string>
#include <vector>

#include "swim/bytes.hpp"

namespace swim {

class keyring {
 public:
  keyring() = default;

  /// Why `key` cannot be a gossip key (its length is not 16, 24 or 32), or nullopt.
  static std::optional<std::string> key_error(byte_view key);

  /// A keyring of `keys`, primary first; duplicates are dropped. nullopt (and `error` set)
  /// when a key has the wrong length.
  static std::optional<keyring> make(const std::vector<bytes>& keys, std::string* error = nullptr);

  bool empty() const { return keys_.empty(); }
  /// Every installed key, primary first.
  const std::vector<bytes>& keys() const { return keys_; }
  /// The key that encrypts. Precondition: !empty().
  const bytes& primary() const { return keys_.front(); }
  bool contains(byte_view key) const;

  // Serf's key operations; each returns an error message, or nullopt on success.

  /// Add `key` (after the others; it does not become primary). Installing a key twice is fine.
  std::optional<std::string> install(const bytes& key);
  /// Make an installed key the primary.
  std::optional<std::string> use(byte_view key);
  /// Remove an installed key that is not the primary.
  std::optional<std::string> remove(byte_view key);

  friend bool operator==(const keyring&, const keyring&) = default;

 private:
  std::vector<bytes> keys_;
};

}  // namespace swim
