// libcrypto loaded at run time (agent/crypto_library.hpp): the error of a library that is
// missing or is not libcrypto, and the real libcrypto.so.3 resolved and used.

#include "agent/crypto_library.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace agent;

TEST_CASE("crypto_library: a missing library is an error naming it and the package") {
  std::string err;
  CHECK(load_crypto_library("libcrypto-not-installed.so.3", err) == nullptr);
  CHECK(err.find("cannot load libcrypto-not-installed.so.3") != std::string::npos);
  CHECK(err.find("install the Debian package libssl3") != std::string::npos);
}

TEST_CASE("crypto_library: a library without OpenSSL's functions is refused") {
  std::string err;
  CHECK(load_crypto_library("libm.so.6", err) == nullptr);
  CHECK(err.find("libm.so.6 is not OpenSSL 3's libcrypto (it has no EVP_CIPHER_CTX_new)") !=
        std::string::npos);
}

TEST_CASE("crypto_library: libcrypto.so.3 resolves every function; base64 and AES-GCM through it") {
  CHECK(crypto_load_error().empty());
  const crypto_api* c = crypto_library();
  REQUIRE(c != nullptr);
  CHECK(crypto_library() == c);  // loaded once

  unsigned char b64[9] = {};
  const unsigned char raw[] = {'c', 'a', 'c', 'h', 'e'};
  CHECK(c->encode_block(b64, raw, 5) == 8);
  CHECK(std::string(reinterpret_cast<char*>(b64)) == "Y2FjaGU=");

  // NIST GCM test case 2 (AES-128, zero key and IV, one zero block).
  const unsigned char key[16] = {}, iv[12] = {}, plain[16] = {};
  unsigned char out[16] = {}, tag[16] = {};
  int len = 0;
  EVP_CIPHER_CTX* ctx = c->cipher_ctx_new();
  REQUIRE(ctx != nullptr);
  CHECK(c->encrypt_init(ctx, c->aes_128_gcm(), nullptr, key, iv) == 1);
  CHECK(c->encrypt_update(ctx, out, &len, plain, 16) == 1);
  CHECK(c->encrypt_final(ctx, out + len, &len) == 1);
  CHECK(c->cipher_ctx_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
  c->cipher_ctx_free(ctx);
  CHECK(out[0] == 0x03);
  CHECK(out[15] == 0x78);  // 0388dace60b6a392f328c2b971b2fe78
  CHECK(tag[0] == 0xab);
  CHECK(tag[15] == 0xdf);  // ab6e47d42cec13bdf53a67b21257bddf
  unsigned char rnd[32] = {};
  CHECK(c->rand_bytes(rnd, 32) == 1);
}
