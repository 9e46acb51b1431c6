#include "swim/msgpack.hpp"

#include <bit>
#include <cstring>

namespace swim::msgpack {

namespace {

// msgpack descriptor bytes (the subset go-msgpack 0.5.5 knows).
constexpr std::uint8_t nil_byte = 0xc0;
constexpr std::uint8_t false_byte = 0xc2;
constexpr std::uint8_t true_byte = 0xc3;
constexpr std::uint8_t bin8 = 0xc4;
constexpr std::uint8_t bin16 = 0xc5;
constexpr std::uint8_t bin32 = 0xc6;
constexpr std::uint8_t ext8 = 0xc7;
constexpr std::uint8_t ext16 = 0xc8;
constexpr std::uint8_t ext32 = 0xc9;
constexpr std::uint8_t float32 = 0xca;
constexpr std::uint8_t float64_byte = 0xcb;
constexpr std::uint8_t uint8 = 0xcc;
constexpr std::uint8_t uint16 = 0xcd;
constexpr std::uint8_t uint32 = 0xce;
constexpr std::uint8_t uint64 = 0xcf;
constexpr std::uint8_t int8 = 0xd0;
constexpr std::uint8_t int16 = 0xd1;
constexpr std::uint8_t int32 = 0xd2;
constexpr std::uint8_t int64 = 0xd3;
constexpr std::uint8_t fixext1 = 0xd4;
constexpr std::uint8_t fixext16 = 0xd8;
constexpr std::uint8_t str8 = 0xd9;
constexpr std::uint8_t str16 = 0xda;
constexpr std::uint8_t str32 = 0xdb;
constexpr std::uint8_t array16 = 0xdc;
constexpr std::uint8_t array32 = 0xdd;
constexpr std::uint8_t map16 = 0xde;
constexpr std::uint8_t map32 = 0xdf;

}  // namespace

// ---- writer -----------------------------------------------------------------

void writer::put_be(std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void writer::nil() { out_.push_back(nil_byte); }

void writer::boolean(bool v) { out_.push_back(v ? true_byte : false_byte); }

void writer::uint(std::uint64_t v) {
  if (v <= 0x7f) {
    out_.push_back(static_cast<std::uint8_t>(v));
  } else if (v <= 0xff) {
    out_.push_back(uint8);
    put_be(v, 1);
  } else if (v <= 0xffff) {
    out_.push_back(uint16);
    put_be(v, 2);
  } else if (v <= 0xffffffffu) {
    out_.push_back(uint32);
    put_be(v, 4);
  } else {
    out_.push_back(uint64);
    put_be(v, 8);
  }
}

void writer::sint(std::int64_t v) {
  // go-msgpack encodeInt: non-negative values go through the unsigned path.
  if (v >= 0) {
    uint(static_cast<std::uint64_t>(v));
    return;
  }
  const auto u = static_cast<std::uint64_t>(v);
  if (v >= -32) {
    out_.push_back(static_cast<std::uint8_t>(u));
  } else if (v >= -128) {
    out_.push_back(int8);
    put_be(u, 1);
  } else if (v >= -32768) {
    out_.push_back(int16);
    put_be(u, 2);
  } else if (v >= -2147483648LL) {
    out_.push_back(int32);
    put_be(u, 4);
  } else {
    out_.push_back(int64);
    put_be(u, 8);
  }
}

void writer::float64(double v) {
  out_.push_back(float64_byte);
  put_be(std::bit_cast<std::uint64_t>(v), 8);
}

void writer::raw(byte_view b) {
  // go-msgpack with WriteExt=false writes the old "raw" type: no str8, no bin.
  const std::size_t n = b.size();
  if (n < 32) {
    out_.push_back(static_cast<std::uint8_t>(0xa0 | n));
  } else if (n <= 0xffff) {
    out_.push_back(str16);
    put_be(n, 2);
  } else {
    out_.push_back(str32);
    put_be(n, 4);
  }
  out_.insert(out_.end(), b.begin(), b.end());
}

void writer::str(std::string_view s) { raw(as_bytes(s)); }

void writer::byte_slice(byte_view b) {
  // A nil Go slice encodes as nil; our empty vector stands for Go's nil (a Go
  // decoder turns `a0` into nil too, so nothing is lost).
  if (b.empty()) {
    nil();
  } else {
    raw(b);
  }
}

void writer::map_header(std::size_t n) {
  if (n < 16) {
    out_.push_back(static_cast<std::uint8_t>(0x80 | n));
  } else if (n <= 0xffff) {
    out_.push_back(map16);
    put_be(n, 2);
  } else {
    out_.push_back(map32);
    put_be(n, 4);
  }
}

void writer::array_header(std::size_t n) {
  if (n < 16) {
    out_.push_back(static_cast<std::uint8_t>(0x90 | n));
  } else if (n <= 0xffff) {
    out_.push_back(array16);
    put_be(n, 2);
  } else {
    out_.push_back(array32);
    put_be(n, 4);
  }
}

// ---- reader -----------------------------------------------------------------

std::uint64_t reader::peek_be(std::size_t offset, int n) const {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | in_[pos_ + offset + static_cast<std::size_t>(i)];
  return v;
}

std::uint64_t reader::get_be(int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | in_[pos_++];
  return v;
}

status reader::read_container_header(std::uint8_t fix_mask, std::uint8_t d16, std::uint8_t d32,
                                     std::size_t& n) {
  if (status s = need(1); s != status::ok) return s;
  const std::uint8_t b = in_[pos_];
  if ((b & 0xf0) == fix_mask) {
    ++pos_;
    n = b & 0x0f;
    return status::ok;
  }
  int width = 0;
  if (b == d16) {
    width = 2;
  } else if (b == d32) {
    width = 4;
  } else {
    return status::bad;
  }
  if (status s = need(1 + static_cast<std::size_t>(width)); s != status::ok) return s;
  ++pos_;
  n = static_cast<std::size_t>(get_be(width));
  return status::ok;
}

status reader::read_map_header(std::size_t& n) {
  return read_container_header(0x80, map16, map32, n);
}

status reader::read_array_header(std::size_t& n) {
  return read_container_header(0x90, array16, array32, n);
}

status reader::read_raw_header(std::size_t& len, bool allow_bin, bool& is_nil) {
  if (status s = need(1); s != status::ok) return s;
  const std::uint8_t b = in_[pos_];
  is_nil = false;
  if ((b & 0xe0) == 0xa0) {
    ++pos_;
    len = b & 0x1f;
    return status::ok;
  }
  if (b == nil_byte) {
    ++pos_;
    is_nil = true;
    len = 0;
    return status::ok;
  }
  int width = 0;
  switch (b) {
    case str8:
      width = 1;
      break;
    case str16:
      width = 2;
      break;
    case str32:
      width = 4;
      break;
    case bin8:
      width = allow_bin ? 1 : 0;
      break;
    case bin16:
      width = allow_bin ? 2 : 0;
      break;
    case bin32:
      width = allow_bin ? 4 : 0;
      break;
    default:
      break;
  }
  // go-msgpack: "Unrecognized descriptor byte" for bin into a string field.
  if (width == 0) return status::bad;
  if (status s = need(1 + static_cast<std::size_t>(width)); s != status::ok) return s;
  ++pos_;
  len = static_cast<std::size_t>(get_be(width));
  return status::ok;
}

status reader::read_string_view(std::string_view& out) {
  std::size_t len = 0;
  bool is_nil = false;
  if (status s = read_raw_header(len, false, is_nil); s != status::ok) return s;
  // Checked before touching memory: a header may declare up to 4 GiB.
  if (status s = need(len); s != status::ok) return s;
  out = std::string_view(reinterpret_cast<const char*>(in_.data() + pos_), len);
  pos_ += len;
  return status::ok;
}

status reader::read_string(std::string& out) {
  std::string_view v;
  if (status s = read_string_view(v); s != status::ok) return s;
  out.assign(v);
  return status::ok;
}

template <class Out>
status reader::read_bytes_into(Out& out) {
  if (status s = need(1); s != status::ok) return s;
  const std::uint8_t b = in_[pos_];
  if ((b & 0xf0) == 0x90 || b == array16 || b == array32) {
    // go-msgpack also fills a []uint8 from an array of integers.
    std::size_t n = 0;
    if (status s = read_array_header(n); s != status::ok) return s;
    // Each element takes at least one byte, so this bounds the allocation.
    if (n > remaining()) return status::truncated;
    bytes tmp;
    tmp.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint8_t v = 0;
      if (status s = read_uint(v); s != status::ok) return s;
      tmp.push_back(v);
    }
    out.assign(tmp.begin(), tmp.end());
    return status::ok;
  }
  std::size_t len = 0;
  bool is_nil = false;
  if (status s = read_raw_header(len, true, is_nil); s != status::ok) return s;
  if (status s = need(len); s != status::ok) return s;
  out.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
             in_.begin() + static_cast<std::ptrdiff_t>(pos_ + len));
  pos_ += len;
  return status::ok;
}

