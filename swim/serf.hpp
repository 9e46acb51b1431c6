#pragma once
// The Serf messages a memberlist-level node speaks (docs/wire.md §9.3-§9.6):
// join and leave intents so that Serf agents show it correctly, and user
// events, queries, query responses, relays and the key-rotation payloads
// (serf/messages.go, serf/keymanager.go, serf/internal_query.go at v0.9.4) so
// that it answers, issues and relays Serf's queries. They travel as memberlist
// user messages: 0x08 | serfType | msgpack body, every struct a map with its
// keys sorted (go-msgpack 0.5.5).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

// ---- events, queries, responses, relays (docs/wire.md §9.3, §9.6) ----
//
// Unlike encode_intent, the encoders below return a memberlist user message's *payload*,
// serfType | body, as node::broadcast_user and node::send_user take it and
// delegate::on_user_message delivers it. The decoders take the same payload and return
// nullopt when its serfType is another one or the body is malformed.

/// messages.go queryFlagAck: the querier wants an ack from every member that passes the
/// filters.
inline constexpr std::uint32_t query_flag_ack = 1;
/// messages.go queryFlagNoBroadcast: the receiver must not gossip the query on.
inline constexpr std::uint32_t query_flag_no_broadcast = 2;
/// serf/internal_query.go InternalQueryPrefix: queries Serf answers itself.
inline constexpr std::string_view internal_query_prefix = "_serf_";
/// serf/internal_query.go query names, after internal_query_prefix.
inline constexpr std::string_view ping_query = "ping";
inline constexpr std::string_view install_key_query = "install-key";
inline constexpr std::string_view use_key_query = "use-key";
inline constexpr std::string_view remove_key_query = "remove-key";
inline constexpr std::string_view list_keys_query = "list-keys";
/// serf/config.go QueryResponseSizeLimit and QuerySizeLimit defaults (encoded message bytes).
inline constexpr std::size_t query_response_size_limit = 1024;
inline constexpr std::size_t query_size_limit = 1024;

/// messageUserEvent (serfType 3): `serf event NAME PAYLOAD`.
struct user_event {
  std::uint64_t ltime = 0;  ///< LTime (the event clock)
  std::string name;         ///< Name
  bytes payload;            ///< Payload (empty encodes as nil)
  bool cc = false;          ///< CC: may be coalesced
  friend bool operator==(const user_event&, const user_event&) = default;
};

/// messageQuery (serfType 4).
struct query {
  std::uint64_t ltime = 0;        ///< LTime (the query clock)
  std::uint32_t id = 0;           ///< ID, random per query
  bytes addr;                     ///< Addr: the querier's IP (4 or 16 bytes), for responses
  std::uint16_t port = 0;         ///< Port: the querier's gossip port
  std::string source_node;        ///< SourceNode: the querier's name
  std::vector<bytes> filters;     ///< Filters: filterType byte | msgpack (decode_filter)
  std::uint32_t flags = 0;        ///< Flags: query_flag_ack, query_flag_no_broadcast
  std::uint8_t relay_factor = 0;  ///< RelayFactor: extra copies of each response, via others
  std::int64_t timeout_ns = 0;    ///< Timeout (Go time.Duration, nanoseconds)
  std::string name;               ///< Name
  bytes payload;                  ///< Payload (empty encodes as nil)

  bool ack() const { return (flags & query_flag_ack) != 0; }
  bool no_broadcast() const { return (flags & query_flag_no_broadcast) != 0; }
  friend bool operator==(const query&, const query&) = default;
};

/// messageQueryResponse (serfType 5): an ack (flag 1) or a response, sent straight to the
/// querier's Addr:Port.
struct query_response {
  std::uint64_t ltime = 0;  ///< LTime of the query
  std::uint32_t id = 0;     ///< ID of the query
  std::string from;         ///< From: the responder's name
  std::uint32_t flags = 0;  ///< Flags: query_flag_ack for an ack
  bytes payload;            ///< Payload (empty encodes as nil)

