#pragma once
// From the agent's configuration to the gossip node's: timings from the
// profile, our meta (tags plus the reserved cache_port and zone tags), and the
// choice of bind and advertise addresses. Pure apart from reading this host's
// interfaces when it must guess an advertise address.

#include <memory>
#include <optional>
#include <string>

#include "agent/config.hpp"
#include "discovery/provider.hpp"
#include "swim/asio/driver.hpp"
#include "swim/address.hpp"
#include "swim/bytes.hpp"
#include "swim/config.hpp"
#include "swim/keyring.hpp"

namespace agent {

/// Protocol timings for [cluster] profile (and heartbeat, for the heartbeat profile).
swim::timing timing_for(const cluster_config& c);

/// Our tags: [tags] plus the reserved cache_port and zone tags (and cache=down while a
/// [cache] check has not passed yet), Serf-encoded. Throws
/// config_error when they exceed swim::meta_max_size.
swim::bytes encode_meta(const config& cfg, const std::string& zone);

/// The gossip bind address ([cluster] bind and port). Throws config_error.
swim::address bind_address(const config& cfg);

/// The address other members reach us at: [cluster] advertise; else the IP the metadata
/// server gave (`gce_ip`); else `bind` unless it is a wildcard; else this host's first
/// non-loopback IPv4 address. Throws config_error when none fits.
swim::address advertise_address(const config& cfg, const swim::address& bind,
                                const std::optional<swim::address>& gce_ip);

/// What start-up learns before the node is created.
struct node_setup {
  swim::config sc;                              ///< the node's configuration
  swim::keyring ring;                           ///< its gossip keys (also in sc.keys)
  std::shared_ptr<discovery::provider> provider;  ///< discovery, when configured
};

/// Start-up, before anything binds: with GCE discovery, this VM's identity from the metadata
/// server (so a discovery that cannot work fails start-up with a clear message; the advertise
/// address is the NIC's IP, the zone a tag, and the instance name the node's name unless
/// [node] name or --node gave one); the keyring ([encrypt]); the node's config.
/// Throws config_error. Notes go to the log.
node_setup prepare_node(const config& cfg, const swim::address& bind);

/// The gossip driver bound to `bind` (its sockets, then the node). A bind that fails is a
/// start-up error naming the address: "gossip address 127.0.0.1:7946 is in use (is another
/// agent running?)".
std::unique_ptr<swim::asio::driver> make_driver(boost::asio::io_context& io, const swim::config& sc,
                                                swim::delegate& events, const swim::address& bind,
                                                std::uint64_t seed);

/// The node's configuration: name, timings, buffer size, advertise address, meta and gossip
/// keys (`ring`, from initial_keyring) with [encrypt]'s verify settings.
swim::config make_swim_config(const config& cfg, const swim::address& advertise,
                              const std::string& zone, const swim::keyring& ring);

}  // namespace agent
