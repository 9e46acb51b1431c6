#pragma once
// The discovery keys of cachecluster.ini: [cluster] discovery, [gce]
// instance_group, [dns] and [kubernetes] (docs/config.md). Part of
// validate_config, kept apart so that file stays one screenful per section.

#include <string>
#include <string_view>
#include <vector>

#include "agent/config.hpp"
#include "agent/config_reader.hpp"

namespace agent {

/// Read and check the discovery keys into `cfg` (after [match] and [gce]); warnings for
/// accepted but risky values go to `warnings`. Throws config_error.
void validate_discovery(const config_reader& r, config& cfg, std::string_view name,
                        std::vector<std::string>& warnings);

}  // namespace agent
