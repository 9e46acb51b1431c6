#include "swim/encryption.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace swim::encryption {
namespace {

constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::size_t block = 16;

struct ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, ctx_free>;

const EVP_CIPHER* cipher_for(std::size_t key_size) {
  switch (key_size) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return nullptr;
  }
}

int to_int(std::size_t n) { return static_cast<int>(n); }

/// AES-GCM open of `ct` (without nonce and tag) with one key; nullopt if the tag does not verify.
std::optional<bytes> gcm_open(byte_view key, const std::uint8_t* iv, byte_view ct,
                              const std::uint8_t* tag, byte_view aad) {
  const EVP_CIPHER* cipher = cipher_for(key.size());
  if (cipher == nullptr) return std::nullopt;
  ctx_ptr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return std::nullopt;
  bytes out(ct.size() + block);
  int len = 0;
  int total = 0;
  if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, to_int(nonce_size), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv) != 1)
    return std::nullopt;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), to_int(aad.size())) != 1)
    return std::nullopt;
  if (!ct.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, ct.data(), to_int(ct.size())) != 1)
      return std::nullopt;
    total = len;
  }
  // The tag is only read by OpenSSL; the cast is its API's, not a write.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, to_int(tag_size),
                          const_cast<std::uint8_t*>(tag)) != 1)
    return std::nullopt;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + total, &len) != 1) return std::nullopt;
  total += len;
  out.resize(static_cast<std::size_t>(total));
  return out;
}

void put_u32(bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}

}  // namespace

nonce random_nonce() {
  nonce n{};
  if (RAND_bytes(n.data(), static_cast<int>(n.size())) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed: no randomness for a GCM nonce");
  return n;
}

bytes seal(byte_view key, byte_view plaintext, byte_view aad, const nonce& n, std::uint8_t vsn) {
  const EVP_CIPHER* cipher = cipher_for(key.size());
  if (cipher == nullptr) throw std::invalid_argument("gossip key must be 16, 24 or 32 bytes");
  bytes padded;
  if (vsn == 0) {  // PKCS#7 to the block size
    const std::size_t pad = block - plaintext.size() % block;
    padded.assign(plaintext.begin(), plaintext.end());
    padded.insert(padded.end(), pad, static_cast<std::uint8_t>(pad));
    plaintext = padded;
  }
  bytes out(1 + nonce_size + plaintext.size() + tag_size);
  out[0] = vsn;
  std::copy(n.begin(), n.end(), out.begin() + 1);
  ctx_ptr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, to_int(nonce_size), nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), n.data()) == 1;
  if (ok && !aad.empty())
    ok = EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), to_int(aad.size())) == 1;
  std::uint8_t* ct = out.data() + 1 + nonce_size;
  if (ok && !plaintext.empty())
    ok = EVP_EncryptUpdate(ctx.get(), ct, &len, plaintext.data(), to_int(plaintext.size())) == 1;
  if (ok) ok = EVP_EncryptFinal_ex(ctx.get(), ct + plaintext.size(), &len) == 1;
  if (ok)
    ok = EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, to_int(tag_size),
                             ct + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("OpenSSL AES-GCM encryption failed");
  return out;
}

std::optional<bytes> open(const keyring& ring, byte_view sealed, byte_view aad, wire::error* why) {
  auto fail = [&](wire::error e) -> std::optional<bytes> {
    if (why) *why = e;
    return std::nullopt;
  };
  if (sealed.size() < overhead) return fail(wire::error::truncated);
  const std::uint8_t vsn = sealed[0];
  if (vsn > 1) return fail(wire::error::bad_field);
  if (vsn == 0 && (sealed.size() - overhead) % block != 0) return fail(wire::error::bad_field);
  const std::uint8_t* iv = sealed.data() + 1;
  byte_view ct = sealed.subspan(1 + nonce_size, sealed.size() - overhead);
  const std::uint8_t* tag = sealed.data() + sealed.size() - tag_size;
  for (const auto& key : ring.keys()) {
    auto plain = gcm_open(key, iv, ct, tag, aad);
    if (!plain) continue;
    if (vsn == 0) {  // strip PKCS#7
      if (plain->empty()) return fail(wire::error::bad_field);
      const std::size_t pad = plain->back();
      if (pad == 0 || pad > block || pad > plain->size()) return fail(wire::error::bad_field);
      plain->resize(plain->size() - pad);
    }
    return plain;
  }
  return fail(wire::error::decrypt_failed);
}

bytes seal_packet(const keyring& ring, byte_view datagram, const nonce& n) {
  return seal(ring.primary(), datagram, {}, n);
}

bytes seal_stream(const keyring& ring, byte_view frame, const nonce& n) {
  bytes header(stream_header);
  header[0] = stream_type;
  put_u32(header, 1, static_cast<std::uint32_t>(frame.size() + overhead));
  bytes sealed = seal(ring.primary(), frame, header, n);
  header.insert(header.end(), sealed.begin(), sealed.end());
  return header;
}

stream_open open_stream(const keyring& ring, byte_view data, std::size_t max_frame) {
  stream_open r;
  if (data.size() < stream_header) return r;  // indeterminate
  const std::size_t len = (std::size_t{data[1]} << 24) | (std::size_t{data[2]} << 16) |
                          (std::size_t{data[3]} << 8) | std::size_t{data[4]};
  if (len > max_frame) {
    r.status = wire::parse_status::bad;
    r.err = wire::error::too_large;
    return r;
  }
  if (data.size() < stream_header + len) return r;
  auto plain = open(ring, data.subspan(stream_header, len), data.first(stream_header), &r.err);
  if (!plain) {
    r.status = wire::parse_status::bad;
    return r;
  }
  r.status = wire::parse_status::good;
  r.consumed = stream_header + len;
  r.frame = std::move(*plain);
  return r;
}

}  // namespace swim::encryption
