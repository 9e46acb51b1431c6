#include "agent/config_discovery.hpp"

#include <algorithm>
#include <cctype>

#include "util/strings.hpp"

namespace agent {
namespace {

bool lower_alnum_dash(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

/// A DNS name whose labels are letters, digits, '-' and '_' (SRV labels), 1-63 each.
bool is_dns_or_srv_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (s.back() == '.') s.remove_suffix(1);
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t dot = std::min(s.find('.', start), s.size());
    const std::string_view label = s.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    start = dot + 1;
  }
  return true;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool loopback_url(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  return rest.starts_with("127.") || rest.starts_with("[::1]") || rest == "localhost" ||
         rest.starts_with("localhost:");
}

}  // namespace

void validate_discovery(const config_reader& r, config& cfg, std::string_view name,
                        std::vector<std::string>& warnings) {
  auto& cl = cfg.cluster;
  r.choice<discovery_mode, 5>("cluster", "discovery",
                              {{{"auto", discovery_mode::automatic},
                                {"gce", discovery_mode::gce},
                                {"static", discovery_mode::static_},
                                {"kubernetes", discovery_mode::kubernetes},
                                {"dns", discovery_mode::dns}}},
                              cl.discovery);

  // [gce] instance_group
  auto& g = cfg.gce;
  if (auto v = r.get_scalar("gce", "instance_group")) {
    if (!v->empty() && (!lower_alnum_dash(*v, 63) || !std::islower(static_cast<unsigned char>(v->front()))))
      r.fail("gce", "instance_group", *v,
             "must be a managed instance group name (1-63 lower-case letters, digits or '-', "
             "starting with a letter)");
    if (!v->empty() && !g.zones.empty())
      r.fail("gce", "instance_group", *v,
             "names one zonal or regional group: set [match] zone or [gce] region, not [gce] zones");
    g.instance_group = *v;
  }

  // [dns]
  auto& d = cfg.dns;
  if (auto v = r.get_scalar("dns", "name")) {
    if (!is_dns_or_srv_name(*v))
      r.fail("dns", "name", *v,
             "must be a DNS name (cache.ns.svc.cluster.local) or an SRV name "
             "(_gossip._udp.cache.ns.svc.cluster.local)");
    d.name = *v;
    if (d.name.back() == '.') d.name.pop_back();
  }
  r.duration("dns", "interval", std::chrono::seconds(1), std::chrono::hours(1), d.interval);

  // [kubernetes]
  auto& k = cfg.kubernetes;
  if (auto v = r.get_scalar("kubernetes", "api_server")) {
    if (!(v->starts_with("https://") || v->starts_with("http://")) || has_control(*v) ||
        v->find(' ') != std::string::npos)
      r.fail("kubernetes", "api_server", *v, "must be an https:// (or http://) URL");
    k.api_server = *v;
    while (!k.api_server.empty() && k.api_server.back() == '/') k.api_server.pop_back();
    if (k.api_server.starts_with("http://") && !loopback_url(k.api_server))
      warnings.push_back(std::string(name) + ": [kubernetes] api_server = " + *v +
                         " is plain http:// to a host that is not loopback: the service-account "
                         "token would travel in clear; use https://");
  }
  for (const char* key : {"token_file", "ca_file"}) {
    if (auto v = r.get_scalar("kubernetes", key)) {
      if (v->empty() || v->front() != '/' || has_control(*v))
        r.fail("kubernetes", key, *v, "must be an absolute path");
      (std::string_view(key) == "token_file" ? k.token_file : k.ca_file) = *v;
    }
  }
  if (auto v = r.get_scalar("kubernetes", "namespace")) {
    if (!lower_alnum_dash(*v, 63))
      r.fail("kubernetes", "namespace", *v,
             "must be a namespace name (1-63 lower-case letters, digits or '-')");
    k.namespace_name = *v;
  }
  if (auto v = r.get_scalar("kubernetes", "label_selector")) {
    if (util::trim(*v).empty() || has_control(*v))
      r.fail("kubernetes", "label_selector", *v,
             "must be a label selector such as app=cache or app=cache,tier!=web");
    k.label_selector = *v;
  }
  if (auto v = r.get_scalar("kubernetes", "port_name")) {
    if (!lower_alnum_dash(*v, 15))
      r.fail("kubernetes", "port_name", *v,
             "must be a container port name (1-15 lower-case letters, digits or '-')");
    k.port_name = *v;
  }
  r.boolean("kubernetes", "require_ready", k.require_ready);
  r.duration("kubernetes", "startup_timeout", std::chrono::seconds(0), std::chrono::hours(1),
             k.startup_timeout);

  if (cl.discovery == discovery_mode::dns && d.name.empty())
    r.fail("dns", "name", "not set, and [cluster] discovery = dns needs it");
  if (cl.discovery == discovery_mode::kubernetes && k.label_selector.empty())
    r.fail("kubernetes", "label_selector",
           "not set, and [cluster] discovery = kubernetes needs it (e.g. app=cache)");
}

}  // namespace agent
