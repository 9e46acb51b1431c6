#include "swim/lzw.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

// Go compress/lzw, order LSB, literal width 8 (docs/wire.md §5.4).
//
// Both sides track `hi`, the code the next dictionary entry would take, and
// `overflow`, the first value that no longer fits the current width. The writer
// and the reader advance `hi` once per emitted/received data code, so they stay
// in step without any explicit signalling:
//   * after a code, hi += 1; when hi reaches overflow the width grows (9..12);
//   * the writer never lets hi reach 4095: right after the code that would
//     make it 4095 it emits a clear code, still at 12 bits, and starts over;
//   * the reader caps at 4095 instead of resetting (a stream that never clears
//     keeps decoding with the dictionary frozen), exactly as Go's reader does.

namespace swim::lzw {

namespace {

constexpr std::uint32_t clear_code = 256;
constexpr std::uint32_t eof_code = 257;
constexpr unsigned min_width = 9;
constexpr unsigned max_width = 12;
constexpr std::uint32_t max_code = (1u << max_width) - 1;  // 4095
constexpr std::uint32_t no_code = 0xFFFFFFFFu;

/// Packs codes least-significant-bit first into a buffer sized for the worst case up front
/// (at most 12 bits per code, one code per input byte plus the clear and EOF codes), so the
/// hot loop writes through a pointer instead of growing a vector byte by byte.
class bit_writer {
 public:
  bit_writer(bytes& out, std::size_t max_codes) : out_(out) {
    out_.resize(max_codes * max_width / 8 + 8);
    p_ = out_.data();
  }

  void put(std::uint32_t code, unsigned width) {
    acc_ |= static_cast<std::uint64_t>(code) << n_bits_;
    n_bits_ += width;
    if (n_bits_ >= 32) {  // keep at most 31 bits pending
      for (int i = 0; i < 4; ++i) *p_++ = static_cast<std::uint8_t>(acc_ >> (8 * i));
      acc_ >>= 32;
      n_bits_ -= 32;
    }
  }

  /// Write out what is pending, the last byte zero-padded, and trim the buffer.
  void flush() {
    while (n_bits_ > 0) {
      *p_++ = static_cast<std::uint8_t>(acc_);
      acc_ >>= 8;
      n_bits_ = n_bits_ > 8 ? n_bits_ - 8 : 0;
    }
    out_.resize(static_cast<std::size_t>(p_ - out_.data()));
  }

 private:
  bytes& out_;
  std::uint8_t* p_ = nullptr;
  std::uint64_t acc_ = 0;
  unsigned n_bits_ = 0;
};

/// Maps (prefix code, next byte) to a dictionary code. Open addressing; at
/// most 4095 - 258 entries live in 8192 slots, so probes stay short. A slot
/// counts only if it carries the current generation, so clearing is O(1): one
/// table per thread serves every call without being zeroed each time (gossip
/// compresses many small packets). A slot is one word, generation above the
/// 20-bit key and 12-bit code, so a probe is one load.
class dictionary {
 public:
  static constexpr std::uint32_t size = 8192;

  void clear() {
    if (++generation_ == 0) {  // wrapped: really empty it once every 2^32 clears
      slots_.fill(0);
      generation_ = 1;
    }
  }

  /// The code for `key`, or no_code.
  std::uint32_t find(std::uint32_t key) const {
    const std::uint64_t want = tag(key);
    for (std::uint32_t h = hash(key);; h = (h + 1) & (size - 1)) {
      const std::uint64_t s = slots_[h];
      if ((s >> 32) != generation_) return no_code;
      if ((s & ~std::uint64_t{max_code}) == want) return static_cast<std::uint32_t>(s) & max_code;
    }
  }

  void insert(std::uint32_t key, std::uint32_t code) {
    std::uint32_t h = hash(key);
    while ((slots_[h] >> 32) == generation_) h = (h + 1) & (size - 1);
    slots_[h] = tag(key) | code;
  }

