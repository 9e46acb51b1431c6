#pragma once
// Candidates from DNS: a name re-resolved every interval with the system
// resolver, e.g. a Kubernetes headless Service (cache.ns.svc.cluster.local: one
// A/AAAA record per ready pod). A name starting with '_' is an SRV name
// (_gossip._udp.cache.ns.svc.cluster.local) whose records give each target and
// its port. New addresses are joined; addresses that disappear are not removed
// (gossip decides who is alive).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "discovery/provider.hpp"
#include "discovery/resolver.hpp"

namespace discovery {

/// What dns_provider resolves.
struct dns_settings {
  std::string name;                                    ///< [dns] name
  std::uint16_t port = 7946;                           ///< gossip port for A/AAAA answers
  std::chrono::milliseconds interval{std::chrono::seconds(10)};  ///< [dns] interval
  std::string self_address;                            ///< "ip:port" left out of results
};

/// Discovery by DNS name (A/AAAA) or SRV name.
class dns_provider final : public provider {
 public:
  /// `resolver` defaults to the system's.
  explicit dns_provider(dns_settings settings, std::shared_ptr<resolver> r = nullptr);

  std::string_view name() const override { return "dns"; }
  result list() override;
  std::chrono::milliseconds interval() const override { return settings_.interval; }

  /// True when the configured name is an SRV name (starts with '_').
  bool srv() const { return !settings_.name.empty() && settings_.name.front() == '_'; }

 private:
  dns_settings settings_;
  std::shared_ptr<resolver> resolver_;
};

}  // namespace discovery
