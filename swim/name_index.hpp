#pragma once
// An index of objects by a name each object holds itself: an open-addressing table of
// pointers (linear probing, backward-shift deletion) with one byte of the hash beside each
// slot, so a probe compares names only when that byte matches.
//
// A member table indexes every member by name, and a simulator holds N tables of N members:
// a node-based std::unordered_map<std::string_view, T*> costs about 56 bytes per member (a
// 48-byte node and a bucket), this table 9 bytes per slot at a load of 3/8 to 3/4
// (docs/simulator.md, "Memory").

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace swim {

/// Objects of type T by the name `KeyOf(const T&)` returns. The name must not change while
/// the object is indexed (erase it first). Holds pointers; owns nothing.
template <class T, std::string_view (*KeyOf)(const T&)>
class name_index {
 public:
  /// The object named `name`, or null.
  T* find(std::string_view name) const {
    if (size_ == 0) return nullptr;
    return slots_[slot_of(name, hash(name))];  // null when the slot is empty
  }

  /// Index `obj` under its name. Returns false (and changes nothing) if that name is taken.
  bool insert(T* obj) {
    if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.empty() ? 8 : slots_.size() * 2);
    const std::string_view name = KeyOf(*obj);
    const std::size_t h = hash(name);
    const std::size_t i = slot_of(name, h);
    if (tags_[i] != 0) return false;
    slots_[i] = obj;
    tags_[i] = tag_of(h);
    ++size_;
    return true;
  }

  /// Remove the object named `name`. Returns whether one was indexed.
  bool erase(std::string_view name) {
    if (size_ == 0) return false;
    std::size_t i = slot_of(name, hash(name));
    if (tags_[i] == 0) return false;
    // Backward shift: move later members of the probe run into the hole when their home slot
    // does not lie after it, so that no run is ever broken by an empty slot.
    for (std::size_t j = (i + 1) & mask_; tags_[j] != 0; j = (j + 1) & mask_) {
      const std::size_t home = hash(KeyOf(*slots_[j])) & mask_;
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        tags_[i] = tags_[j];
        i = j;
      }
    }
    slots_[i] = nullptr;
    tags_[i] = 0;
    --size_;
    if (slots_.size() > 8 && size_ * 8 < slots_.size()) rehash(slots_.size() / 2);
    return true;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// Slots allocated (for memory accounting): the table grows at a load of 3/4 and shrinks
  /// below 1/8.
  std::size_t capacity() const { return slots_.size(); }

  void clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    tags_.clear();
    tags_.shrink_to_fit();
    size_ = 0;
    mask_ = 0;
  }

 private:
  static std::size_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  // 1..128 from the top bits (the slot comes from the low ones); 0 marks an empty slot.
  static std::uint8_t tag_of(std::size_t h) {
    return static_cast<std::uint8_t>((h >> (8 * sizeof(std::size_t) - 7)) + 1);
  }

  /// The slot holding `name` (hash `h`), or the empty slot where its probe run ends. The
  /// table is never full (load at most 3/4), so the walk always stops.
  std::size_t slot_of(std::string_view name, std::size_t h) const {
    const std::uint8_t t = tag_of(h);
    std::size_t i = h & mask_;
    while (tags_[i] != 0 && !(tags_[i] == t && KeyOf(*slots_[i]) == name)) i = (i + 1) & mask_;
    return i;
  }

  void rehash(std::size_t n) {
    n = std::bit_ceil(n);
    std::vector<T*> old_slots(n, nullptr);
    std::vector<std::uint8_t> old_tags(n, 0);
    old_slots.swap(slots_);
    old_tags.swap(tags_);
    mask_ = n - 1;
    for (std::size_t k = 0; k < old_slots.size(); ++k) {
      if (old_tags[k] == 0) continue;
      std::size_t i = hash(KeyOf(*old_slots[k])) & mask_;
      while (tags_[i] != 0) i = (i + 1) & mask_;
      slots_[i] = old_slots[k];
      tags_[i] = old_tags[k];
    }
  }

  std::vector<T*> slots_;
  std::vector<std::uint8_t> tags_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace swim