 private:
  static std::uint32_t hash(std::uint32_t key) { return ((key >> 12) ^ key) & (size - 1); }
  std::uint64_t tag(std::uint32_t key) const {
    return std::uint64_t{generation_} << 32 | std::uint64_t{key} << 12;
  }
  std::array<std::uint64_t, size> slots_{};
  std::uint32_t generation_ = 1;
};

}  // namespace

bytes compress(byte_view input) {
  bytes out;
  // Codes: the leading clear, at most one per input byte, a clear each time the table
  // fills (every >= 3,837 codes) and EOF.
  bit_writer bits(out, input.size() + input.size() / 1024 + 4);
  thread_local auto dict = std::make_unique<dictionary>();
  dict->clear();

  unsigned width = min_width;
  std::uint32_t hi = eof_code;
  std::uint32_t overflow = 1u << min_width;

  // Go >= 1.17 (and so the 1.19 writer serf was built with) starts with a clear
  // code, as the GIF spec asks; captured payloads all begin with it.
  bits.put(clear_code, width);

  // Called after every data code: returns true when the code space ran out and
  // the writer reset (the pending string then starts a fresh dictionary).
  const auto advance = [&]() {
    ++hi;
    if (hi == overflow) {
      ++width;
      overflow <<= 1;
    }
    if (hi == max_code) {
      bits.put(clear_code, width);
      width = min_width;
      hi = eof_code;
      overflow = 1u << min_width;
      dict->clear();
      return true;
    }
    return false;
  };

  if (!input.empty()) {
    std::uint32_t code = input[0];
    for (std::size_t i = 1; i < input.size(); ++i) {
      const std::uint32_t key = (code << 8) | input[i];
      if (const std::uint32_t hit = dict->find(key); hit != no_code) {
        code = hit;
        continue;
      }
      bits.put(code, width);
      code = input[i];
      if (advance()) continue;
      dict->insert(key, hi);
    }
    bits.put(code, width);
    advance();
  }

  bits.put(eof_code, width);
  bits.flush();
  return out;
}

std::optional<bytes> decompress(byte_view input, std::size_t max_output) {
  // One entry per code: the code it extends, its last byte, its first byte and
  // its expansion length (0 = not defined yet; literals are implicit).
  struct table {
    std::array<std::uint16_t, max_code + 1> prefix{};
    std::array<std::uint8_t, max_code + 1> suffix{};
    std::array<std::uint8_t, max_code + 1> first{};
    std::array<std::uint16_t, max_code + 1> length{};
  };
  // One table per thread, reused: codes above `hi` are never read (a larger code is
  // rejected, code == hi is the KwKwK case), so only the lengths this call defined
  // need resetting, which the guard does on every return path.
  thread_local auto tables = std::make_unique<table>();
  table* const t = tables.get();
  std::uint32_t high_water = eof_code;
  struct reset_lengths {
    table& tab;
    std::uint32_t& top;
    ~reset_lengths() {
      std::fill(tab.length.begin() + clear_code, tab.length.begin() + top + 1, std::uint16_t{0});
    }
  } guard{*t, high_water};
  const auto first_of = [&t](std::uint32_t code) {
    return code < clear_code ? static_cast<std::uint8_t>(code) : t->first[code];
  };
  const auto define = [&](std::uint32_t code, std::uint32_t prev, std::uint8_t last_byte) {
    if (code > high_water) high_water = code;
    t->prefix[code] = static_cast<std::uint16_t>(prev);
    t->suffix[code] = last_byte;
    t->first[code] = first_of(prev);
    t->length[code] =
        static_cast<std::uint16_t>((prev < clear_code ? 1 : t->length[prev]) + 1);
  };

  bytes out;
  // Gossip and push-pull payloads inflate about threefold; reserving four times the input
  // up front (never beyond the cap) spares the regrowth copies.
  out.reserve(std::min(max_output, input.size() * 4));
  std::size_t pos = 0;
  std::uint32_t acc = 0;
  unsigned n_bits = 0;

  unsigned width = min_width;
  std::uint32_t hi = eof_code;
  std::uint32_t overflow = 1u << min_width;
  std::uint32_t last = no_code;

  for (;;) {
    while (n_bits < width) {
      // Running out of input before the EOF code is an error, as in Go.
      if (pos == input.size()) return std::nullopt;
      acc |= static_cast<std::uint32_t>(input[pos++]) << n_bits;
      n_bits += 8;
    }
    const std::uint32_t code = acc & ((1u << width) - 1);
    acc >>= width;
    n_bits -= width;

    if (code == clear_code) {
      width = min_width;
      hi = eof_code;
      overflow = 1u << min_width;
      last = no_code;
      continue;
    }
    if (code == eof_code) return out;  // trailing bytes are ignored, as in Go

    if (code < clear_code) {
      if (out.size() >= max_output) return std::nullopt;
      out.push_back(static_cast<std::uint8_t>(code));
      if (last != no_code) define(hi, last, static_cast<std::uint8_t>(code));
    } else {
      if (code > hi) return std::nullopt;
      if (code == hi && last != no_code) {
        // KwKwK: the code being defined right now is last's string plus its
        // own first byte.
        define(hi, last, first_of(last));
      } else if (t->length[code] == 0) {
        return std::nullopt;  // never defined since the last clear
      } else if (last != no_code) {
        define(hi, last, first_of(code));
      }
      const std::size_t n = t->length[code];
      if (n > max_output - out.size()) return std::nullopt;
      out.resize(out.size() + n);
      std::size_t i = out.size();
      std::uint32_t c = code;
      while (c >= clear_code) {
        out[--i] = t->suffix[c];
        c = t->prefix[c];
      }
      out[--i] = static_cast<std::uint8_t>(c);
    }

    last = code;
    ++hi;
    if (hi >= overflow) {
      if (width == max_width) {
        // Out of codes without a clear: keep decoding, add nothing more.
        last = no_code;
        --hi;
      } else {
        ++width;
        overflow <<= 1;
      }
    }
  }
}

}  // namespace swim::lzw
