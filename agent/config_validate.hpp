#pragma once
// The value of every key cachecluster.ini has, checked and with defaults filled in:
// the allowed forms and ranges of docs/config.md, in one place.

#include <string>
#include <string_view>
#include <vector>

#include "agent/config.hpp"
#include "agent/ini.hpp"

namespace agent {

/// The config `ini` describes, every absent key at its default. Warnings for values that
/// are accepted but have no effect go to `warnings`. Throws config_error naming the
/// file (`name`), the [section] key, the value and what is allowed.
config validate_config(const ini_file& ini, std::string_view name,
                       std::vector<std::string>& warnings);

/// Settings that expose something on the network, one warning each, starting with `name`:
/// `[http] listen` not on a loopback address (the endpoint has no authentication), and an
/// `http://` `[gce] api_endpoint` on a host that is not loopback (the bearer token would
/// travel in clear). validate_config adds them to its warnings.
std::vector<std::string> exposure_warnings(const config& cfg, std::string_view name);

}  // namespace agent