status reader::read_bytes(bytes& out) { return read_bytes_into(out); }
status reader::read_bytes(short_bytes& out) { return read_bytes_into(out); }

status reader::read_uint64(std::uint64_t& out) {
  if (status s = need(1); s != status::ok) return s;
  const std::uint8_t b = in_[pos_];
  if (b == nil_byte) {  // go-msgpack decodeValue: nil sets the zero value
    ++pos_;
    out = 0;
    return status::ok;
  }
  if (b <= 0x7f) {
    ++pos_;
    out = b;
    return status::ok;
  }
  if (b >= 0xe0) return status::out_of_range;  // negative fixint into unsigned
  int width = 0;
  bool is_signed = false;
  switch (b) {
    case uint8:
      width = 1;
      break;
    case uint16:
      width = 2;
      break;
    case uint32:
      width = 4;
      break;
    case uint64:
      width = 8;
      break;
    case int8:
      width = 1;
      is_signed = true;
      break;
    case int16:
      width = 2;
      is_signed = true;
      break;
    case int32:
      width = 4;
      is_signed = true;
      break;
    case int64:
      width = 8;
      is_signed = true;
      break;
    default:
      return status::bad;
  }
  if (status s = need(1 + static_cast<std::size_t>(width)); s != status::ok) return s;
  ++pos_;
  const std::uint64_t v = get_be(width);
  // A signed encoding is fine as long as its sign bit is clear.
  if (is_signed && (v >> (8 * width - 1)) != 0) return status::out_of_range;
  out = v;
  return status::ok;
}

