// dlopen of libcrypto.so.3 and dlsym of each OpenSSL function our code calls.

#include "agent/crypto_library.hpp"

#include <dlfcn.h>

#include "util/shared_library.hpp"

namespace agent {
namespace {

using util::resolve_symbol;

struct loaded {
  const crypto_api* api = nullptr;
  std::string error;
};

const loaded& process_library() {
  static const loaded once = [] {
    loaded l;
    l.api = load_crypto_library(crypto_soname, l.error);
    return l;
  }();
  return once;
}

}  // namespace

const crypto_api* load_crypto_library(const char* soname, std::string& error) {
  const std::string hint =
      "gossip encryption and keys need OpenSSL's libcrypto: install the "
      "Debian package libssl3 (apt-get install libssl3)";
  void* lib = util::open_library(soname, error);
  if (lib == nullptr) {
    error += "; " + hint;
    return nullptr;
  }
  crypto_api a;
  std::string missing;
  bool ok = resolve_symbol(lib, "EVP_CIPHER_CTX_new", a.cipher_ctx_new, missing);
  ok = resolve_symbol(lib, "EVP_CIPHER_CTX_free", a.cipher_ctx_free, missing) && ok;
  ok = resolve_symbol(lib, "EVP_CIPHER_CTX_ctrl", a.cipher_ctx_ctrl, missing) && ok;
  ok = resolve_symbol(lib, "EVP_aes_128_gcm", a.aes_128_gcm, missing) && ok;
  ok = resolve_symbol(lib, "EVP_aes_192_gcm", a.aes_192_gcm, missing) && ok;
  ok = resolve_symbol(lib, "EVP_aes_256_gcm", a.aes_256_gcm, missing) && ok;
  ok = resolve_symbol(lib, "EVP_EncryptInit_ex", a.encrypt_init, missing) && ok;
  ok = resolve_symbol(lib, "EVP_EncryptUpdate", a.encrypt_update, missing) && ok;
  ok = resolve_symbol(lib, "EVP_EncryptFinal_ex", a.encrypt_final, missing) && ok;
  ok = resolve_symbol(lib, "EVP_DecryptInit_ex", a.decrypt_init, missing) && ok;
  ok = resolve_symbol(lib, "EVP_DecryptUpdate", a.decrypt_update, missing) && ok;
  ok = resolve_symbol(lib, "EVP_DecryptFinal_ex", a.decrypt_final, missing) && ok;
  ok = resolve_symbol(lib, "EVP_EncodeBlock", a.encode_block, missing) && ok;
  ok = resolve_symbol(lib, "EVP_DecodeBlock", a.decode_block, missing) && ok;
  ok = resolve_symbol(lib, "RAND_bytes", a.rand_bytes, missing) && ok;
  if (!ok) {
    dlclose(lib);
    error =
        std::string(soname) + " is not OpenSSL 3's libcrypto (it has no " + missing + "); " + hint;
    return nullptr;
  }
  return new crypto_api(a);  // lives as long as the library: the process
}

const crypto_api* crypto_library() { return process_library().api; }

std::string crypto_load_error() { return process_library().error; }

}  // namespace agent
