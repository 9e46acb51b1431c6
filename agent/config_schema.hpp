#pragma once
// Which sections and keys cachecluster.ini has (docs/config.md is the reference),
// and the warnings (unknown sections) or errors (unknown keys) for those a file has
// that we do not read.

#include <array>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/ini.hpp"

namespace agent {

/// Sections whose keys are data ([meta], [tags]): case-sensitive, any name allowed.
inline constexpr std::array<std::string_view, 2> case_sensitive_sections{"meta", "tags"};

/// Keys we read, by section. An empty set means "any key" ([meta], [tags]).
const std::map<std::string, std::set<std::string>>& known_keys();

/// gce-cache-cluster keys that tune its Go runtime; accepted so that its files load.
const std::set<std::pair<std::string, std::string>>& ignored_keys();

/// One warning per key outside any section, unknown section (once each) and ignored key, in
/// file order, with a "did you mean" hint when a known name is close. An unknown key in a
/// known section is an error: throws config_error naming the file, line and key, with the
/// hint. `name` stands for the file.
void warn_unknown(const ini_file& ini, std::string_view name, std::vector<std::string>& warnings);

}  // namespace agent