status reader::read_int64(std::int64_t& out) {
  if (status s = need(1); s != status::ok) return s;
  const std::uint8_t b = in_[pos_];
  if (b >= 0xe0) {
    ++pos_;
    out = static_cast<std::int8_t>(b);
    return status::ok;
  }
  int width = 0;
  switch (b) {
    case int8:
      width = 1;
      break;
    case int16:
      width = 2;
      break;
    case int32:
      width = 4;
      break;
    case int64:
      width = 8;
      break;
    default: {
      std::uint64_t u = 0;
      if (status s = read_uint64(u); s != status::ok) return s;
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return status::out_of_range;
      }
      out = static_cast<std::int64_t>(u);
      return status::ok;
    }
  }
  if (status s = need(1 + static_cast<std::size_t>(width)); s != status::ok) return s;
  ++pos_;
  const std::uint64_t v = get_be(width);
  // Sign-extend from `width` bytes.
  const int shift = 64 - 8 * width;
  out = static_cast<std::int64_t>(v << shift) >> shift;
  return status::ok;
}

status reader::read_bool(bool& out) {
  if (status s = need(1); s != status::ok) return s;
  // go-msgpack DecodeBool also takes the integers 0 and 1.
  switch (in_[pos_]) {
    case nil_byte:
    case false_byte:
    case 0x00:
      out = false;
      break;
    case true_byte:
    case 0x01:
      out = true;
      break;
    default:
      return status::bad;
  }
  ++pos_;
  return status::ok;
}

