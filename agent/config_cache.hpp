#pragma once
// [cache] check and its timings (docs/config.md): the check URL parses, the
// timeout fits in the interval, and [tags] leaves the reserved `cache` tag to it.

#include "agent/config.hpp"
#include "agent/config_reader.hpp"

namespace agent {

/// Fill c.check, check_interval, check_timeout, check_failures and check_successes from
/// [cache]. Throws config_error naming the file, the key, the value and what is allowed.
void validate_cache_check(const config_reader& r, cache_config& c);

}  // namespace agent
