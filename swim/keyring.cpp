#include "swim/keyring.hpp"

#include <algorithm>

namespace swim {
namespace {

bool same(const bytes& a, byte_view b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace

std::optional<std::string> keyring::key_error(byte_view key) {
  if (key.size() == 16 || key.size() == 24 || key.size() == 32) return std::nullopt;
  return "a gossip key must be 16, 24 or 32 bytes (AES-128, -192 or -256), not " +
         std::to_string(key.size());
}

std::optional<keyring> keyring::make(const std::vector<bytes>& keys, std::string* error) {
  keyring k;
  for (const auto& key : keys) {
    if (auto why = k.install(key)) {
      if (error) *error = *why;
      return std::nullopt;
    }
  }
  return k;
}

bool keyring::contains(byte_view key) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const bytes& k) { return same(k, key); });
}

std::optional<std::string> keyring::install(const bytes& key) {
  if (auto why = key_error(key)) return why;
  if (!contains(key)) keys_.push_back(key);
  return std::nullopt;
}

std::optional<std::string> keyring::use(byte_view key) {
  auto it = std::find_if(keys_.begin(), keys_.end(), [&](const bytes& k) { return same(k, key); });
  if (it == keys_.end()) return std::string("the key is not installed");
  std::rotate(keys_.begin(), it, it + 1);  // to the front, the others keep their order
  return std::nullopt;
}

std::optional<std::string> keyring::remove(byte_view key) {
  auto it = std::find_if(keys_.begin(), keys_.end(), [&](const bytes& k) { return same(k, key); });
  if (it == keys_.end()) return std::string("the key is not installed");
  if (it == keys_.begin()) return std::string("the primary key cannot be removed");
  keys_.erase(it);
  return std::nullopt;
}

}  // namespace swim
