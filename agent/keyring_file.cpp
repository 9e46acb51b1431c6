#include "agent/keyring_file.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "agent/config.hpp"
#include "agent/crypto_library.hpp"
#include "swim/keyring.hpp"

namespace agent {

std::string base64_encode(swim::byte_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<swim::bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (char c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
      return std::nullopt;
  swim::bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock keeps the zero bytes that padding stands for: drop them.
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::optional<swim::bytes> decode_key(std::string_view text, std::string* error) {
  auto key = base64_decode(text);
  if (!key) {
    // libcrypto decodes (loaded at run time): say so when it is missing, not "bad key".
    std::string missing = crypto_load_error();
    if (error)
      *error = !missing.empty()
                   ? missing
                   : "not valid base64 (a key from `cachecluster keygen` or `serf keygen`)";
    return std::nullopt;
  }
  if (auto why = swim::keyring::key_error(*key)) {
    if (error) *error = *why;
    return std::nullopt;
  }
  return key;
}

std::string generate_key() {
  if (std::string missing = crypto_load_error(); !missing.empty())
    throw std::runtime_error("keygen: " + missing);
  swim::bytes key(32);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("keygen: OpenSSL could not gather randomness");
  return base64_encode(key);
}

std::optional<std::vector<swim::bytes>> read_keyring_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  const std::string where = "[encrypt] keyring_file " + path.string();
  std::ifstream in(path);
  if (!in) throw config_error(where + ": cannot read: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_array() || doc.empty())
    throw config_error(where + ": must hold a JSON array of base64 keys, primary first");
  std::vector<swim::bytes> keys;
  for (const auto& v : doc) {
    std::string err = "not a string";
    std::optional<swim::bytes> key;
    if (v.is_string()) key = decode_key(v.get<std::string>(), &err);
    if (!key) throw config_error(where + ": key " + std::to_string(keys.size() + 1) + ": " + err);
    keys.push_back(std::move(*key));
  }
  return keys;
}

std::optional<std::string> write_keyring_file(const std::filesystem::path& path,
                                              const std::vector<swim::bytes>& keys) {
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& k : keys) doc.push_back(base64_encode(k));
  const std::string text = doc.dump(2) + "\n";
  const std::filesystem::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + tmp.string() + ": " + std::strerror(errno);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return "cannot replace " + path.string() + ": " + err;
  }
  return std::nullopt;
}

}  // namespace agent
