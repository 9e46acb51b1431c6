#include "agent/config_outputs.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "agent/atomic_file.hpp"
#include "agent/config_reader.hpp"
#include "agent/render_view.hpp"
#include "util/strings.hpp"

namespace agent {

namespace {

bool valid_render_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::string absolute_path(const config_reader& r, const std::string& section, const char* key) {
  auto v = r.get_scalar(section, key);
  if (!v) r.fail(section, key, "is required");
  if (v->empty() || v->front() != '/') r.fail(section, key, *v, "must be an absolute path");
  return *v;
}

render_config read_render(const config_reader& r, std::string_view file, const std::string& section) {
  render_config rc;
  rc.name = section.substr(render_section_prefix.size());
  if (!valid_render_name(rc.name)) {
    throw config_error(std::string(file) + ": [" + section +
                       "]: the name after \"render.\" must be 1-64 lower-case letters, digits, "
                       "'_' or '-'");
  }
  rc.template_path = absolute_path(r, section, "template");
  std::string error;
  auto text = read_file(rc.template_path, &error);
  if (!text)
    r.fail(section, "template", rc.template_path,
           error.empty() ? "no such file" : "cannot read: " + error);
  if (auto why = template_error(*text))
    r.fail(section, "template", rc.template_path, "not a valid Mustache template: " + *why);

  rc.destination = absolute_path(r, section, "destination");
  std::error_code ec;
  const std::filesystem::path dest(rc.destination);
  if (std::filesystem::is_directory(dest, ec))
    r.fail(section, "destination", rc.destination, "is a directory; name the file to write");
  if (!std::filesystem::is_directory(dest.parent_path(), ec))
    r.fail(section, "destination", rc.destination,
           "its directory " + dest.parent_path().string() + " does not exist");

  if (auto v = r.get_scalar(section, "mode")) {
    const bool octal = !v->empty() && v->size() <= 4 &&
                       std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '7'; });
    if (!octal) r.fail(section, "mode", *v, "must be an octal file mode such as 0644 or 640");
    rc.mode = static_cast<unsigned>(std::stoul(*v, nullptr, 8));
  }
  if (auto v = r.get_scalar(section, "command")) rc.command = *v;
  r.duration(section, "command_timeout", std::chrono::seconds(1), std::chrono::hours(1),
             rc.command_timeout);
  if (auto v = r.get_scalar(section, "wait")) {
    if (!parse_wait(*v, rc.wait_min, rc.wait_max) || rc.wait_max > std::chrono::minutes(10))
      r.fail(section, "wait", *v,
             "must be MIN or MIN:MAX, durations with MIN <= MAX <= 10m, e.g. 2s:10s (MIN alone: "
             "MAX = 4 x MIN)");
  }
  r.choice<render_escape, 3>(section, "escape",
                             {{{"none", render_escape::none},
                               {"json", render_escape::json},
                               {"html", render_escape::html}}},
                             rc.escape);
  r.boolean(section, "live_only", rc.filter.live_only);
  r.boolean(section, "cache_only", rc.filter.cache_only);
  r.boolean(section, "exclude_self", rc.filter.exclude_self);
  r.boolean(section, "restore_on_failure", rc.restore_on_failure);
  if (auto v = r.get(section, "zones")) rc.filter.zones = split_list(*v);
  if (auto v = r.get(section, "tags")) {
    for (const auto& item : split_list(*v)) {
      auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        r.fail(section, "tags", *v,
               "tag " + in_quotes(item) + " must be KEY=VALUE, comma-separated");
      rc.filter.tags.emplace_back(std::string(util::trim(item.substr(0, eq))),
                                  std::string(util::trim(item.substr(eq + 1))));
    }
  }
  return rc;
}

}  // namespace

std::string schema_section(const std::string& section) {
  if (section.starts_with(render_section_prefix)) return "render";
  return section;
}

bool parse_wait(std::string_view text, std::chrono::milliseconds& min,
                std::chrono::milliseconds& max) {
  auto colon = text.find(':');
  auto lo = parse_duration(text.substr(0, colon));
  if (!lo) return false;
  std::optional<std::chrono::milliseconds> hi =
      colon == std::string_view::npos ? std::optional(*lo * 4) : parse_duration(text.substr(colon + 1));
  if (!hi || *hi < *lo) return false;
  min = *lo;
  max = *hi;
  return true;
}

void validate_outputs(const ini_file& ini, std::string_view name, config& cfg,
                      std::vector<std::string>& warnings) {
  (void)warnings;
  config_reader r(ini, name);
  std::set<std::string> sections;
  for (const auto& e : ini.entries()) {
    if (e.section == "render")
      throw config_error(std::string(name) +
                         ": [render]: a render section needs a name: [render.NAME]");
    if (e.section.starts_with(render_section_prefix) && sections.insert(e.section).second) {
      cfg.renders.push_back(read_render(r, name, e.section));
    }
  }
  std::set<std::string> destinations;
  for (const auto& rc : cfg.renders) {
    if (!destinations.insert(rc.destination).second)
      throw config_error(std::string(name) + ": [render." + rc.name + "] destination = " +
                         in_quotes(rc.destination) + ": another [render.*] writes it too");
  }
  if (auto v = r.get_scalar("hooks", "on_change")) cfg.hooks.on_change = *v;
  r.duration("hooks", "timeout", std::chrono::seconds(1), std::chrono::hours(1),
             cfg.hooks.timeout);
}

}  // namespace agent