status reader::read_float64(double& out) {
  if (status s = need(1); s != status::ok) return s;
  const std::uint8_t b = in_[pos_];
  if (b == float64_byte) {
    if (status s = need(9); s != status::ok) return s;
    ++pos_;
    out = std::bit_cast<double>(get_be(8));
    return status::ok;
  }
  if (b == float32) {
    if (status s = need(5); s != status::ok) return s;
    ++pos_;
    out = std::bit_cast<float>(static_cast<std::uint32_t>(get_be(4)));
    return status::ok;
  }
  std::int64_t i = 0;
  if (status s = read_int64(i); s != status::ok) {
    if (s != status::out_of_range) return s;
    std::uint64_t u = 0;
    if (status s2 = read_uint64(u); s2 != status::ok) return s2;
    out = static_cast<double>(u);
    return status::ok;
  }
  out = static_cast<double>(i);
  return status::ok;
}

status reader::skip(std::size_t max_depth) { return skip_depth(max_depth); }

status reader::skip_depth(std::size_t depth_left) {
  if (status s = need(1); s != status::ok) return s;
  const std::uint8_t b = in_[pos_];
  // Scalars and raw bytes: compute the total size, then check it is present.
  std::size_t header = 1;
  std::size_t payload = 0;
  std::size_t items = 0;  // container elements to skip (maps count keys and values)
  bool container = false;
  if (b <= 0x7f || b >= 0xe0 || b == nil_byte || b == false_byte || b == true_byte) {
    // single byte
  } else if ((b & 0xe0) == 0xa0) {
    payload = b & 0x1f;
  } else if ((b & 0xf0) == 0x90) {
    container = true;
    items = b & 0x0f;
  } else if ((b & 0xf0) == 0x80) {
    container = true;
    items = 2 * static_cast<std::size_t>(b & 0x0f);
  } else {
    int len_width = 0;
    switch (b) {
      case uint8:
      case int8:
        payload = 1;
        break;
      case uint16:
      case int16:
        payload = 2;
        break;
      case uint32:
      case int32:
      case float32:
        payload = 4;
        break;
      case uint64:
      case int64:
      case float64_byte:
        payload = 8;
        break;
      case fixext1:
        payload = 2;
        break;  // type byte + 1
      case 0xd5:
        payload = 3;
        break;
      case 0xd6:
        payload = 5;
        break;
      case 0xd7:
        payload = 9;
        break;
      case fixext16:
        payload = 17;
        break;
      case str8:
      case bin8:
        len_width = 1;
        break;
      case str16:
      case bin16:
        len_width = 2;
        break;
      case str32:
      case bin32:
        len_width = 4;
        break;
      case ext8:
        len_width = 1;
        payload = 1;
        break;  // + type byte
      case ext16:
        len_width = 2;
        payload = 1;
        break;
      case ext32:
        len_width = 4;
        payload = 1;
        break;
      case array16:
        container = true;
        len_width = 2;
        break;
      case array32:
        container = true;
        len_width = 4;
        break;
      case map16:
        container = true;
        len_width = 2;
        break;
      case map32:
        container = true;
        len_width = 4;
        break;
      default:
        return status::bad;  // 0xc1 (never used)
    }
    if (len_width != 0) {
      if (status s = need(1 + static_cast<std::size_t>(len_width)); s != status::ok) return s;
      const auto n = static_cast<std::size_t>(peek_be(1, len_width));
      header = 1 + static_cast<std::size_t>(len_width);
      if (container) {
        items = (b == map16 || b == map32) ? 2 * n : n;
      } else {
        payload += n;
      }
    }
  }
  if (!container) {
    // need() before advancing; payload <= 4 GiB + 1 cannot overflow size_t here.
    if (status s = need(header + payload); s != status::ok) return s;
    pos_ += header + payload;
    return status::ok;
  }
  if (depth_left == 0) return status::too_deep;
  pos_ += header;
  // Every element takes at least one byte, so a huge count just runs into the
  // end of the input; no allocation depends on it.
  for (std::size_t i = 0; i < items; ++i) {
    if (status s = skip_depth(depth_left - 1); s != status::ok) return s;
  }
  return status::ok;
}

}  // namespace swim::msgpack
