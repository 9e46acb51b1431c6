#pragma once
// [render.NAME] and [hooks] of cachecluster.ini, checked (docs/config.md): the
// template exists and parses, the destination's directory exists, wait MIN <= MAX.

#include <string>
#include <string_view>
#include <vector>

#include "agent/config.hpp"
#include "agent/ini.hpp"

namespace agent {

/// The prefix of [render.NAME] sections.
inline constexpr std::string_view render_section_prefix = "render.";

/// The schema's name for a section: "render" for every [render.NAME], else `section`.
std::string schema_section(const std::string& section);

/// Fill cfg.renders and cfg.hooks from `ini`. Throws config_error naming the file (`name`),
/// the [section] key, the value and what is allowed.
void validate_outputs(const ini_file& ini, std::string_view name, config& cfg,
                      std::vector<std::string>& warnings);

/// "MIN" or "MIN:MAX" (durations); MIN alone means MAX = 4 x MIN, as consul-template does.
/// False when malformed or MIN > MAX.
bool parse_wait(std::string_view text, std::chrono::milliseconds& min,
                std::chrono::milliseconds& max);

}  // namespace agent
