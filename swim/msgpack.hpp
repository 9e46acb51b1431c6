#pragma once
// A small msgpack writer and reader with go-msgpack 0.5.5's exact dialect
// (docs/wire.md §1).
//
// The writer emits what Go emits with a zero MsgpackHandle: the str family
// (fixstr, str16, str32) for both strings and byte slices, never str8 and
// never bin; nil for an empty byte slice; the smallest integer form, with
// non-negative signed values in the unsigned forms.
//
// The reader is a bounds-checked cursor that accepts everything Go's decoder
// accepts (str8, bin for byte fields, any integer width with range checks,
// bool from fixint 0/1, structs as maps in any key order or as arrays in
// declaration order). It never throws and never allocates more than the bytes
// actually present, whatever a header declares. It tells "the input ended"
// (truncated) apart from "the input is wrong" (bad), so a stream parser can
// ask for more bytes.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "swim/bytes.hpp"
#include "swim/short_bytes.hpp"

namespace swim::msgpack {

/// Appends msgpack values to a byte buffer, exactly as go-msgpack 0.5.5 encodes them.
class writer {
 public:
  /// Write into `out` (appending; existing content is kept).
  explicit writer(bytes& out) : out_(out) {}

  /// nil (c0).
  void nil();
  /// bool (c2 / c3).
  void boolean(bool v);
  /// Unsigned integer in its smallest form (fixint, cc, cd, ce, cf).
  void uint(std::uint64_t v);
  /// Signed integer: non-negative values use the unsigned forms, as Go does.
  void sint(std::int64_t v);
  /// float64 (cb + 8 bytes big-endian).
  void float64(double v);
  /// A Go string: fixstr, str16 or str32 (never str8).
  void str(std::string_view s);
  /// A Go []byte: nil when empty (Go's nil slice), else the str family (never bin).
  void byte_slice(byte_view b);
  /// A Go []byte that is non-nil but may be empty: `a0` when empty.
  void raw(byte_view b);
  /// Map header: fixmap, map16 or map32.
  void map_header(std::size_t n);
  /// Array header: fixarray, array16 or array32.
  void array_header(std::size_t n);

 private:
  void put_be(std::uint64_t v, int n);
  bytes& out_;
};

/// Result of a read. `truncated` means the input ended inside the value
/// (more bytes could make it valid); everything else is final.
enum class status : std::uint8_t {
  ok = 0,
  truncated,     ///< input ended inside the value
  bad,           ///< wrong msgpack type for the target, or invalid descriptor
  out_of_range,  ///< integer does not fit the target (negative into unsigned, overflow)
  too_deep,      ///< nesting beyond the skip depth limit
};

/// Default nesting limit when skipping unknown values.
inline constexpr std::size_t default_max_depth = 32;

/// A bounds-checked cursor over msgpack bytes. On any non-ok status the
/// position is unspecified; callers abandon the reader.
class reader {
 public:
  /// Read from `in`; the view must outlive the reader.
  explicit reader(byte_view in) : in_(in) {}
  /// Refuse temporaries: the reader would point into a destroyed buffer.
  explicit reader(bytes&&) = delete;

  /// Bytes consumed so far.
  std::size_t position() const { return pos_; }
  /// Bytes left.
  std::size_t remaining() const { return in_.size() - pos_; }
  /// The unread bytes.
  byte_view rest() const { return in_.subspan(pos_); }

  /// Map header (fixmap, map16, map32) into `n`; nil is not a map here.
  status read_map_header(std::size_t& n);
  /// Array header (fixarray, array16, array32) into `n`.
  status read_array_header(std::size_t& n);
  /// Go string: str family or nil (nil gives ""); bin is rejected, as Go does.
  status read_string(std::string& out);
  /// Like read_string, but a view into the input (no allocation); used for map keys.
  status read_string_view(std::string_view& out);
  /// Go []byte: str family, bin family, nil (empty), or an array of 0..255 integers.
  status read_bytes(bytes& out);
  /// The same into an inline buffer (an address, a version vector): no allocation when short.
  status read_bytes(short_bytes& out);
  /// Any msgpack integer into a uint64; negative values give out_of_range. nil gives 0
  /// (go-msgpack's decodeValue sets the zero value on nil; same for the int, bool and float reads).
  status read_uint64(std::uint64_t& out);
  /// Any msgpack integer into an int64; values above INT64_MAX give out_of_range.
  status read_int64(std::int64_t& out);
  /// Go bool: c2/c3, or fixint 0/1, or nil (false).
  status read_bool(bool& out);
  /// float64 (cb) or float32 (ca), or any integer (Go converts).
  status read_float64(double& out);
  /// Skip one value of any type, nested at most `max_depth` levels.
  status skip(std::size_t max_depth = default_max_depth);

  /// Any integer into an unsigned type `T`, range-checked as Go does.
  template <class T>
  status read_uint(T& out) {
    static_assert(std::is_unsigned_v<T>);
    std::uint64_t v = 0;
    status s = read_uint64(v);
    if (s != status::ok) return s;
    if (v > std::numeric_limits<T>::max()) return status::out_of_range;
    out = static_cast<T>(v);
    return status::ok;
  }

  /// Decode a Go struct whose fields are `fields` in declaration order.
  /// Accepts a map (keys in any order, exact case-sensitive match, unknown
  /// keys skipped) or an array (fields by position, extra elements skipped).
  /// `on_field(index)` reads the value of field `index` from this reader and
  /// returns a status.
  template <class F>
  status read_struct(std::span<const std::string_view> fields, F&& on_field) {
    if (remaining() == 0) return status::truncated;
    const std::uint8_t b = in_[pos_];
    const bool is_array = (b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd;
    if (b == 0xc0) {  // nil: the struct keeps its zero value
      ++pos_;
      return status::ok;
    }
    std::size_t n = 0;
    status s = is_array ? read_array_header(n) : read_map_header(n);
    if (s != status::ok) return s;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t index = fields.size();
      if (is_array) {
        index = i;
      } else {
        std::string_view key;
        s = read_string_view(key);
        if (s != status::ok) return s;
        for (std::size_t f = 0; f < fields.size(); ++f) {
          if (fields[f] == key) {
            index = f;
            break;
          }
        }
      }
      s = index < fields.size() ? on_field(index) : skip();
      if (s != status::ok) return s;
    }
    return status::ok;
  }

 private:
  template <class Out>
  status read_bytes_into(Out& out);
  status need(std::size_t n) const { return remaining() >= n ? status::ok : status::truncated; }
  std::uint64_t get_be(int n);
  std::uint64_t peek_be(std::size_t offset, int n) const;
  /// Reads a str-family header (and bin when `allow_bin`); `len` is the payload size.
  status read_raw_header(std::size_t& len, bool allow_bin, bool& is_nil);
  status read_container_header(std::uint8_t fix_mask, std::uint8_t d16, std::uint8_t d32,
                               std::size_t& n);
  status skip_depth(std::size_t depth_left);

  byte_view in_;
  std::size_t pos_ = 0;
};

}  // namespace swim::msgpack
