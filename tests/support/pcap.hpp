#pragma once
// A small reader for classic libpcap files, enough to drive golden tests from
// captured memberlist traffic: UDP datagrams as they were sent, and TCP
// connections reassembled into their two byte streams. IPv4 only; anything
// else (IPv6, ARP, fragments, unknown link types) is counted and skipped.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "swim/bytes.hpp"

namespace test_support {

/// An IPv4 address and port; the address is in host order (127.0.0.1 = 0x7f000001).
struct endpoint {
  std::uint32_t addr = 0;
  std::uint16_t port = 0;
  /// "127.0.0.1:7946".
  std::string to_string() const;
  friend auto operator<=>(const endpoint&, const endpoint&) = default;
};

/// One UDP datagram's payload with its addresses.
struct udp_datagram {
  endpoint src;
  endpoint dst;
  std::uint64_t time_ns = 0;  ///< capture timestamp, nanoseconds since the epoch
  std::size_t frame = 0;      ///< 1-based frame number (matches tshark's frame.number)
  swim::bytes payload;
};

/// One TCP connection, each direction reassembled by sequence number.
struct tcp_stream {
  endpoint initiator;            ///< the side that sent the SYN (or the first packet seen)
  endpoint responder;            ///< the other side
  bool saw_syn = false;          ///< false: the handshake was not captured, initiator is a guess
  bool saw_fin = false;          ///< a FIN or RST was seen in either direction
  std::uint64_t time_ns = 0;     ///< timestamp of the first packet
  std::size_t first_frame = 0;   ///< 1-based frame number of the first packet
  swim::bytes from_initiator;    ///< request bytes, contiguous from the start
  swim::bytes from_responder;    ///< reply bytes, contiguous from the start
  bool gap = false;              ///< a direction had a hole; its bytes stop at the hole
};

/// Everything read from one capture file.
struct capture {
  std::uint32_t link_type = 0;
  std::size_t frames = 0;             ///< records in the file
  std::size_t skipped = 0;            ///< records that were not IPv4 UDP/TCP or were malformed
  std::vector<udp_datagram> udp;      ///< in capture order
  std::vector<tcp_stream> tcp;        ///< in order of their first packet
};

/// Parse a whole pcap file image. nullopt (with a reason in `error`) when the
/// file header is not classic pcap or the link type is unsupported; records
/// that cannot be decoded are skipped, and a truncated last record ends the read.
std::optional<capture> parse_pcap(swim::byte_view file, std::string* error = nullptr);

/// Read and parse the pcap file at `path`.
std::optional<capture> read_pcap(const std::string& path, std::string* error = nullptr);

/// The `Buf` of one memberlist compress{Algo, Buf} message found in a capture.
struct lzw_payload {
  std::size_t frame = 0;  ///< frame of the datagram, or first frame of the TCP connection
  bool tcp = false;       ///< found at the start of a TCP stream (else in a UDP datagram)
  std::uint64_t algo = 0; ///< Algo (0 = LZW)
  swim::bytes buf;        ///< Buf: the LZW stream
};

/// Every compress message (type 9) in a capture: UDP datagrams (under an
/// optional hasCrc header, and inside compound parts) and the start of each
/// TCP stream direction. Uses its own minimal msgpack reading, independent of
/// swim::wire, so LZW can be tested against captures on its own. Encrypted
/// traffic is not looked into.
std::vector<lzw_payload> find_lzw_payloads(const capture& cap);

/// The decoded compress{Algo, Buf} of a message that starts with type byte 9;
/// nullopt when it is not one. Same minimal msgpack reading as above.
std::optional<lzw_payload> read_compress_message(swim::byte_view message);

/// Full path of a capture in tests/golden, e.g. golden_path("plain.pcap").
std::string golden_path(std::string_view name);

}  // namespace test_support
