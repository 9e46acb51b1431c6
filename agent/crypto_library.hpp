#pragma once
// libcrypto, loaded at run time by the cachecluster binary. Only an agent with gossip
// encryption (or a command that handles keys: keygen, keys, check-config of a key) calls
// OpenSSL, yet a linked libcrypto.so.3 cost every agent about 1.4 MiB of resident pages
// (0.4 MiB of them its own, relocated data) just by being mapped (scripts/rss-figures.sh).
//
// How: the binary is linked with -Wl,--wrap=F for each OpenSSL function F our code calls
// (agent/CMakeLists.txt), so the calls in swim/encryption.cpp and agent/keyring_file.cpp
// reach __wrap_F in agent/crypto_wrap.cpp (linked into the binary only), which calls F
// through the table below, resolved by dlopen("libcrypto.so.3") on the first call. Other
// programs that link the agent library (the tests) call OpenSSL directly. The code is still
// OpenSSL's; nothing is reimplemented.

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <string>

namespace agent {

/// The OpenSSL functions our code calls, resolved from the loaded library.
struct crypto_api {
  decltype(&::EVP_CIPHER_CTX_new) cipher_ctx_new = nullptr;
  decltype(&::EVP_CIPHER_CTX_free) cipher_ctx_free = nullptr;
  decltype(&::EVP_CIPHER_CTX_ctrl) cipher_ctx_ctrl = nullptr;
  decltype(&::EVP_aes_128_gcm) aes_128_gcm = nullptr;
  decltype(&::EVP_aes_192_gcm) aes_192_gcm = nullptr;
  decltype(&::EVP_aes_256_gcm) aes_256_gcm = nullptr;
  decltype(&::EVP_EncryptInit_ex) encrypt_init = nullptr;
  decltype(&::EVP_EncryptUpdate) encrypt_update = nullptr;
  decltype(&::EVP_EncryptFinal_ex) encrypt_final = nullptr;
  decltype(&::EVP_DecryptInit_ex) decrypt_init = nullptr;
  decltype(&::EVP_DecryptUpdate) decrypt_update = nullptr;
  decltype(&::EVP_DecryptFinal_ex) decrypt_final = nullptr;
  decltype(&::EVP_EncodeBlock) encode_block = nullptr;
  decltype(&::EVP_DecodeBlock) decode_block = nullptr;
  decltype(&::RAND_bytes) rand_bytes = nullptr;
};

/// The soname loaded: the Debian package libssl3 ships it.
inline constexpr const char* crypto_soname = "libcrypto.so.3";

/// Opens `soname` (dlopen, never closed) and resolves the table: nullptr and `error` (naming
/// the package libssl3) when it cannot. Every call opens again: for tests. Never throws.
const crypto_api* load_crypto_library(const char* soname, std::string& error);

/// The process's libcrypto: loaded on the first call (thread-safe), nullptr when it cannot
/// be (crypto_load_error() says why). Never throws.
const crypto_api* crypto_library();

/// Empty when libcrypto is loaded (loading it now), else why not. Start-up calls it when
/// encryption is configured, so a missing library is a clear error there, not a failed call.
std::string crypto_load_error();

}  // namespace agent
