#pragma once
// The static join list as a provider: IP addresses as they are, host names
// resolved again at every listing (every [dns] interval), so a seed name whose
// addresses change (a DNS round-robin, a re-created VM) brings the new ones in.
// Readiness still comes from a seed answering (the joiner), not from a listing.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "discovery/provider.hpp"
#include "discovery/resolver.hpp"

namespace discovery {

/// One seed of the join list.
struct seed {
  std::string host;        ///< IP literal or host name
  std::uint16_t port = 0;  ///< gossip port
};

/// Discovery from the join list.
class static_provider final : public provider {
 public:
  /// `resolver` defaults to the system's.
  static_provider(std::vector<seed> seeds, std::chrono::milliseconds interval,
                  std::shared_ptr<resolver> r = nullptr);

  std::string_view name() const override { return "static"; }
  bool listing_makes_ready() const override { return false; }
  /// Every seed, names resolved; a name that does not resolve is a warning, and the
  /// listing fails only when no seed gave an address.
  result list() override;
  std::chrono::milliseconds interval() const override { return interval_; }

  /// True when some seed is a host name (only then is re-resolving worth a thread).
  bool has_names() const;

 private:
  std::vector<seed> seeds_;
  std::chrono::milliseconds interval_;
  std::shared_ptr<resolver> resolver_;
};

}  // namespace discovery
