#include "discovery/dns_provider.hpp"

#include <algorithm>

#include "gce/discovery.hpp"

namespace discovery {

dns_provider::dns_provider(dns_settings settings, std::shared_ptr<resolver> r)
    : settings_(std::move(settings)), resolver_(r ? std::move(r) : std::make_shared<system_resolver>()) {}

result dns_provider::list() {
  result out;
  auto add = [&](const std::vector<std::string>& ips, std::uint16_t port) {
    for (const auto& ip : ips) {
      std::string a = gce::join_host_port(ip, port);
      if (a != settings_.self_address) out.addresses.push_back(std::move(a));
    }
  };
  if (srv()) {
    srv_lookup s = resolver_->resolve_srv(settings_.name);
    if (!s.error.empty()) {
      out.error = "dns: " + s.error;
      return out;
    }
    int resolved = 0;
    for (const auto& rec : s.records) {
      address_lookup a = resolver_->resolve(rec.target);
      if (!a.error.empty()) {
        out.warnings.push_back("dns: SRV target " + rec.target + ": " + a.error);
        continue;
      }
      ++resolved;
      add(a.ips, rec.port);
    }
    if (resolved == 0 && !s.records.empty())
      out.error = "dns: no target of SRV " + settings_.name + " resolves";
  } else {
    address_lookup a = resolver_->resolve(settings_.name);
    if (!a.error.empty()) {
      out.error = "dns: " + a.error;
      return out;
    }
    add(a.ips, settings_.port);
  }
  std::sort(out.addresses.begin(), out.addresses.end());
  out.addresses.erase(std::unique(out.addresses.begin(), out.addresses.end()), out.addresses.end());
  return out;
}

}  // namespace discovery
