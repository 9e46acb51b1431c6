#include "agent/snapshot.hpp"

#include <algorithm>
#include <charconv>

#include "swim/tags.hpp"

namespace agent {

peerlib::peer to_peer(const swim::member& m) {
  peerlib::peer p;
  p.name = m.name;
  p.address = m.addr.ip_string();
  p.port = m.addr.port;
  p.state = m.state == swim::member_state::suspect ? peerlib::peer_state::suspect
                                                  : peerlib::peer_state::alive;
  p.incarnation = m.incarnation;
  // Undecodable meta still yields whatever tags came before the damage (Serf does the same).
  if (auto tags = swim::decode_tags(m.meta)) p.tags = std::move(*tags);
  if (auto it = p.tags.find(peerlib::protocol::cache_port_tag); it != p.tags.end()) {
    unsigned v = 0;
    const auto& s = it->second;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && end == s.data() + s.size() && v > 0 && v <= 65535) {
      p.cache_port = static_cast<std::uint16_t>(v);
      p.cache_url = "http://" + (m.addr.is_v4() ? p.address : "[" + p.address + "]") + ":" +
                    std::to_string(v);
    }
  }
  if (auto it = p.tags.find(peerlib::protocol::zone_tag); it != p.tags.end()) p.zone = it->second;
  return p;
}

bool cache_down(const peerlib::peer& p) {
  auto it = p.tags.find(peerlib::protocol::cache_tag);
  return it != p.tags.end() && it->second == peerlib::protocol::cache_down;
}

peerlib::snapshot build_snapshot(const swim::member& self, const std::vector<swim::member>& members,
                                 std::uint64_t version, bool local_mode,
                                 const std::function<bool(const swim::member&)>& held_out) {
  peerlib::snapshot s;
  s.version = version;
  s.local_mode = local_mode;
  s.self = to_peer(self);
  for (const auto& m : members) {
    if (m.state != swim::member_state::alive && m.state != swim::member_state::suspect) continue;
    if (local_mode && m.name != self.name) continue;  // local mode: the list is just us
    if (held_out && m.name != self.name && held_out(m)) continue;
    auto p = to_peer(m);
    if (cache_down(p)) continue;  // its cache check fails: no traffic to it, self included
    s.peers.push_back(std::move(p));
  }
  std::sort(s.peers.begin(), s.peers.end(),
            [](const peerlib::peer& a, const peerlib::peer& b) { return a.name < b.name; });
  return s;
}

bool same_view(const peerlib::snapshot& a, const peerlib::snapshot& b) {
  return a.local_mode == b.local_mode && a.self == b.self && a.peers == b.peers;
}

}  // namespace agent
