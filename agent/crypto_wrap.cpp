// The cachecluster binary's OpenSSL calls (-Wl,--wrap=F, agent/CMakeLists.txt): each
// __wrap_F calls F in the libcrypto loaded on first use (agent/crypto_library.hpp). Linked
// into the binary only. Should the library be missing, each returns OpenSSL's own failure
// value (nullptr, 0 or -1), which the callers already handle; start-up checks
// crypto_load_error() first when encryption is configured.

#include "agent/crypto_library.hpp"

using agent::crypto_library;

extern "C" {

EVP_CIPHER_CTX* __wrap_EVP_CIPHER_CTX_new() {
  const auto* c = crypto_library();
  return c != nullptr ? c->cipher_ctx_new() : nullptr;
}

void __wrap_EVP_CIPHER_CTX_free(EVP_CIPHER_CTX* ctx) {
  if (const auto* c = crypto_library()) c->cipher_ctx_free(ctx);
}

int __wrap_EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX* ctx, int type, int arg, void* ptr) {
  const auto* c = crypto_library();
  return c != nullptr ? c->cipher_ctx_ctrl(ctx, type, arg, ptr) : 0;
}

const EVP_CIPHER* __wrap_EVP_aes_128_gcm() {
  const auto* c = crypto_library();
  return c != nullptr ? c->aes_128_gcm() : nullptr;
}

const EVP_CIPHER* __wrap_EVP_aes_192_gcm() {
  const auto* c = crypto_library();
  return c != nullptr ? c->aes_192_gcm() : nullptr;
}

const EVP_CIPHER* __wrap_EVP_aes_256_gcm() {
  const auto* c = crypto_library();
  return c != nullptr ? c->aes_256_gcm() : nullptr;
}

int __wrap_EVP_EncryptInit_ex(EVP_CIPHER_CTX* ctx, const EVP_CIPHER* cipher, ENGINE* impl,
                              const unsigned char* key, const unsigned char* iv) {
  const auto* c = crypto_library();
  return c != nullptr ? c->encrypt_init(ctx, cipher, impl, key, iv) : 0;
}

int __wrap_EVP_EncryptUpdate(EVP_CIPHER_CTX* ctx, unsigned char* out, int* outl,
                             const unsigned char* in, int inl) {
  const auto* c = crypto_library();
  return c != nullptr ? c->encrypt_update(ctx, out, outl, in, inl) : 0;
}

int __wrap_EVP_EncryptFinal_ex(EVP_CIPHER_CTX* ctx, unsigned char* out, int* outl) {
  const auto* c = crypto_library();
  return c != nullptr ? c->encrypt_final(ctx, out, outl) : 0;
}

int __wrap_EVP_DecryptInit_ex(EVP_CIPHER_CTX* ctx, const EVP_CIPHER* cipher, ENGINE* impl,
                              const unsigned char* key, const unsigned char* iv) {
  const auto* c = crypto_library();
  return c != nullptr ? c->decrypt_init(ctx, cipher, impl, key, iv) : 0;
}

int __wrap_EVP_DecryptUpdate(EVP_CIPHER_CTX* ctx, unsigned char* out, int* outl,
                             const unsigned char* in, int inl) {
  const auto* c = crypto_library();
  return c != nullptr ? c->decrypt_update(ctx, out, outl, in, inl) : 0;
}

int __wrap_EVP_DecryptFinal_ex(EVP_CIPHER_CTX* ctx, unsigned char* out, int* outl) {
  const auto* c = crypto_library();
  return c != nullptr ? c->decrypt_final(ctx, out, outl) : 0;
}

int __wrap_EVP_EncodeBlock(unsigned char* t, const unsigned char* f, int n) {
  const auto* c = crypto_library();
  return c != nullptr ? c->encode_block(t, f, n) : 0;
}

int __wrap_EVP_DecodeBlock(unsigned char* t, const unsigned char* f, int n) {
  const auto* c = crypto_library();
  return c != nullptr ? c->decode_block(t, f, n) : -1;
}

int __wrap_RAND_bytes(unsigned char* buf, int num) {
  const auto* c = crypto_library();
  return c != nullptr ? c->rand_bytes(buf, num) : 0;
}

}  // extern "C"
