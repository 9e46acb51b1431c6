#pragma once
// GCE discovery (gce::gce_provider: the metadata server and the Compute API)
// behind the provider interface. Polled on the cluster's API budget
// (gce/poll_policy.hpp); the identity is the VM's name, NIC IP and zone.

#include <memory>

#include "discovery/provider.hpp"
#include "gce/discovery.hpp"

namespace discovery {

/// The gce provider.
class gce_source final : public provider {
 public:
  explicit gce_source(std::unique_ptr<gce::gce_provider> p) : p_(std::move(p)) {}

  std::string_view name() const override { return "gce"; }
  identity self() const override;
  result list() override;
  bool budgeted() const override { return true; }

  /// The GCE provider (identity, settings).
  const gce::gce_provider& gce() const { return *p_; }

 private:
  std::unique_ptr<gce::gce_provider> p_;
};

/// A gce::discovery_result as a discovery::result.
result from_gce(gce::discovery_result r);

}  // namespace discovery
