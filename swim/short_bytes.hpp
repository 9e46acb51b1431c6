#pragma once
// Bytes that are nearly always short: an IP address (4 or 16), a version vector (6). Held
// inline up to 16 bytes and on the heap only beyond, so decoding a gossiped alive allocates
// nothing for them (a member of a large cluster decodes millions during a mass join).
//
// boost::container::small_vector would do, but in Boost 1.74 its iterators are not C++20
// contiguous iterators, so a std::span (byte_view) cannot view it; this one's are pointers.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>

#include "swim/bytes.hpp"

namespace swim {

class short_bytes {
 public:
  static constexpr std::size_t inline_capacity = 16;

  short_bytes() = default;
  short_bytes(std::initializer_list<std::uint8_t> l) { assign(l.begin(), l.end()); }
  short_bytes(byte_view v) { assign(v.begin(), v.end()); }
  short_bytes(const bytes& v) { assign(v.begin(), v.end()); }
  template <std::forward_iterator It>
  short_bytes(It first, It last) {
    assign(first, last);
  }
  short_bytes(const short_bytes& o) { assign(o.begin(), o.end()); }
  short_bytes(short_bytes&& o) noexcept { take(o); }
  short_bytes& operator=(const short_bytes& o) {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }
  short_bytes& operator=(short_bytes&& o) noexcept {
    if (this != &o) take(o);
    return *this;
  }
  ~short_bytes() = default;

  /// Replace the contents with [first, last) (forward iterators over bytes).
  template <class It>
  void assign(It first, It last) {
    const auto n = static_cast<std::uint32_t>(std::distance(first, last));
    if (n > inline_capacity && n > heap_capacity_) {
      heap_ = std::make_unique_for_overwrite<std::uint8_t[]>(n);
      heap_capacity_ = n;
    }
    size_ = n;
    std::copy(first, last, data());
  }
  void clear() { size_ = 0; }

  std::uint8_t* data() { return size_ > inline_capacity ? heap_.get() : small_.data(); }
  const std::uint8_t* data() const { return size_ > inline_capacity ? heap_.get() : small_.data(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::uint8_t* begin() { return data(); }
  std::uint8_t* end() { return data() + size_; }
  const std::uint8_t* begin() const { return data(); }
  const std::uint8_t* end() const { return data() + size_; }
  std::uint8_t operator[](std::size_t i) const { return data()[i]; }
  std::uint8_t& operator[](std::size_t i) { return data()[i]; }

  /// An owned copy as the codec's usual buffer.
  bytes to_bytes() const { return bytes(begin(), end()); }

  friend bool operator==(const short_bytes& a, const short_bytes& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const short_bytes& a, byte_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const short_bytes& a, const bytes& b) { return a == byte_view(b); }

 private:
  void take(short_bytes& o) {
    size_ = o.size_;
    if (o.size_ > inline_capacity) {
      heap_ = std::move(o.heap_);
      heap_capacity_ = o.heap_capacity_;
      o.heap_capacity_ = 0;
    } else {
      small_ = o.small_;
    }
    o.size_ = 0;
  }

  std::array<std::uint8_t, inline_capacity> small_{};
  std::uint32_t size_ = 0;          // the codec's limits keep any field far below 4 GiB
  std::uint32_t heap_capacity_ = 0;
  std::unique_ptr<std::uint8_t[]> heap_;  // holds the bytes while size_ > inline_capacity
};

}  // namespace swim
