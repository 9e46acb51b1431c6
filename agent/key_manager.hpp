#pragma once
// This agent's gossip keys at run time: the keys it starts with ([encrypt] key
// or keyring_file), Serf's key operations applied to the running node, and
// the keyring file rewritten after every change so a restart keeps the ring.
// Cluster-wide rotation (`cachecluster keys`, Serf's key queries) is built on
// these local operations.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "swim/keyring.hpp"

namespace agent {

/// The keys to start with: the keyring file when it exists (the [encrypt] key is then
/// added to it if missing, not made primary), else the [encrypt] key, which also seeds a new
/// keyring file. Empty when encryption is off. Throws config_error; notes go to `warnings`.
swim::keyring initial_keyring(const encrypt_config& cfg, std::vector<std::string>& warnings);

class key_manager {
 public:
  /// `apply` hands a changed ring to the node (swim::asio::driver::set_keyring).
  key_manager(encrypt_config cfg, swim::keyring ring, std::function<void(const swim::keyring&)> apply)
      : cfg_(std::move(cfg)), ring_(std::move(ring)), apply_(std::move(apply)) {}

  /// Each returns an error message, or nullopt once the node uses the new ring (and the
  /// keyring file, when configured, holds it).
  std::optional<std::string> install(const std::string& base64_key);
  std::optional<std::string> use(const std::string& base64_key);
  std::optional<std::string> remove(const std::string& base64_key);

  /// The installed keys, base64, primary first.
  std::vector<std::string> list() const;
  const swim::keyring& ring() const { return ring_; }

 private:
  std::optional<std::string> change(const std::string& base64_key,
                                    const std::function<std::optional<std::string>(
                                        swim::keyring&, const swim::bytes&)>& op);

  encrypt_config cfg_;
  swim::keyring ring_;
  std::function<void(const swim::keyring&)> apply_;
};

}  // namespace agent
