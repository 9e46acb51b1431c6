#include "agent/key_manager.hpp"

#include "agent/keyring_file.hpp"

#include <algorithm>

namespace agent {

swim::keyring initial_keyring(const encrypt_config& cfg, std::vector<std::string>& warnings) {
  std::vector<swim::bytes> keys;
  std::optional<swim::bytes> key;
  if (!cfg.key.empty()) {
    std::string why;
    key = decode_key(cfg.key, &why);
    if (!key) throw config_error("[encrypt] key: " + why);
  }
  if (!cfg.keyring_file.empty()) {
    if (auto from_file = read_keyring_file(cfg.keyring_file)) {
      keys = std::move(*from_file);
      if (key && std::find(keys.begin(), keys.end(), *key) == keys.end()) {
        warnings.push_back("[encrypt] key is not in " + cfg.keyring_file +
                           "; it is installed but the file's primary key stays primary");
        keys.push_back(*key);
      }
    } else if (key) {
      keys.push_back(*key);
      if (auto err = write_keyring_file(cfg.keyring_file, keys))
        throw config_error("[encrypt] keyring_file: " + *err);
    } else {
      throw config_error("[encrypt] keyring_file " + cfg.keyring_file +
                         " does not exist and no [encrypt] key is given to start it");
    }
  } else if (key) {
    keys.push_back(*key);
  }
  std::string why;
  auto ring = swim::keyring::make(keys, &why);
  if (!ring) throw config_error("[encrypt]: " + why);
  return *ring;
}

std::optional<std::string> key_manager::change(
    const std::string& base64_key,
    const std::function<std::optional<std::string>(swim::keyring&, const swim::bytes&)>& op) {
  std::string why;
  auto key = decode_key(base64_key, &why);
  if (!key) return "bad key: " + why;
  if (ring_.empty()) return std::string("encryption is not enabled on this agent");
  swim::keyring next = ring_;
  if (auto err = op(next, *key)) return err;
  if (next == ring_) return std::nullopt;
  if (!cfg_.keyring_file.empty())
    if (auto err = write_keyring_file(cfg_.keyring_file, next.keys())) return err;
  ring_ = std::move(next);
  apply_(ring_);
  return std::nullopt;
}

std::optional<std::string> key_manager::install(const std::string& base64_key) {
  return change(base64_key, [](swim::keyring& r, const swim::bytes& k) { return r.install(k); });
}

std::optional<std::string> key_manager::use(const std::string& base64_key) {
  return change(base64_key, [](swim::keyring& r, const swim::bytes& k) { return r.use(k); });
}

std::optional<std::string> key_manager::remove(const std::string& base64_key) {
  return change(base64_key, [](swim::keyring& r, const swim::bytes& k) { return r.remove(k); });
}

std::vector<std::string> key_manager::list() const {
  std::vector<std::string> out;
  for (const auto& k : ring_.keys()) out.push_back(base64_encode(k));
  return out;
}

}  // namespace agent
