#pragma once
// A member as the node knows it.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "swim/address.hpp"
#include "swim/bytes.hpp"
#include "swim/messages.hpp"
#include "swim/time.hpp"

namespace swim {

/// One entry of the member table (memberlist: Node + nodeState).
struct member {
  std::string name;
  address addr;                       ///< gossip address (IP + port)
  bytes meta;                         ///< node meta (Serf tags)
  std::array<std::uint8_t, 6> vsn{};  ///< [PMin, PMax, PCur, DMin, DMax, DCur]
  std::uint32_t incarnation = 0;
  member_state state = member_state::alive;
  time_point state_change{};          ///< when `state` last changed

  std::uint8_t pmax() const { return vsn[1]; }
};

/// "alive", "suspect", "dead", "left".
std::string_view to_string(member_state s);

}  // namespace swim
