#include "agent/swim_setup.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>

#include <spdlog/spdlog.h>

#include "agent/crypto_library.hpp"
#include "agent/discovery_runner.hpp"
#include "agent/key_manager.hpp"
#include "peerlib/protocol.hpp"
#include "swim/tags.hpp"

namespace agent {
namespace {

/// The first non-loopback IPv4 address of this host that is up (memberlist's GetPrivateIP,
/// simplified).
std::optional<swim::address> first_host_ipv4(std::uint16_t port) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<swim::address> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_LOOPBACK) != 0 || (i->ifa_flags & IFF_UP) == 0) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&sin->sin_addr);
    found = swim::address::from_ip_bytes({b, 4}, port);
  }
  ::freeifaddrs(list);
  return found;
}

bool is_wildcard(const swim::address& a) {
  return std::all_of(a.ip.begin(), a.ip.begin() + a.ip_len, [](std::uint8_t b) { return b == 0; });
}

}  // namespace

swim::timing timing_for(const cluster_config& c) {
  switch (c.profile) {
    case timing_profile::lan: return swim::lan_timing();
    case timing_profile::wan: return swim::wan_timing();
    case timing_profile::local: return swim::local_timing();
    case timing_profile::heartbeat: break;
  }
  return swim::heartbeat_timing(static_cast<int>(c.heartbeat.count()));
}

swim::bytes encode_meta(const config& cfg, const std::string& zone) {
  swim::tag_map tags(cfg.tags.begin(), cfg.tags.end());
  if (cfg.cache.port) tags[peerlib::protocol::cache_port_tag] = std::to_string(*cfg.cache.port);
  // Out of every list until the first check passes (agent/cache_checker.hpp).
  if (!cfg.cache.check.empty()) tags[peerlib::protocol::cache_tag] = peerlib::protocol::cache_down;
  if (!zone.empty() && !tags.count(peerlib::protocol::zone_tag))
    tags[peerlib::protocol::zone_tag] = zone;
  swim::bytes meta = swim::encode_tags(tags);
  if (auto why = swim::meta_error(meta))
    throw config_error("[tags]: " + *why +
                       " (shorten or remove tags; bulky data does not belong in gossip)");
  return meta;
}

swim::address bind_address(const config& cfg) {
  auto bind = swim::address::parse(cfg.cluster.bind, cfg.cluster.port);
  if (!bind) throw config_error("[cluster] bind: \"" + cfg.cluster.bind + "\" is not an IP address");
  return *bind;
}

swim::address advertise_address(const config& cfg, const swim::address& bind,
                                const std::optional<swim::address>& gce_ip) {
  if (cfg.cluster.advertise) {
    auto a = swim::address::parse(cfg.cluster.advertise->host, cfg.cluster.advertise->port);
    if (!a)
      throw config_error("[cluster] advertise: \"" + cfg.cluster.advertise->host +
                         "\" must be an IP address");
    return *a;
  }
  if (gce_ip) return *gce_ip;  // never guess on GCE: the metadata server knows the NIC's IP
  if (!is_wildcard(bind)) return bind;
  auto a = first_host_ipv4(cfg.cluster.port);
  if (!a)
    throw config_error("[cluster] advertise: not set, bind is " + cfg.cluster.bind +
                       " and this host has no non-loopback IPv4 address; set advertise");
  return *a;
}

swim::config make_swim_config(const config& cfg, const swim::address& advertise,
                              const std::string& zone, const swim::keyring& ring) {
  swim::config sc;
  sc.name = cfg.node.name;
  sc.t = timing_for(cfg.cluster);
  sc.t.push_pull_budget = cfg.cluster.push_pull_budget;
  sc.udp_buffer_size = cfg.cluster.udp_buffer_size;
  sc.advertise = advertise;
  sc.meta = encode_meta(cfg, zone);
  sc.keys = ring.keys();
  sc.verify_incoming = cfg.encrypt.verify_incoming;
  sc.verify_outgoing = cfg.encrypt.verify_outgoing;
  return sc;
}

node_setup prepare_node(const config& cfg, const swim::address& bind) {
  node_setup out;
  std::string zone;
  std::optional<swim::address> gce_ip;
  std::string instance_name;
  if (auto p = make_provider(cfg, cfg.cluster.bind)) {  // agent/discovery_runner.hpp
    const discovery::identity me = p->self();
    out.provider = std::move(p);
    zone = me.zone;
    instance_name = me.name;
    if (!me.address.empty()) gce_ip = swim::address::parse(me.address, cfg.cluster.port);
  }
  std::vector<std::string> key_notes;
  if (cfg.encrypt.enabled())  // libcrypto is loaded at run time (agent/crypto_library.hpp)
    if (std::string missing = crypto_load_error(); !missing.empty())
      throw config_error("[encrypt]: " + missing);
  out.ring = initial_keyring(cfg.encrypt, key_notes);
  for (const auto& note : key_notes) spdlog::warn("{}", note);
  out.sc = make_swim_config(cfg, advertise_address(cfg, bind, gce_ip), zone, out.ring);
  // On GCE the instance name is the VM's identity; the host name is not (a container, or a
  // custom host name, changes it, and agents sharing a host would all claim it).
  if (!instance_name.empty() && cfg.node.name_from_host) {
    out.sc.name = instance_name;
    spdlog::info("node name: {} (the instance name; [node] name or --node sets another)",
                 instance_name);
  }
  return out;
}

std::unique_ptr<swim::asio::driver> make_driver(boost::asio::io_context& io, const swim::config& sc,
                                                swim::delegate& events, const swim::address& bind,
                                                std::uint64_t seed) {
  swim::asio::driver_options opt;
  opt.bind = bind;
  try {
    return std::make_unique<swim::asio::driver>(io, sc, events, opt, seed);
  } catch (const std::system_error& e) {
    // Main prints it: the one start-up error a second agent on this address gets.
    if (e.code() == std::errc::address_in_use)
      throw std::runtime_error("gossip address " + bind.to_string() +
                               " is in use (is another agent running?)");
    throw std::runtime_error("gossip address " + bind.to_string() + ": cannot bind: " +
                             e.code().message());
  }
}

}  // namespace agent
