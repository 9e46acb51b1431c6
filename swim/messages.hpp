#pragma once
// memberlist 0.2.2 wire messages as plain structs (no encoding here; see
// wire.hpp). Field names follow the Go structs; the comment on each field gives
// the msgpack key. Layouts: docs/wire.md §2-§3.

#include <cstdint>
#include <string>
#include <vector>

#include "swim/bytes.hpp"
#include "swim/short_bytes.hpp"

namespace swim {

/// Message type byte at the front of every message.
/// WARNING: append only. The numeric values are the protocol itself (memberlist net.go).
enum class message_type : std::uint8_t {
  ping = 0,
  indirect_ping = 1,
  ack = 2,
  suspect = 3,
  alive = 4,
  dead = 5,
  push_pull = 6,
  compound = 7,
  user = 8,
  compress = 9,
  encrypt = 10,
  nack = 11,
  has_crc = 12,
  err = 13,
  has_label = 244,  ///< memberlist >= 0.3.0 only; we detect and skip it
};

/// Member state as carried in push-pull node states (`State` int).
/// WARNING: the values are the protocol (memberlist state.go nodeStateType).
enum class member_state : std::uint8_t { alive = 0, suspect = 1, dead = 2, left = 3 };

/// memberlist: ping. Empty `source_addr`/`source_node`/0 `source_port` are omitted (omitempty).
struct ping {
  std::uint32_t seq_no = 0;      ///< SeqNo
  std::string node;              ///< Node: intended target name ("" = anyone)
  bytes source_addr;             ///< SourceAddr (4 or 16 bytes), omitempty
  std::uint16_t source_port = 0; ///< SourcePort, omitempty
  std::string source_node;       ///< SourceNode, omitempty
  friend bool operator==(const ping&, const ping&) = default;
};

/// memberlist: indirectPingReq.
struct indirect_ping_req {
  std::uint32_t seq_no = 0;      ///< SeqNo: the requester's, echoed in the relayed ack/nack
  bytes target;                  ///< Target: target IP (4 or 16 bytes)
  std::uint16_t port = 0;        ///< Port: target port
  std::string node;              ///< Node: target name
  bool nack = false;             ///< Nack: requester wants a nack on timeout
  bytes source_addr;             ///< SourceAddr, omitempty
  std::uint16_t source_port = 0; ///< SourcePort, omitempty
  std::string source_node;       ///< SourceNode, omitempty
  friend bool operator==(const indirect_ping_req&, const indirect_ping_req&) = default;
};

/// memberlist: ackResp. An empty payload encodes as nil (c0), as Go does.
struct ack_resp {
  std::uint32_t seq_no = 0;  ///< SeqNo
  bytes payload;             ///< Payload (Serf: Vivaldi coordinate; ours: empty)
  friend bool operator==(const ack_resp&, const ack_resp&) = default;
};

/// memberlist: nackResp.
struct nack_resp {
  std::uint32_t seq_no = 0;  ///< SeqNo
  friend bool operator==(const nack_resp&, const nack_resp&) = default;
};

/// memberlist: suspect.
struct suspect {
  std::uint32_t incarnation = 0;  ///< Incarnation
  std::string node;               ///< Node: the accused
  std::string from;               ///< From: the accuser
  friend bool operator==(const suspect&, const suspect&) = default;
};

/// memberlist: alive.
struct alive {
  std::uint32_t incarnation = 0;  ///< Incarnation
  std::string node;               ///< Node
  short_bytes addr;               ///< Addr (4 or 16 bytes)
  std::uint16_t port = 0;         ///< Port
  bytes meta;                     ///< Meta (<= 512 bytes; empty encodes as nil)
  short_bytes vsn;                ///< Vsn: always 6 bytes when we send
  friend bool operator==(const alive&, const alive&) = default;
};

/// memberlist: dead. `from == node` means a graceful leave.
struct dead {
  std::uint32_t incarnation = 0;  ///< Incarnation
  std::string node;               ///< Node
  std::string from;               ///< From
  friend bool operator==(const dead&, const dead&) = default;
};

/// memberlist: pushPullHeader.
struct push_pull_header {
  std::int64_t nodes = 0;           ///< Nodes: number of push_node_state that follow
  std::int64_t user_state_len = 0;  ///< UserStateLen: raw bytes after the node states
  bool join = false;                ///< Join
  friend bool operator==(const push_pull_header&, const push_pull_header&) = default;
};

/// memberlist: pushNodeState.
struct push_node_state {
  std::string name;               ///< Name
  short_bytes addr;               ///< Addr
  std::uint16_t port = 0;         ///< Port
  bytes meta;                     ///< Meta
  std::uint32_t incarnation = 0;  ///< Incarnation
  member_state state = member_state::alive;  ///< State
  short_bytes vsn;                ///< Vsn
  friend bool operator==(const push_node_state&, const push_node_state&) = default;
};

/// A whole push-pull exchange frame (type 6): header, states and user state.
struct push_pull {
  bool join = false;
  std::vector<push_node_state> states;
  bytes user_state;  ///< Serf: 0x02 + messagePushPull; ours: empty
  friend bool operator==(const push_pull&, const push_pull&) = default;
};

/// memberlist: a user message (type 8). Over UDP the payload is the raw bytes
/// after the type byte; over TCP it follows a {UserMsgLen} header.
struct user_msg {
  bytes payload;
  friend bool operator==(const user_msg&, const user_msg&) = default;
};

/// memberlist: errResp (TCP reply only).
struct err_resp {
  std::string error;  ///< Error
  friend bool operator==(const err_resp&, const err_resp&) = default;
};

/// The protocol version vector every node of ours advertises:
/// [PMin, PMax, PCur, DMin, DMax, DCur] = [1, 5, 2, 2, 5, 5], exactly as a stock serf agent.
inline short_bytes default_vsn() { return {1, 5, 2, 2, 5, 5}; }

}  // namespace swim
