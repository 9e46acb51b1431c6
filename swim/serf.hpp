#pragma once
// The few Serf messages a memberlist-level node sends so that Serf agents show
// it correctly (docs/wire.md §9.3-§9.4). They travel as memberlist user
// messages: 0x08 | serfType | msgpack body.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "swim/bytes.hpp"

namespace swim::serf {

/// Serf message types. WARNING: the values are the protocol (serf messages.go).
enum class message_type : std::uint8_t {
  leave = 0,
  join = 1,
  push_pull = 2,
  user_event = 3,
  query = 4,
  query_response = 5,
  conflict_response = 6,
  key_request = 7,
  key_response = 8,
  relay = 9,
};

/// A join or leave intent.
struct intent {
  message_type type = message_type::join;  ///< join or leave
  std::uint64_t ltime = 0;                 ///< LTime (Lamport time)
  std::string node;                        ///< Node
  bool prune = false;                      ///< Prune (leave only)
};

/// A complete memberlist user message (0x08 | serfType | body) for a join or leave intent.
bytes encode_intent(const intent& i);

/// Decode the payload of a memberlist user message (serfType | body) if it is a join or
/// leave intent; nullopt for other Serf messages or malformed input.
std::optional<intent> decode_intent(byte_view user_payload);

}  // namespace swim::serf
