#pragma once
// From the agent's configuration to the gossip node's: timings from the
// profile, our meta (tags plus the reserved cache_port and zone tags), and the
// choice of bind and advertise addresses. Pure apart from reading this host's
// interfaces when it must guess an advertise address.

#include <optional>
#include <string>

#include "agent/config.hpp"
#include "swim/address.hpp"
#include "swim/bytes.hpp"
#include "swim/config.hpp"
#include "swim/keyring.hpp"

namespace agent {

/// Protocol timings for [cluster] profile (and heartbeat, for the heartbeat profile).
swim::timing timing_for(const cluster_config& c);

/// Our tags: [tags] plus the reserved cache_port and zone tags, Serf-encoded. Throws
/// config_error when they exceed swim::meta_max_size.
swim::bytes encode_meta(const config& cfg, const std::string& zone);

/// The gossip bind address ([cluster] bind and port). Throws config_error.
swim::address bind_address(const config& cfg);

/// The address other members reach us at: [cluster] advertise; else the IP the metadata
/// server gave (`gce_ip`); else `bind` unless it is a wildcard; else this host's first
/// non-loopback IPv4 address. Throws config_error when none fits.
swim::address advertise_address(const config& cfg, const swim::address& bind,
                                const std::optional<swim::address>& gce_ip);

/// The node's configuration: name, timings, buffer size, advertise address, meta and gossip
/// keys (`ring`, from initial_keyring) with [encrypt]'s verify settings.
swim::config make_swim_config(const config& cfg, const swim::address& advertise,
                              const std::string& zone, const swim::keyring& ring);

}  // namespace agent
