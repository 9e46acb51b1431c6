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

}  // namespace agent
