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

/// Packs codes least-significant-bit first.
class bit_writer {
 public:
  explicit bit_writer(bytes& out) : out_(out) {}

  void put(std::uint32_t code, unsigned width) {
    acc_ |= code << n_bits_;
    n_bits_ += width;
    while (n_bits_ >= 8) {
      out_.push_back(static_cast<std::uint8_t>(acc_));
      acc_ >>= 8;
      n_bits_ -= 8;
    }
  }

  /// Write out a final partial byte, zero-padded.
  void flush() {
    if (n_bits_ > 0) {
      out_.push_back(static_cast<std::uint8_t>(acc_));
      acc_ = 0;
      n_bits_ = 0;
    }
  }

 private:
  bytes& out_;
  std::uint32_t acc_ = 0;
  unsigned n_bits_ = 0;
};

/// Maps (prefix code, next byte) to a dictionary code. Open addressing; at
/// most 4095 - 258 entries live in 8192 slots, so probes stay short. A slot
/// counts only if it carries the current generation, so clearing is O(1): one
/// table per thread serves every call without being zeroed each time (gossip
/// compresses many small packets).
class dictionary {
 public:
  static constexpr std::uint32_t size = 8192;

  void clear() {
    if (++generation_ == 0) {  // wrapped: really empty it once every 2^32 clears
      gens_.fill(0);
      generation_ = 1;
    }
  }

  /// The code for `key`, or no_code.
  std::uint32_t find(std::uint32_t key) const {
    for (std::uint32_t h = hash(key);; h = (h + 1) & (size - 1)) {
      if (gens_[h] != generation_) return no_code;
      const std::uint32_t s = slots_[h];
      if ((s >> 12) == key) return s & max_code;
    }
  }

  void insert(std::uint32_t key, std::uint32_t code) {
    std::uint32_t h = hash(key);
    while (gens_[h] == generation_) h = (h + 1) & (size - 1);
    gens_[h] = generation_;
    slots_[h] = (key << 12) | code;
  }

 private:
  static std::uint32_t hash(std::uint32_t key) { return ((key >> 12) ^ key) & (size - 1); }
  std::array<std::uint32_t, size> slots_{};
  std::array<std::uint32_t, size> gens_{};
  std::uint32_t generation_ = 1;
};

}  // namespace

bytes compress(byte_view input) {
  bytes out;
  out.reserve(input.size() / 2 + 8);
  bit_writer bits(out);
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
