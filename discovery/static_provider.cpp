#include "discovery/static_provider.hpp"

#include <algorithm>

#include "gce/discovery.hpp"

namespace discovery {

static_provider::static_provider(std::vector<seed> seeds, std::chrono::milliseconds interval,
                                 std::shared_ptr<resolver> r)
    : seeds_(std::move(seeds)),
      interval_(interval),
      resolver_(r ? std::move(r) : std::make_shared<system_resolver>()) {}

bool static_provider::has_names() const {
  return std::any_of(seeds_.begin(), seeds_.end(), [](const seed& s) { return !is_ip_literal(s.host); });
}

result static_provider::list() {
  result out;
  std::string last_error;
  for (const auto& s : seeds_) {
    if (is_ip_literal(s.host)) {
      out.addresses.push_back(gce::join_host_port(s.host, s.port));
      continue;
    }
    address_lookup a = resolver_->resolve(s.host);
    if (!a.error.empty()) {
      out.warnings.push_back("static: " + a.error);
      last_error = a.error;
      continue;
    }
    for (const auto& ip : a.ips) out.addresses.push_back(gce::join_host_port(ip, s.port));
  }
  std::sort(out.addresses.begin(), out.addresses.end());
  out.addresses.erase(std::unique(out.addresses.begin(), out.addresses.end()), out.addresses.end());
  if (out.addresses.empty() && !seeds_.empty())
    out.error = "static: no seed of the join list resolves (" + last_error + ")";
  return out;
}

}  // namespace discovery