  bool ack() const { return (flags & query_flag_ack) != 0; }
  friend bool operator==(const query_response&, const query_response&) = default;
};

/// A query filter (messages.go filterNode / filterTag): who must process the query.
struct node_filter {
  std::vector<std::string> nodes;  ///< only these member names
  friend bool operator==(const node_filter&, const node_filter&) = default;
};
struct tag_filter {
  std::string tag;   ///< Tag
  std::string expr;  ///< Expr: a regular expression the tag's value must match
  friend bool operator==(const tag_filter&, const tag_filter&) = default;
};
using filter = std::variant<node_filter, tag_filter>;

/// relayHeader (serfType 9): where a relaying member forwards the message after it.
struct relay_header {
  bytes dest_ip;               ///< DestAddr.IP
  std::int64_t dest_port = 0;  ///< DestAddr.Port (Go int)
  std::string dest_zone;       ///< DestAddr.Zone
  std::string dest_name;       ///< DestName
  friend bool operator==(const relay_header&, const relay_header&) = default;
};

/// A relay message taken apart: the header and the inner payload (serfType | body) to send
/// on unchanged.
struct relay {
  relay_header header;
  bytes inner;
};

/// keyRequest (serfType 7, the payload of _serf_install-key, -use-key, -remove-key and
/// -list-keys).
struct key_request {
  bytes key;  ///< Key: raw key bytes; empty (nil) for list-keys
  friend bool operator==(const key_request&, const key_request&) = default;
};

/// nodeKeyResponse (serfType 8, the payload of a response to a key query).
struct key_response {
  bool result = false;            ///< Result: the operation worked
  std::string message;            ///< Message: why not, or a note
  std::vector<std::string> keys;  ///< Keys: base64, list-keys only (empty encodes as nil)
  std::string primary_key;        ///< PrimaryKey: base64, list-keys only
  friend bool operator==(const key_response&, const key_response&) = default;
};

/// The Lamport clocks in Serf's push-pull user state (messagePushPull, serfType 2), which a
/// Serf agent sends in every push-pull; a receiver witnesses each minus one (delegate.go
/// MergeRemoteState).
struct push_pull_clocks {
  std::uint64_t ltime = 0;        ///< LTime (intents)
  std::uint64_t event_ltime = 0;  ///< EventLTime
  std::uint64_t query_ltime = 0;  ///< QueryLTime
  friend bool operator==(const push_pull_clocks&, const push_pull_clocks&) = default;
};

/// The clocks of a push-pull user state (0x02 | msgpack); the other fields are skipped.
std::optional<push_pull_clocks> decode_push_pull_clocks(byte_view user_state);

/// The serfType of a user payload, or nullopt when it is empty.
std::optional<message_type> type_of(byte_view user_payload);

bytes encode(const user_event& e);
bytes encode(const query& q);
bytes encode(const query_response& r);
/// A relay: serfType 9 | header | `inner` (a payload: serfType | body) appended as is.
bytes encode_relay(const relay_header& h, byte_view inner);
/// A key query's payload: 0x07 | {Key}.
bytes encode(const key_request& k);
/// A key query response's payload: 0x08 | {Keys, Message, PrimaryKey, Result}.
bytes encode(const key_response& k);
/// A filter as it sits in query::filters: filterType byte | msgpack.
bytes encode(const filter& f);

std::optional<user_event> decode_user_event(byte_view user_payload);
std::optional<query> decode_query(byte_view user_payload);
std::optional<query_response> decode_query_response(byte_view user_payload);
std::optional<relay> decode_relay(byte_view user_payload);
/// A key query's payload. Like Serf, the first byte is skipped unchecked.
std::optional<key_request> decode_key_request(byte_view query_payload);
/// A key response's payload; its first byte must be 8 (Serf's check).
std::optional<key_response> decode_key_response(byte_view response_payload);
/// One entry of query::filters; nullopt for an unknown filter type or a malformed body.
std::optional<filter> decode_filter(byte_view f);

}  // namespace swim::serf
