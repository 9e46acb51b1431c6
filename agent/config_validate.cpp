#include "agent/config_validate.hpp"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <arpa/inet.h>
#include <sys/un.h>

#include "agent/config_cache.hpp"
#include "agent/config_discovery.hpp"
#include "agent/config_reader.hpp"
#include "agent/keyring_file.hpp"
#include "swim/tags.hpp"
#include "util/host_port.hpp"
#include "util/strings.hpp"

namespace agent {

namespace {

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return s.front() != '-' && s.front() != '.';
}

bool is_gce_name(std::string_view s) {
  // Zones, regions, network tags, NIC names: lower-case letters, digits, '-'.
  if (s.empty() || s.size() > 63 || !std::islower(static_cast<unsigned char>(s.front()))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

bool is_label_part(std::string_view s, bool key) {
  // GCE labels: up to 63 of lower-case letters, digits, '_' and '-'; keys start with a letter.
  if (s.size() > 63 ||
      (key && (s.empty() || !std::islower(static_cast<unsigned char>(s.front()))))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

std::string host_name() {
  std::array<char, HOST_NAME_MAX + 1> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return {};
  return std::string(buf.data());
}

/// 127.0.0.0/8, ::1, or an IPv4-mapped 127.0.0.0/8; false for names and wildcards.
bool is_loopback_ip(const std::string& s) {
  unsigned char b[16];
  if (inet_pton(AF_INET, s.c_str(), b) == 1) return b[0] == 127;
  if (inet_pton(AF_INET6, s.c_str(), b) != 1) return false;
  static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(b, b + 12, mapped)) return b[12] == 127;
  return std::all_of(b, b + 15, [](unsigned char c) { return c == 0; }) && b[15] == 1;
}

/// The host of an http:// or https:// URL (no brackets, no userinfo, no port).
std::string url_host(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  auto parts = util::split_host_port(rest);
  return parts ? std::string(parts->host) : std::string(rest);
}

/// A loopback IP literal, or "localhost" / "*.localhost" (RFC 6761: always loopback).
bool is_loopback_host(const std::string& host) {
  const std::string h = util::lower(host);
  return is_loopback_ip(h) || h == "localhost" || h.ends_with(".localhost");
}

/// [publish] coalescing and flap damping (agent/publisher.hpp, agent/flap_damping.hpp).
void validate_publish_timing(const config_reader& r, publish_config& p) {
  using std::chrono::milliseconds;
  r.duration("publish", "coalesce_max", milliseconds(50), std::chrono::seconds(10), p.coalesce_max);
  if (r.get("publish", "burst_hold")) {
    milliseconds hold{0};
    r.duration("publish", "burst_hold", milliseconds(0), std::chrono::minutes(1), hold);
    p.burst_hold = hold;
  }
  r.duration("publish", "flap_half_life", std::chrono::seconds(1), std::chrono::hours(1),
             p.flap_half_life);
  // Above the penalty of one flap: a single crash is never suppressed.
  r.integer<std::uint32_t>("publish", "flap_suppress", 1001, 1000000, p.flap_suppress);
  r.integer<std::uint32_t>("publish", "flap_reuse", 1, 1000000, p.flap_reuse);
  r.duration("publish", "flap_max_suppress", milliseconds(0), std::chrono::hours(24),
             p.flap_max_suppress);
  if (p.flap_reuse >= p.flap_suppress) {
    r.fail("publish", "flap_reuse", std::to_string(p.flap_reuse),
           "must be below flap_suppress (" + std::to_string(p.flap_suppress) + ")");
  }
  // The penalty stops at reuse x 2^(max_suppress / half_life); below suppress, nothing
  // would ever be suppressed.
  const double ceiling =
      p.flap_reuse * std::exp2(std::chrono::duration<double>(p.flap_max_suppress).count() /
                               std::chrono::duration<double>(p.flap_half_life).count());
  if (p.flap_max_suppress.count() > 0 && ceiling < p.flap_suppress) {
    r.fail("publish", "flap_max_suppress", format_duration(p.flap_max_suppress),
           "is too short to ever suppress: flap_reuse x 2^(flap_max_suppress / "
           "flap_half_life) must reach flap_suppress (use 0 to turn suppression off)");
  }
  r.integer<std::uint32_t>("publish", "grey_suspicions", 0, 1000, p.grey_suspicions);
  r.integer<std::uint32_t>("publish", "grey_ratio", 2, 100, p.grey_ratio);
  r.duration("publish", "grey_half_life", std::chrono::seconds(5), std::chrono::hours(1),
             p.grey_half_life);
}

constexpr std::array<std::string_view, 12> instance_statuses{
    "PROVISIONING", "STAGING",   "RUNNING",    "STOPPING", "STOPPED",      "SUSPENDING",
    "SUSPENDED",    "REPAIRING", "TERMINATED", "PENDING",  "PENDING_STOP", "DEPROVISIONING",
};

}  // namespace

config validate_config(const ini_file& ini, std::string_view name,
                       std::vector<std::string>& warnings) {
  config_reader r(ini, name);
  config cfg;

  // [cache]
  if (r.get_scalar("cache", "port")) {
    std::uint16_t port = 0;
    r.port("cache", "port", port);
    cfg.cache.port = port;
  }
  validate_cache_check(r, cfg.cache);  // agent/config_cache.cpp

  // [cluster]
  auto& cl = cfg.cluster;
  r.port("cluster", "port", cl.port);
  r.duration("cluster", "heartbeat", std::chrono::milliseconds(10), std::chrono::minutes(1),
             cl.heartbeat);
  if (auto v = r.get_scalar("cluster", "bind")) {
    if (!is_ip_literal(*v)) {
      r.fail("cluster", "bind", *v, "must be an IPv4 or IPv6 address, e.g. 0.0.0.0 or ::");
    }
    cl.bind = *v;
  }
  if (auto v = r.get_scalar("cluster", "advertise")) {
    auto hp = read_host_port(*v);
    if (!hp || !is_ip_literal(hp->host) || (hp->port && *hp->port == 0)) {
      r.fail("cluster", "advertise", *v,
             "must be an IP address with an optional port 1-65535, e.g. 10.0.0.2 or "
             "10.0.0.2:7946 or [2001:db8::2]:7946");
    }
    if (hp->host == "0.0.0.0" || hp->host == "::") {
      r.fail("cluster", "advertise", *v, "must be an address peers can reach, not a wildcard");
    }
    cl.advertise = host_port{hp->host, static_cast<std::uint16_t>(hp->port.value_or(cl.port))};
  }
  if (auto v = r.get("cluster", "join")) {
    for (const auto& item : split_list(*v)) {
      auto hp = read_host_port(item);
      if (!hp || (!is_ip_literal(hp->host) && !is_dns_name(hp->host)) ||
          (hp->port && *hp->port == 0)) {
        r.fail("cluster", "join", *v,
               "seed " + in_quotes(item) +
                   " must be HOST or HOST:PORT (port 1-65535), comma-separated; HOST is a DNS "
                   "name or IP address, IPv6 in brackets when a port follows");
      }
      cl.join.push_back(
          host_port{hp->host, static_cast<std::uint16_t>(hp->port.value_or(cl.port))});
    }
  }
  r.choice<timing_profile, 3>("cluster", "profile",
                              {{{"lan", timing_profile::lan},
                                {"wan", timing_profile::wan},
                                {"local", timing_profile::local}}},
                              cl.profile);
  if (cl.profile != timing_profile::heartbeat && r.get("cluster", "heartbeat")) {
    warnings.push_back(std::string(name) + ": [cluster] heartbeat: ignored because profile = " +
                       std::string(to_string(cl.profile)));
  }
  r.integer<std::size_t>("cluster", "udp_buffer_size", 512, 65507, cl.udp_buffer_size);
  r.integer<std::size_t>("cluster", "push_pull_budget", 0, 1'000'000, cl.push_pull_budget);
  r.duration("cluster", "leave_timeout", std::chrono::milliseconds(0), std::chrono::minutes(5),
             cl.leave_timeout);

  // [match], [meta]
  auto& m = cfg.match;
  if (auto v = r.get_scalar("match", "project")) {
    if (has_space_or_control(*v)) r.fail("match", "project", *v, "must be a project ID");
    m.project = *v;
  }
  if (auto v = r.get_scalar("match", "zone")) {
    if (!v->empty() && !is_gce_name(*v)) {
      r.fail("match", "zone", *v, "must be a zone name such as us-central1-a");
    }
    m.zone = *v;
  }
  if (auto v = r.get_scalar("match", "network_interface")) {
    if (!is_gce_name(*v)) {
      r.fail("match", "network_interface", *v, "must be a NIC name such as nic0");
    }
    m.network_interface = *v;
  }
  if (auto v = r.get("match", "tags")) {
    for (const auto& tag : split_list(*v)) {
      if (!is_gce_name(tag)) {
        r.fail("match", "tags", *v,
               "tag " + in_quotes(tag) +
                   " must be 1-63 lower-case letters, digits or '-', starting with a letter");
      }
      m.tags.push_back(tag);
    }
  }
  m.meta = r.section_map("meta");

  // [node]
  if (auto v = r.get_scalar("node", "name")) {
    if (v->empty() || v->size() > 128 || has_space_or_control(*v)) {
      r.fail("node", "name", *v, "must be 1-128 characters without spaces or control characters");
    }
    cfg.node.name = *v;
  } else {
    cfg.node.name = host_name();
    cfg.node.name_from_host = true;
    if (cfg.node.name.empty()) {
      r.fail("node", "name", "not set, and the host name is unavailable; set a name");
    }
  }

  // [publish]
  if (auto v = r.get_scalar("publish", "socket")) {
    if (v->empty() || v->front() != '/' || v->size() >= sizeof(sockaddr_un::sun_path)) {
      r.fail("publish", "socket", *v,
             "must be an absolute path shorter than " +
                 std::to_string(sizeof(sockaddr_un::sun_path)) + " bytes");
    }
    cfg.publish.socket = *v;
  }
  r.integer<std::size_t>("publish", "max_sessions", 1, 100000, cfg.publish.max_sessions);
  validate_publish_timing(r, cfg.publish);

  // [http]
  if (auto v = r.get_scalar("http", "listen")) {
    auto hp = read_host_port(*v);
    if (!hp || !is_ip_literal(hp->host) || !hp->port || *hp->port == 0) {
      r.fail("http", "listen", *v,
             "must be IP:PORT with port 1-65535, e.g. 127.0.0.1:9101 or [::1]:9101");
    }
    cfg.http.listen = host_port{hp->host, static_cast<std::uint16_t>(*hp->port)};
  }

  // [log]
  r.choice<log_level, 5>("log", "level",
                         {{{"trace", log_level::trace},
                           {"debug", log_level::debug},
                           {"info", log_level::info},
                           {"warn", log_level::warn},
                           {"error", log_level::error}}},
                         cfg.log.level);
  r.choice<log_format, 2>(
      "log", "format", {{{"text", log_format::text}, {"json", log_format::json}}}, cfg.log.format);

  // [tags]
  cfg.tags = r.section_map("tags");
  // The one meta check (swim::meta_error); the reserved cache_port and zone tags are checked
  // again with the rest at start-up (agent/swim_setup.cpp), when the zone is known.
  if (auto why = swim::meta_error(swim::encode_tags({cfg.tags.begin(), cfg.tags.end()}))) {
    throw config_error(std::string(name) + ": [tags]: " + *why);
  }

  // [encrypt]
  auto& enc = cfg.encrypt;
  if (auto v = r.get_scalar("encrypt", "key")) {
    std::string why;
    if (!decode_key(*v, &why)) r.fail("encrypt", "key", "(hidden)", why);
    enc.key = *v;
  }
  if (auto v = r.get_scalar("encrypt", "keyring_file")) {
    if (v->empty() || v->front() != '/') r.fail("encrypt", "keyring_file", *v, "must be an absolute path");
    enc.keyring_file = *v;
  }
  r.boolean("encrypt", "verify_incoming", enc.verify_incoming);
  r.boolean("encrypt", "verify_outgoing", enc.verify_outgoing);

  // [gce]
  auto& g = cfg.gce;
  if (auto v = r.get_scalar("gce", "api_endpoint")) {
    if (!(v->starts_with("https://") || v->starts_with("http://")) || has_space_or_control(*v)) {
      r.fail("gce", "api_endpoint", *v, "must be an http:// or https:// URL");
    }
    g.api_endpoint = *v;
  }
  r.integer<int>("gce", "api_calls_per_minute", 1, 6000, g.api_calls_per_minute);
  r.duration("gce", "min_poll_interval", std::chrono::seconds(1), std::chrono::hours(1),
             g.min_poll_interval);
  r.duration("gce", "startup_timeout", std::chrono::seconds(0), std::chrono::hours(1),
             g.startup_timeout);
  if (auto v = r.get("gce", "zones")) {
    for (const auto& zone : split_list(*v)) {
      if (!is_gce_name(zone)) {
        r.fail("gce", "zones", *v,
               "zone " + in_quotes(zone) + " must be a zone name such as us-central1-a");
      }
      g.zones.push_back(zone);
    }
  }
  if (auto v = r.get_scalar("gce", "region")) {
    if (!v->empty() && !is_gce_name(*v)) {
      r.fail("gce", "region", *v, "must be a region name such as us-central1");
    }
    g.region = *v;
  }
  int zone_settings =
      (m.zone.empty() ? 0 : 1) + (g.zones.empty() ? 0 : 1) + (g.region.empty() ? 0 : 1);
  if (zone_settings > 1) {
    throw config_error(std::string(name) +
                       ": [match] zone, [gce] zones, [gce] region: set only one of them (each "
                       "chooses the zones that are listed)");
  }
  if (auto v = r.get("gce", "labels")) {
    for (const auto& item : split_list(*v)) {
      std::size_t eq = item.find('=');
      std::string key = std::string(util::trim(std::string_view(item).substr(0, eq)));
      std::string value =
          eq == std::string::npos ? std::string() : std::string(util::trim(item.substr(eq + 1)));
      if (eq == std::string::npos || !is_label_part(key, true) || !is_label_part(value, false)) {
        r.fail("gce", "labels", *v,
               "label " + in_quotes(item) +
                   " must be KEY=VALUE, comma-separated; lower-case letters, digits, '_' and '-', "
                   "up to 63 each, KEY starting with a letter");
      }
      g.labels[key] = value;
    }
  }
  if (auto v = r.get("gce", "status")) {
    g.status.clear();
    for (const auto& item : split_list(*v)) {
      std::string status = util::upper(item);
      if (std::find(instance_statuses.begin(), instance_statuses.end(), status) ==
          instance_statuses.end()) {
        std::string allowed;
        for (auto s : instance_statuses) {
          allowed += allowed.empty() ? "" : ", ";
          allowed += s;
        }
        r.fail("gce", "status", *v,
               "status " + in_quotes(item) + " must be one of " + allowed + " (comma-separated)");
      }
      g.status.push_back(status);
    }
    if (g.status.empty()) r.fail("gce", "status", *v, "must name at least one status");
  }
  validate_discovery(r, cfg, name, warnings);  // agent/config_discovery.cpp
  auto exposed = exposure_warnings(cfg, name);
  warnings.insert(warnings.end(), exposed.begin(), exposed.end());
  return cfg;
}

std::vector<std::string> exposure_warnings(const config& cfg, std::string_view name) {
  std::vector<std::string> out;
  const std::string where = std::string(name) + ": ";
  if (!is_loopback_ip(cfg.http.listen.host)) {
    out.push_back(where + "[http] listen = " + cfg.http.listen.to_string() +
                  " is not a loopback address: /metrics and /v1/members have no "
                  "authentication, so whoever reaches it reads the member list and counters; "
                  "listen on 127.0.0.1 or firewall the port");
  }
  const std::string& api = cfg.gce.api_endpoint;
  if (api.starts_with("http://") && !is_loopback_host(url_host(api))) {
    out.push_back(where + "[gce] api_endpoint = " + api +
                  " is plain http:// to a host that is not loopback: the Compute API bearer "
                  "token would travel in clear; use https://");
  }
  return out;
}

}  // namespace agent
