#pragma once
// `cachecluster check-config --probe`: with the real config, reach what discovery needs at
// start-up and say what is wrong, one line per step, without starting the agent:
//   gce:          the metadata server (this VM's identity), the service account, its scopes
//                 (compute-ro or cloud-platform), a token, then one Compute API listing, whose
//                 403 names the missing scope or the missing role (roles/compute.viewer);
//   dns, static:  one listing (the names resolved).
// Blocking (seconds, more when the metadata server is unreachable and retried).

#include <ostream>

#include "agent/config.hpp"

namespace agent {

/// Run the probe for `cfg`, printing "probe: ..." lines (and "  fix: ..." hints) to `out`.
/// Returns 0 when every step passed, 1 otherwise.
int probe_discovery(const config& cfg, std::ostream& out);

}  // namespace agent
