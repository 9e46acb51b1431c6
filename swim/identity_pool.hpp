#pragma once
// What a member is known by (name, address, meta, versions), held once and shared by every
// member table that knows the member the same way. A node's table holds one pointer per
// member instead of a copy; nodes driven by one thread (the simulator's thousands) can share
// one pool, so N tables of N members hold N identities, not N².

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "swim/address.hpp"
#include "swim/bytes.hpp"

namespace swim {

/// A member's name, gossip address, meta (Serf tags) and protocol versions. Immutable: a
/// change of address or meta is a new identity.
struct member_identity {
  std::string name;
  address addr;
  bytes meta;
  std::array<std::uint8_t, 6> vsn{};  ///< [PMin, PMax, PCur, DMin, DMax, DCur]

  /// The highest protocol version the member speaks (as member::pmax).
  std::uint8_t pmax() const { return vsn[1]; }
};

/// Interns identities: equal ones come back as the same shared object. Not thread-safe: share
/// one pool only among nodes driven by one thread.
class identity_pool {
 public:
  using handle = std::shared_ptr<const member_identity>;

  /// The pooled identity equal to these fields, created if none is held.
  handle intern(std::string_view name, const address& addr, const bytes& meta,
                const std::array<std::uint8_t, 6>& vsn);
  /// Identities held by at least one table.
  std::size_t size() const;

 private:
  struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  void sweep();

  // By name, every identity of that name still in use (usually one; more while a member moves).
  std::unordered_map<std::string, std::vector<std::weak_ptr<const member_identity>>, name_hash,
                     std::equal_to<>>
      by_name_;
  std::size_t interned_since_sweep_ = 0;
};

}  // namespace swim
