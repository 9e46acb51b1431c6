#pragma once
// Encoding and decoding of memberlist 0.2.2 packets and stream frames.
//
// Encoding emits exactly what Go's go-msgpack 0.5.5 emits (sorted struct keys,
// str family for string and []byte, never str8 or bin, nil for empty byte
// slices, smallest integer forms), so captured vectors re-encode byte for byte.
// Decoding accepts everything Go's decoder accepts. Decoders never throw:
// network input is untrusted, and every failure is an `error` value that the
// node counts.
//
// UDP datagram layering, outermost first (docs/wire.md §5.1):
//
//   [0xF4 len label]  (memberlist >= 0.3.0 label: skipped)
//     [0x0C crc32-BE] (hasCrc: verified when present)
//       [0x09 compress{Algo,Buf}]  (LZW, inflates to a full message)
//         [0x07 n len16*n msgs] (compound: each part a full message) | message
//
// Stream frames (TCP, no length prefix; docs/wire.md §6.1): `type | msgpack body [| raw bytes]`,
// or `0x09 compress{...}` wrapping such a frame.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "swim/bytes.hpp"
#include "swim/messages.hpp"

namespace swim::wire {

/// Why a packet, a part of it, or a stream frame was rejected.
/// Each value is a drop reason the node counts (and the agent exports).
enum class error : std::uint8_t {
  ok = 0,
  empty,          ///< zero-length input
  truncated,      ///< input ended inside a message or frame
  bad_msgpack,    ///< not valid msgpack, or the wrong msgpack type for a field
  bad_field,      ///< a field value out of range (e.g. port > 65535, address not 4/16 bytes)
  unknown_type,   ///< message type byte not handled in this position
  bad_crc,        ///< CRC-32 mismatch
  bad_compress,   ///< unknown algorithm or invalid LZW stream
  too_deep,       ///< compound/compress nesting beyond the limit
  too_large,      ///< a declared length beyond the configured limit
  bad_label,      ///< malformed label header
  encrypted,      ///< an encrypted packet/frame; encryption is not configured
  decrypt_failed, ///< encrypted, but no installed key opened it
  not_encrypted,  ///< plaintext while encryption is required (verify_incoming)
  count_          ///< number of reasons (keep last)
};

/// A stable snake_case name for metrics and logs, e.g. "bad_crc".
std::string_view to_string(error e);

// ---- single messages: type byte + msgpack body --------------------------------

bytes encode(const ping& m);
bytes encode(const indirect_ping_req& m);
bytes encode(const ack_resp& m);
bytes encode(const nack_resp& m);
bytes encode(const suspect& m);
bytes encode(const alive& m);
bytes encode(const dead& m);
bytes encode(const err_resp& m);
/// UDP user message: 0x08 followed by the raw payload.
bytes encode(const user_msg& m);

// ---- framing ----------------------------------------------------------------

/// Compound (type 7) of complete messages; the caller keeps parts <= 255 and each <= 65535 bytes.
bytes make_compound(const std::vector<bytes>& parts);
/// Prefix a message with the hasCrc header (type 12, CRC-32/IEEE big-endian).
bytes add_crc(byte_view message);
/// Wrap a complete message (or stream frame) as compress{Algo: 0, Buf: LZW(message)}.
bytes compress(byte_view message);

// ---- UDP ----------------------------------------------------------------------

/// One message found in a datagram, after all framing has been removed.
using packet_message =
    std::variant<ping, indirect_ping_req, ack_resp, nack_resp, suspect, alive, dead, user_msg>;

/// Everything decoded from one datagram. A bad part does not discard good parts
/// (memberlist processes the parts of a compound that precede a truncated one).
struct unpacked {
  std::vector<packet_message> messages;
  std::vector<error> errors;  ///< one entry per rejected part (empty when all is well)
  bool had_crc = false;       ///< the datagram carried a (valid) CRC header
  bool had_label = false;     ///< the datagram carried a memberlist >= 0.3 label
};

/// Limits for decoding untrusted input.
struct limits {
  std::size_t max_depth = 4;                     ///< compound/compress nesting
  std::size_t max_inflated = 4u << 20;           ///< per LZW payload
  /// Inflated bytes of one datagram, summed over all its compressed parts (nested ones too):
  /// a compound of many small bombs must not multiply max_inflated (docs/wire.md §4).
  std::size_t max_inflated_total = 4u << 20;
  std::size_t max_stream_frame = 20u << 20;      ///< memberlist maxPushStateBytes
  std::size_t max_push_nodes = 1u << 20;         ///< memberlist 0.6 limit on Nodes
};

/// Decode one UDP datagram. Never throws; every rejected part is listed in `errors`.
unpacked unpack_packet(byte_view datagram, const limits& lim = {});

// ---- TCP streams --------------------------------------------------------------

/// A complete request or reply read from a stream.
using stream_message = std::variant<ping, ack_resp, push_pull, user_msg, err_resp>;

/// Outcome of trying to parse a stream prefix (Asio's request_parser idiom).
enum class parse_status { good, bad, indeterminate };

/// Result of parse_stream.
struct stream_result {
  parse_status status = parse_status::indeterminate;
  std::size_t consumed = 0;   ///< bytes of `data` the frame used (when good)
  stream_message message;     ///< the frame (when good)
  error err = error::ok;      ///< why (when bad)
};

/// Parse one complete frame (plain or compressed) from the start of `data`.
/// `indeterminate` means: read more bytes and call again with the longer prefix.
stream_result parse_stream(byte_view data, const limits& lim = {});

/// parse_stream for bytes that arrive in pieces (a TCP read loop), with the same answers at
/// every prefix but linear cost in all. parse_stream starts over on every call, which is cheap
/// for frames whose size a header tells (compressed: the Buf length; encrypted: the length
/// prefix; ping, ack, user message) but quadratic for a plain push-pull, which has no length
/// and used to be parsed again from its first node state after every read. This parser keeps
/// the push-pull header and the node states decoded so far, and resumes after the last
/// complete one (docs/wire.md §6.1). One frame per parser; `data` must extend the bytes of
/// the previous call.
class stream_parser {
 public:
  explicit stream_parser(const limits& lim = {}) : lim_(lim) {}
  /// The frame at the start of `data`, as parse_stream(data, lim) would answer.
  stream_result parse(byte_view data);
  /// Bytes of push-pull header and node states decoded so far, over all calls, partial
  /// attempts included: the parse cost, which stays near the frame size.
  std::size_t work() const { return work_; }

 private:
  limits lim_;
  bool started_ = false;  // the push-pull header is decoded
  std::int64_t nodes_ = 0;
  std::int64_t user_state_len_ = 0;
  push_pull pp_;           // the states decoded so far
  std::size_t pos_ = 0;    // where the next node state starts in `data`
  std::size_t work_ = 0;
};

/// A push-pull frame: 0x06 | header | states | user state (uncompressed).
bytes encode(const push_pull& m);
/// A TCP user message: 0x08 | {UserMsgLen} | payload.
bytes encode_user_stream(byte_view payload);

}  // namespace swim::wire
