#pragma once
// Counters of the serf_queries room (agent/serf_queries.hpp), in a header of their own so that
// agent/status.hpp and /metrics need nothing else of the room.

#include <cstdint>

namespace agent {

/// What the room saw and did with Serf's user events and queries since start.
struct serf_queries_stats {
  std::uint64_t queries = 0;               ///< queries seen for the first time
  std::uint64_t queries_relayed = 0;       ///< of those, gossiped on (not flagged no-broadcast)
  std::uint64_t events = 0;                ///< user events seen for the first time
  std::uint64_t events_relayed = 0;        ///< gossiped on (every new one)
  std::uint64_t duplicates = 0;            ///< events and queries seen before
  std::uint64_t too_old = 0;               ///< older than the dedup ring: dropped, as Serf does
  std::uint64_t filtered = 0;              ///< queries whose filters leave us out
  std::uint64_t acks_sent = 0;             ///< acks sent to queriers
  std::uint64_t responses_sent = 0;        ///< key query answers
  std::uint64_t response_relays_sent = 0;  ///< copies of our acks/answers sent via other members
  std::uint64_t relays_forwarded = 0;      ///< Serf relay messages sent on to their destination
  std::uint64_t responses_received = 0;    ///< answers to our own queries
  std::uint64_t key_changes = 0;           ///< key operations applied from Serf's queries
  std::uint64_t malformed = 0;             ///< undecodable events, queries, responses, relays
  std::uint64_t queries_issued = 0;        ///< key queries this agent sent (`cachecluster keys`)
};

}  // namespace agent
