#pragma once
// The agent's Unix-socket protocol: newline-delimited JSON, one object per line.
// peerlib owns it; the agent includes it. C++17, no Boost. docs/protocol.md is
// the reference for other languages.
//
// A client sends one request line:
//   {"op":"subscribe"}                 -> a snapshot line now, and one after every change
//   {"op":"members"}                   -> one members line (every state), then close
//   {"op":"join","addresses":["h:p"]}  -> one result line
//   {"op":"leave"}                     -> one result line once the leave has spread; the agent exits
// A snapshot line:
//   {"type":"snapshot","protocol":1,"version":7,"local_mode":false,
//    "self":{...peer...},"peers":[{...peer...}, ...]}   (live peers, self included, by name)

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peerlib {

/// A peer's liveness as the agent publishes it (dead and left peers are not published).
enum class peer_state { alive, suspect };

/// One live member of the cluster.
struct peer {
  std::string name;                            ///< unique member name
  std::string address;                         ///< IP address (no port)
  std::uint16_t port = 0;                      ///< gossip port
  std::optional<std::uint16_t> cache_port;     ///< the cache node's port, if it publishes one
  std::string cache_url;                       ///< "http://address:cache_port", or "" without a cache port
  std::string zone;                            ///< GCE zone, "" when unknown
  peer_state state = peer_state::alive;
  std::uint32_t incarnation = 0;
  std::map<std::string, std::string> tags;     ///< Serf-style tags

  friend bool operator==(const peer& a, const peer& b) {
    return a.name == b.name && a.address == b.address && a.port == b.port &&
           a.cache_port == b.cache_port && a.cache_url == b.cache_url && a.zone == b.zone &&
           a.state == b.state && a.incarnation == b.incarnation && a.tags == b.tags;
  }
};

/// A full, versioned view of the live cluster.
struct snapshot {
  std::uint64_t version = 0;  ///< increases with every published snapshot of one agent run
  bool local_mode = true;     ///< true until the agent has joined or discovered peers
  peer self;                  ///< this node
  std::vector<peer> peers;    ///< live peers, self included, sorted by name
};

namespace protocol {

/// Protocol revision carried in every snapshot.
inline constexpr int revision = 1;

/// Tag keys the agent reserves to publish cache port and zone.
inline constexpr const char* cache_port_tag = "cache_port";
inline constexpr const char* zone_tag = "zone";

/// "alive" or "suspect".
const char* to_string(peer_state s);

/// One snapshot line (without the trailing newline).
std::string encode_snapshot(const snapshot& s);

/// Parse a snapshot line; on failure returns nullopt and sets `error` (if given).
std::optional<snapshot> decode_snapshot(std::string_view line, std::string* error = nullptr);

/// A request line (without newline): {"op": op} plus "addresses" for join.
std::string encode_request(std::string_view op, const std::vector<std::string>& addresses = {});

}  // namespace protocol
}  // namespace peerlib
