#pragma once
// The agent's configuration file, cachecluster.ini: loading, defaults and
// validation. Keys are compatible with gce-cache-cluster's cachecluster.ini
// ([cache], [cluster], [match], [meta]) and extended with our own sections.
// docs/config.md is the reference; keep it, cachecluster.ini and this file in step.
//
// The agent reads its config once at start-up: any error throws config_error,
// which main catches. An unknown key in a known section is an error; unknown
// sections come back as warnings for the caller to print.
//
// The parts: agent/ini.* reads the INI syntax, agent/config_schema.* knows the
// sections and keys, agent/config_reader.* reads typed values, agent/config_validate.*
// checks every key, and agent/config_overrides.* applies the command-line flags.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "agent/outputs_config.hpp"

namespace agent {

/// A config file that cannot be read or holds an invalid value; what() names the
/// file, the [section] key and what is allowed.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A host (DNS name or IP literal) and a port.
struct host_port {
  std::string host;        ///< "10.0.0.2", "cache-1.internal" or "::1" (no brackets)
  std::uint16_t port = 0;  ///< 1-65535

  /// "10.0.0.2:7946", or "[::1]:7946" for IPv6.
  std::string to_string() const;

  friend bool operator==(const host_port&, const host_port&) = default;
};

/// Where protocol timings come from: [cluster] heartbeat, or a fixed memberlist profile.
enum class timing_profile {
  heartbeat,  ///< the lan profile scaled to [cluster] heartbeat (the default)
  lan,        ///< memberlist DefaultLANConfig, as `serf agent` runs
  wan,        ///< memberlist DefaultWANConfig
  local,      ///< memberlist DefaultLocalConfig
};

/// Where candidate peers come from ([cluster] discovery).
enum class discovery_mode {
  automatic,   ///< "auto": static with a join list, else kubernetes, dns or gce when configured
  gce,         ///< the metadata server and the Compute API
  static_,     ///< "static": [cluster] join only (runs anywhere)
  kubernetes,  ///< pods by label selector through the Kubernetes API ([kubernetes])
  dns,         ///< a DNS name re-resolved every interval ([dns])
};

/// [log] level.
enum class log_level { trace, debug, info, warn, error };

/// [log] format.
enum class log_format { text, json };

/// "heartbeat", "lan", "wan" or "local".
std::string_view to_string(timing_profile p);
/// "auto", "gce", "static", "kubernetes" or "dns".
std::string_view to_string(discovery_mode d);
/// "trace", "debug", "info", "warn" or "error".
std::string_view to_string(log_level l);
/// "text" or "json".
std::string_view to_string(log_format f);

/// [cache]: the cache server this agent sits beside.
struct cache_config {
  /// Port of the cache node, published to peers; nullopt = not published.
  std::optional<std::uint16_t> port;
  /// How to check the local cache (agent/cache_check.hpp): tcp://HOST:PORT,
  /// http://HOST[:PORT][/PATH] or exec:COMMAND; "" = no check (always listed).
  std::string check;
  std::chrono::milliseconds check_interval{1000};  ///< from one check's start to the next's
  std::chrono::milliseconds check_timeout{1000};   ///< one check's limit (<= check_interval)
  unsigned check_failures = 2;   ///< failures in a row before the cache counts as down
  unsigned check_successes = 2;  ///< passes in a row before a down cache counts as up
};

/// [cluster]: gossip.
struct cluster_config {
  std::uint16_t port = 7946;                 ///< gossip port, UDP and TCP
  std::chrono::milliseconds heartbeat{250};  ///< probe interval (profile = heartbeat)
  std::string bind = "0.0.0.0";              ///< IP address to listen on
  std::optional<host_port> advertise;        ///< address peers reach us at; nullopt = discovered
  std::vector<host_port> join;               ///< seeds contacted at start-up
  timing_profile profile = timing_profile::heartbeat;  ///< where timings come from
  std::size_t udp_buffer_size = 1400;                  ///< largest gossip packet, bytes
  std::size_t push_pull_budget = 128;  ///< full-state bytes/s per member (swim::timing); 0 = off
  std::chrono::milliseconds leave_timeout{5000};       ///< how long a graceful leave may take
  discovery_mode discovery = discovery_mode::automatic;  ///< where candidate peers come from
};

/// [match] and [meta]: which instances of the project are peers.
struct match_config {
  std::string project;                      ///< "" = this instance's project
  std::string zone;                         ///< "" = this instance's zone
  std::string network_interface = "nic0";   ///< NIC whose IP a peer is reached at
  std::vector<std::string> tags;            ///< network tags a peer must all carry
  std::map<std::string, std::string> meta;  ///< [meta]: metadata a peer must carry, exactly
};

/// [gce]: the Compute API.
struct gce_config {
  std::string api_endpoint = "https://compute.googleapis.com/compute/v1/";  ///< API root URL
  int api_calls_per_minute = 10;               ///< Compute API budget of the whole cluster
  /// Floor of each agent's steady poll period (tests and emulators lower it).
  std::chrono::milliseconds min_poll_interval{std::chrono::seconds(60)};
  /// How long start-up retries the metadata server (identity, token) before giving up;
  /// 0 = one attempt (agent/startup_retry.hpp).
  std::chrono::milliseconds startup_timeout{std::chrono::minutes(5)};
  std::vector<std::string> zones;              ///< zones to list; empty = see match_config::zone
  std::string region;                          ///< list every zone of this region
  std::map<std::string, std::string> labels;   ///< labels a peer must carry, exactly
  std::vector<std::string> status{"RUNNING"};  ///< instance statuses that count as peers
  /// A managed instance group to list instead of the zone's instances ("" = none): zonal
  /// in [match] zone (or this VM's zone), or regional with `region`.
  std::string instance_group;
};

/// [dns]: candidates from a DNS name (discovery = dns); `interval` also paces the
/// re-resolution of host names in [cluster] join.
struct dns_config {
  std::string name;  ///< A/AAAA name, or an SRV name starting with '_' ("" = none)
  std::chrono::milliseconds interval{std::chrono::seconds(10)};  ///< re-resolution period
};

/// [kubernetes]: pods by label selector (discovery = kubernetes). Empty strings take the
/// in-cluster defaults (service-account files, KUBERNETES_SERVICE_HOST/PORT).
struct kubernetes_config {
  std::string api_server;      ///< "https://HOST:PORT" (http:// for a local emulator)
  std::string token_file;      ///< bearer token, re-read as it rotates
  std::string ca_file;         ///< CA bundle of the API server
  std::string namespace_name;  ///< namespace of the pods ("namespace" in the file)
  std::string label_selector;  ///< e.g. "app=cache"
  std::string port_name;       ///< container port whose number is the gossip port ("" = [cluster] port)
  bool require_ready = true;   ///< only pods whose Ready condition is True are candidates
  /// How long start-up retries reading this pod while the API server does not answer or sends
  /// 5xx/429 (agent/startup_retry.hpp); then the agent runs without its pod's IP and zone.
  std::chrono::milliseconds startup_timeout{std::chrono::minutes(1)};
};

/// [node]: this agent's identity in the cluster.
struct node_config {
  std::string name;  ///< unique member name; defaults to the host name
  /// True when neither [node] name nor --node set `name`: it is the host name, and with GCE
  /// discovery start-up replaces it with the instance name from the metadata server.
  bool name_from_host = false;
};

/// [publish]: where cache nodes read the peer list (peerlib connects here).
struct publish_config {
  std::string socket = "/run/cachecluster/cachecluster.sock";  ///< Unix socket path
  std::size_t max_sessions = 256;  ///< control connections open at once, subscribers included
  /// Longest a burst's coalescing window stays open (a lone change waits 50 ms).
  std::chrono::milliseconds coalesce_max{1000};
  /// Longest a peer's removal waits for the rest of a failure; nullopt = 16 probe intervals.
  std::optional<std::chrono::milliseconds> burst_hold;
  std::chrono::milliseconds flap_half_life{std::chrono::seconds(60)};  ///< penalty decay
  std::uint32_t flap_suppress = 1500;  ///< a flap that brings the penalty here suppresses
  std::uint32_t flap_reuse = 750;      ///< a suppressed member is re-admitted below this
  /// Longest hold after the last flap; 0 = no suppression.
  std::chrono::milliseconds flap_max_suppress{std::chrono::minutes(5)};
  /// Grey failure (agent/grey_hold.hpp): suspicions needed to hold a member out; 0 = off.
  std::uint32_t grey_suspicions = 14;
  std::uint32_t grey_ratio = 4;  ///< ... and this many times the median of the others
  std::chrono::milliseconds grey_half_life{std::chrono::seconds(30)};  ///< score decay
};

/// [http]: status and metrics endpoint.
struct http_config {
  host_port listen{"127.0.0.1", 9101};  ///< IP literal and port
};

/// [encrypt]: gossip encryption, compatible with `serf agent -encrypt` / `-keyring-file`.
struct encrypt_config {
  std::string key;           ///< base64 key (16, 24 or 32 bytes); "" = none
  std::string keyring_file;  ///< Serf keyring file (JSON array of base64 keys); "" = none
  bool verify_incoming = true;  ///< drop gossip that does not decrypt
  bool verify_outgoing = true;  ///< encrypt what we send
  /// True when gossip is encrypted (a key or a keyring file is configured).
  bool enabled() const { return !key.empty() || !keyring_file.empty(); }
};

/// [log]: agent logging.
struct log_config {
  log_level level = log_level::info;     ///< least severe level written
  log_format format = log_format::text;  ///< one line of text, or one JSON object, per event
};

/// The whole file, with defaults for every absent key.
struct config {
  cache_config cache;                       ///< [cache]
  cluster_config cluster;                   ///< [cluster]
  match_config match;                       ///< [match] and [meta]
  node_config node;                         ///< [node]
  publish_config publish;                   ///< [publish]
  http_config http;                         ///< [http]
  log_config log;                           ///< [log]
  std::map<std::string, std::string> tags;  ///< [tags]: Serf tags published in node meta
  gce_config gce;                           ///< [gce]
  dns_config dns;                           ///< [dns]
  kubernetes_config kubernetes;             ///< [kubernetes]
  encrypt_config encrypt;                   ///< [encrypt]
  std::vector<render_config> renders;       ///< [render.NAME], in file order
  hooks_config hooks;                       ///< [hooks]
};

/// A validated config and the warnings found while reading it.
struct loaded_config {
  config cfg;                         ///< every key, defaults filled in
  std::vector<std::string> warnings;  ///< unknown or ignored sections and keys, one per line
};

/// Read and validate a cachecluster.ini. Throws config_error.
loaded_config load_config(const std::filesystem::path& path);

/// Validate INI text already in memory; `name` stands for the file in messages.
/// Throws config_error.
loaded_config parse_config(std::string_view text, std::string_view name);

/// Parse a duration: "250ms", "5s", "2m", or a bare integer of milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// "250ms", "5s", "2m": the shortest exact form.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace agent
