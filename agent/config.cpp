#include "agent/config.hpp"

#include <ini.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <utility>

#include <arpa/inet.h>
#include <sys/un.h>

#include "swim/tags.hpp"

namespace agent {

namespace {

// One key as the file spells it. Values of a key given more than once (or
// continued on indented lines) are joined with '\n', as INIReader does.
struct raw_entry {
  std::string section;  // lower case
  std::string key;      // as written
  std::string value;
};

// Everything ini_parse reported, in file order.
struct raw_file {
  std::vector<raw_entry> entries;
  // (section, lookup key) -> index into entries. Lookup keys are lower case,
  // except in [meta] and [tags], whose keys are case-sensitive data.
  std::map<std::pair<std::string, std::string>, std::size_t> index;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool case_sensitive_keys(std::string_view section) {
  return section == "meta" || section == "tags";
}

int on_ini_value(void* user, const char* section, const char* name, const char* value) {
  auto& raw = *static_cast<raw_file*>(user);
  std::string sec = lower(section);
  std::string lookup = case_sensitive_keys(sec) ? std::string(name) : lower(name);
  auto [it, inserted] = raw.index.try_emplace({sec, lookup}, raw.entries.size());
  if (inserted) {
    raw.entries.push_back({sec, name, value});
  } else {
    raw.entries[it->second].value += '\n';
    raw.entries[it->second].value += value;
  }
  return 1;
}

// Keys we read, by section. An empty set means "any key" ([meta], [tags]).
const std::map<std::string, std::set<std::string>>& known_keys() {
  static const std::map<std::string, std::set<std::string>> keys{
      {"cache", {"port"}},
      {"cluster",
       {"port", "heartbeat", "bind", "advertise", "join", "profile", "udp_buffer_size",
        "leave_timeout", "discovery"}},
      {"match", {"project", "zone", "network_interface", "tags"}},
      {"meta", {}},
      {"node", {"name"}},
      {"publish", {"socket"}},
      {"http", {"listen"}},
      {"log", {"level", "format"}},
      {"tags", {}},
      {"gce",
       {"api_endpoint", "api_calls_per_minute", "min_poll_interval", "zones", "region", "labels",
        "status"}},
  };
  return keys;
}

// gce-cache-cluster keys that tune its Go runtime; accepted so that its files load.
const std::set<std::pair<std::string, std::string>>& ignored_keys() {
  static const std::set<std::pair<std::string, std::string>> keys{
      {"cache", "gc_percent"},
      {"cache", "periodic_release"},
  };
  return keys;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// "; did you mean port?" when one candidate is close, else "".
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(lower(word), c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best.empty() ? std::string() : "; did you mean " + best + "?";
}

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',' || text[i] == '\n') {
      std::string_view item = trim(text.substr(start, i - start));
      if (!item.empty()) items.emplace_back(item);
      start = i + 1;
    }
  }
  return items;
}

template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
  Int v{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return v;
}

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return s.front() != '-' && s.front() != '.';
}

// "host", "host:port", "[v6]" or "[v6]:port"; a bare IPv6 literal has no port.
// The port is nullopt when absent, 0 when present but invalid.
struct split_host {
  std::string host;
  std::optional<std::uint32_t> port;
  bool ok = true;
};

split_host bad_host() {
  split_host out;
  out.ok = false;
  return out;
}

split_host split_host_port(std::string_view text) {
  split_host out;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return bad_host();
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad_host();
      port_text = rest.substr(1);
      has_port = true;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    std::size_t colon = text.find(':');
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    has_port = true;
  } else {
    out.host = std::string(text);  // a name, an IPv4 literal, or a bare IPv6 literal
  }
  if (has_port) {
    auto p = parse_int<std::uint32_t>(port_text);
    out.port = (p && *p >= 1 && *p <= 65535) ? *p : 0;
  }
  return out;
}

// Reads typed values out of a raw_file, naming the file and key in every error.
class reader {
 public:
  reader(const raw_file& raw, std::string_view name) : raw_(raw), name_(name) {}

  /// The value of [section] key, trimmed; nullopt when absent.
  std::optional<std::string> get(const std::string& section, const std::string& key) const {
    auto it = raw_.index.find({section, key});
    if (it == raw_.index.end()) return std::nullopt;
    return std::string(unquote(trim(raw_.entries[it->second].value)));
  }

  /// Like get(), for a key that holds one value (not a list).
  std::optional<std::string> get_scalar(const std::string& section, const std::string& key) const {
    auto v = get(section, key);
    if (v && v->find('\n') != std::string::npos) {
      fail(section, key, *v, "set more than once (or continued on an indented line)");
    }
    return v;
  }

  [[noreturn]] void fail(const std::string& section, const std::string& key, std::string_view value,
                         std::string_view what) const {
    throw config_error(std::string(name_) + ": [" + section + "] " + key + " = " +
                       in_quotes(value) + ": " + std::string(what));
  }

  [[noreturn]] void fail(const std::string& section, const std::string& key,
                         std::string_view what) const {
    throw config_error(std::string(name_) + ": [" + section + "] " + key + ": " +
                       std::string(what));
  }

  void port(const std::string& section, const std::string& key, std::uint16_t& out) const {
    if (auto v = get_scalar(section, key)) {
      auto p = parse_int<std::uint32_t>(*v);
      if (!p || *p < 1 || *p > 65535) fail(section, key, *v, "must be an integer 1-65535");
      out = static_cast<std::uint16_t>(*p);
    }
  }

  template <typename Int>
  void integer(const std::string& section, const std::string& key, Int min, Int max,
               Int& out) const {
    if (auto v = get_scalar(section, key)) {
      auto n = parse_int<long long>(*v);
      if (!n || *n < static_cast<long long>(min) || *n > static_cast<long long>(max)) {
        fail(section, key, *v,
             "must be an integer " + std::to_string(min) + "-" + std::to_string(max));
      }
      out = static_cast<Int>(*n);
    }
  }

  void duration(const std::string& section, const std::string& key, std::chrono::milliseconds min,
                std::chrono::milliseconds max, std::chrono::milliseconds& out) const {
    if (auto v = get_scalar(section, key)) {
      auto d = parse_duration(*v);
      if (!d) {
        fail(section, key, *v,
             "must be a duration such as 250ms, 5s or 1m (a bare integer means milliseconds)");
      }
      if (*d < min || *d > max) {
        fail(section, key, *v,
             "must be between " + format_duration(min) + " and " + format_duration(max));
      }
      out = *d;
    }
  }

  template <typename Enum, std::size_t N>
  void choice(const std::string& section, const std::string& key,
              const std::array<std::pair<std::string_view, Enum>, N>& choices, Enum& out) const {
    if (auto v = get_scalar(section, key)) {
      std::string want = lower(*v);
      for (const auto& [text, value] : choices) {
        if (want == text) {
          out = value;
          return;
        }
      }
      std::string allowed;
      for (const auto& [text, value] : choices) {
        allowed += allowed.empty() ? "" : ", ";
        allowed += text;
      }
      fail(section, key, *v, "must be one of " + allowed);
    }
  }

  /// Keys and values of a free-form section ([meta], [tags]), in key order.
  std::map<std::string, std::string> section_map(const std::string& section) const {
    std::map<std::string, std::string> out;
    for (const auto& e : raw_.entries) {
      if (e.section != section) continue;
      std::string value(unquote(trim(e.value)));
      if (value.find('\n') != std::string::npos) {
        fail(section, e.key, value, "set more than once (or continued on an indented line)");
      }
      out.emplace(e.key, std::move(value));
    }
    return out;
  }

 private:
  // go-ini (gce-cache-cluster) strips one pair of double quotes; so do we.
  static std::string_view unquote(std::string_view s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
    return s;
  }

  const raw_file& raw_;
  std::string_view name_;
};

bool is_gce_name(std::string_view s) {
  // Zones, regions, network tags, NIC names: lower-case letters, digits, '-'.
  if (s.empty() || s.size() > 63 || !std::islower(static_cast<unsigned char>(s.front()))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

bool is_label_part(std::string_view s, bool key) {
  // GCE labels: up to 63 of lower-case letters, digits, '_' and '-'; keys start with a letter.
  if (s.size() > 63 ||
      (key && (s.empty() || !std::islower(static_cast<unsigned char>(s.front()))))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

// Size of a msgpack str header for a string of n bytes.
std::size_t msgpack_str_header(std::size_t n) {
  if (n < 32) return 1;
  if (n < 256) return 2;
  if (n < 65536) return 3;
  return 5;
}

// Size of Serf's node meta for these tags: 0xFF, a msgpack map header, then each string.
std::size_t encoded_tags_size(const std::map<std::string, std::string>& tags) {
  std::size_t size = 1 + (tags.size() < 16 ? 1 : tags.size() < 65536 ? 3 : 5);
  for (const auto& [k, v] : tags) {
    size += msgpack_str_header(k.size()) + k.size() + msgpack_str_header(v.size()) + v.size();
  }
  return size;
}

std::string host_name() {
  std::array<char, HOST_NAME_MAX + 1> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return {};
  return std::string(buf.data());
}

constexpr std::array<std::string_view, 12> instance_statuses{
    "PROVISIONING", "STAGING",   "RUNNING",    "STOPPING", "STOPPED",      "SUSPENDING",
    "SUSPENDED",    "REPAIRING", "TERMINATED", "PENDING",  "PENDING_STOP", "DEPROVISIONING",
};

void warn_unknown(const raw_file& raw, std::string_view name, std::vector<std::string>& warnings) {
  const auto& known = known_keys();
  std::vector<std::string> section_names;
  for (const auto& [section, keys] : known) section_names.push_back(section);
  std::set<std::string> reported_sections;
  for (const auto& e : raw.entries) {
    std::string where = std::string(name) + ": ";
    if (e.section.empty()) {
      warnings.push_back(where + e.key + ": key outside any [section] (ignored)");
      continue;
    }
    auto it = known.find(e.section);
    if (it == known.end()) {
      if (reported_sections.insert(e.section).second) {
        warnings.push_back(where + "[" + e.section + "]: unknown section (ignored)" +
                           suggestion(e.section, section_names));
      }
      continue;
    }
    if (it->second.empty()) continue;  // free-form section
    std::string key = lower(e.key);
    if (it->second.count(key) != 0) continue;
    if (ignored_keys().count({e.section, key}) != 0) {
      warnings.push_back(where + "[" + e.section + "] " + e.key +
                         ": a Go runtime setting of gce-cache-cluster (ignored)");
      continue;
    }
    std::vector<std::string> candidates(it->second.begin(), it->second.end());
    warnings.push_back(where + "[" + e.section + "] " + e.key + ": unknown key (ignored)" +
                       suggestion(key, candidates));
  }
}

config validate(const raw_file& raw, std::string_view name, std::vector<std::string>& warnings) {
  reader r(raw, name);
  config cfg;

  // [cache]
  if (r.get_scalar("cache", "port")) {
    std::uint16_t port = 0;
    r.port("cache", "port", port);
    cfg.cache.port = port;
  }

  // [cluster]
  auto& cl = cfg.cluster;
  r.port("cluster", "port", cl.port);
  r.duration("cluster", "heartbeat", std::chrono::milliseconds(10), std::chrono::minutes(1),
             cl.heartbeat);
  if (auto v = r.get_scalar("cluster", "bind")) {
    if (!is_ip_literal(*v)) {
      r.fail("cluster", "bind", *v, "must be an IPv4 or IPv6 address, e.g. 0.0.0.0 or ::");
    }
    cl.bind = *v;
  }
  if (auto v = r.get_scalar("cluster", "advertise")) {
    auto hp = split_host_port(*v);
    if (!hp.ok || !is_ip_literal(hp.host) || (hp.port && *hp.port == 0)) {
      r.fail("cluster", "advertise", *v,
             "must be an IP address with an optional port 1-65535, e.g. 10.0.0.2 or "
             "10.0.0.2:7946 or [2001:db8::2]:7946");
    }
    if (hp.host == "0.0.0.0" || hp.host == "::") {
      r.fail("cluster", "advertise", *v, "must be an address peers can reach, not a wildcard");
    }
    cl.advertise = host_port{hp.host, static_cast<std::uint16_t>(hp.port.value_or(cl.port))};
  }
  if (auto v = r.get("cluster", "join")) {
    for (const auto& item : split_list(*v)) {
      auto hp = split_host_port(item);
      if (!hp.ok || (!is_ip_literal(hp.host) && !is_dns_name(hp.host)) ||
          (hp.port && *hp.port == 0)) {
        r.fail("cluster", "join", *v,
               "seed " + in_quotes(item) +
                   " must be HOST or HOST:PORT (port 1-65535), comma-separated; HOST is a DNS "
                   "name or IP address, IPv6 in brackets when a port follows");
      }
      cl.join.push_back(host_port{hp.host, static_cast<std::uint16_t>(hp.port.value_or(cl.port))});
    }
  }
  r.choice<timing_profile, 3>("cluster", "profile",
                              {{{"lan", timing_profile::lan},
                                {"wan", timing_profile::wan},
                                {"local", timing_profile::local}}},
                              cl.profile);
  if (cl.profile != timing_profile::heartbeat && r.get("cluster", "heartbeat")) {
    warnings.push_back(std::string(name) + ": [cluster] heartbeat: ignored because profile = " +
                       std::string(to_string(cl.profile)));
  }
  r.choice<discovery_mode, 3>("cluster", "discovery",
                              {{{"auto", discovery_mode::automatic},
                                {"gce", discovery_mode::gce},
                                {"static", discovery_mode::static_}}},
                              cl.discovery);
  r.integer<std::size_t>("cluster", "udp_buffer_size", 512, 65507, cl.udp_buffer_size);
  r.duration("cluster", "leave_timeout", std::chrono::milliseconds(0), std::chrono::minutes(5),
             cl.leave_timeout);

  // [match], [meta]
  auto& m = cfg.match;
  if (auto v = r.get_scalar("match", "project")) {
    if (has_space_or_control(*v)) r.fail("match", "project", *v, "must be a project ID");
    m.project = *v;
  }
  if (auto v = r.get_scalar("match", "zone")) {
    if (!v->empty() && !is_gce_name(*v)) {
      r.fail("match", "zone", *v, "must be a zone name such as us-central1-a");
    }
    m.zone = *v;
  }
  if (auto v = r.get_scalar("match", "network_interface")) {
    if (!is_gce_name(*v)) {
      r.fail("match", "network_interface", *v, "must be a NIC name such as nic0");
    }
    m.network_interface = *v;
  }
  if (auto v = r.get("match", "tags")) {
    for (const auto& tag : split_list(*v)) {
      if (!is_gce_name(tag)) {
        r.fail("match", "tags", *v,
               "tag " + in_quotes(tag) +
                   " must be 1-63 lower-case letters, digits or '-', starting with a letter");
      }
      m.tags.push_back(tag);
    }
  }
  m.meta = r.section_map("meta");

  // [node]
  if (auto v = r.get_scalar("node", "name")) {
    if (v->empty() || v->size() > 128 || has_space_or_control(*v)) {
      r.fail("node", "name", *v, "must be 1-128 characters without spaces or control characters");
    }
    cfg.node.name = *v;
  } else {
    cfg.node.name = host_name();
    if (cfg.node.name.empty()) {
      r.fail("node", "name", "not set, and the host name is unavailable; set a name");
    }
  }

  // [publish]
  if (auto v = r.get_scalar("publish", "socket")) {
    if (v->empty() || v->front() != '/' || v->size() >= sizeof(sockaddr_un::sun_path)) {
      r.fail("publish", "socket", *v,
             "must be an absolute path shorter than " +
                 std::to_string(sizeof(sockaddr_un::sun_path)) + " bytes");
    }
    cfg.publish.socket = *v;
  }

  // [http]
  if (auto v = r.get_scalar("http", "listen")) {
    auto hp = split_host_port(*v);
    if (!hp.ok || !is_ip_literal(hp.host) || !hp.port || *hp.port == 0) {
      r.fail("http", "listen", *v,
             "must be IP:PORT with port 1-65535, e.g. 127.0.0.1:9101 or [::1]:9101");
    }
    cfg.http.listen = host_port{hp.host, static_cast<std::uint16_t>(*hp.port)};
  }

  // [log]
  r.choice<log_level, 5>("log", "level",
                         {{{"trace", log_level::trace},
                           {"debug", log_level::debug},
                           {"info", log_level::info},
                           {"warn", log_level::warn},
                           {"error", log_level::error}}},
                         cfg.log.level);
  r.choice<log_format, 2>(
      "log", "format", {{{"text", log_format::text}, {"json", log_format::json}}}, cfg.log.format);

  // [tags]
  cfg.tags = r.section_map("tags");
  if (std::size_t size = encoded_tags_size(cfg.tags); size > swim::meta_max_size) {
    throw config_error(std::string(name) + ": [tags]: the tags encode to " + std::to_string(size) +
                       " bytes of node meta; at most " + std::to_string(swim::meta_max_size) +
                       " are allowed");
  }

  // [gce]
  auto& g = cfg.gce;
  if (auto v = r.get_scalar("gce", "api_endpoint")) {
    if (!(v->starts_with("https://") || v->starts_with("http://")) || has_space_or_control(*v)) {
      r.fail("gce", "api_endpoint", *v, "must be an http:// or https:// URL");
    }
    g.api_endpoint = *v;
  }
  r.integer<int>("gce", "api_calls_per_minute", 1, 6000, g.api_calls_per_minute);
  r.duration("gce", "min_poll_interval", std::chrono::seconds(1), std::chrono::hours(1),
             g.min_poll_interval);
  if (auto v = r.get("gce", "zones")) {
    for (const auto& zone : split_list(*v)) {
      if (!is_gce_name(zone)) {
        r.fail("gce", "zones", *v,
               "zone " + in_quotes(zone) + " must be a zone name such as us-central1-a");
      }
      g.zones.push_back(zone);
    }
  }
  if (auto v = r.get_scalar("gce", "region")) {
    if (!v->empty() && !is_gce_name(*v)) {
      r.fail("gce", "region", *v, "must be a region name such as us-central1");
    }
    g.region = *v;
  }
  int zone_settings =
      (m.zone.empty() ? 0 : 1) + (g.zones.empty() ? 0 : 1) + (g.region.empty() ? 0 : 1);
  if (zone_settings > 1) {
    throw config_error(std::string(name) +
                       ": [match] zone, [gce] zones, [gce] region: set only one of them (each "
                       "chooses the zones that are listed)");
  }
  if (auto v = r.get("gce", "labels")) {
    for (const auto& item : split_list(*v)) {
      std::size_t eq = item.find('=');
      std::string key = std::string(trim(std::string_view(item).substr(0, eq)));
      std::string value =
          eq == std::string::npos ? std::string() : std::string(trim(item.substr(eq + 1)));
      if (eq == std::string::npos || !is_label_part(key, true) || !is_label_part(value, false)) {
        r.fail("gce", "labels", *v,
               "label " + in_quotes(item) +
                   " must be KEY=VALUE, comma-separated; lower-case letters, digits, '_' and '-', "
                   "up to 63 each, KEY starting with a letter");
      }
      g.labels[key] = value;
    }
  }
  if (auto v = r.get("gce", "status")) {
    g.status.clear();
    for (const auto& item : split_list(*v)) {
      std::string status = upper(item);
      if (std::find(instance_statuses.begin(), instance_statuses.end(), status) ==
          instance_statuses.end()) {
        std::string allowed;
        for (auto s : instance_statuses) {
          allowed += allowed.empty() ? "" : ", ";
          allowed += s;
        }
        r.fail("gce", "status", *v,
               "status " + in_quotes(item) + " must be one of " + allowed + " (comma-separated)");
      }
      g.status.push_back(status);
    }
    if (g.status.empty()) r.fail("gce", "status", *v, "must name at least one status");
  }
  return cfg;
}

}  // namespace

std::string host_port::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string_view to_string(discovery_mode d) {
  switch (d) {
    case discovery_mode::automatic: return "auto";
    case discovery_mode::gce: return "gce";
    case discovery_mode::static_: return "static";
  }
  return "auto";
}

std::string_view to_string(timing_profile p) {
  switch (p) {
    case timing_profile::heartbeat:
      return "heartbeat";
    case timing_profile::lan:
      return "lan";
    case timing_profile::wan:
      return "wan";
    case timing_profile::local:
      return "local";
  }
  return "?";
}

std::string_view to_string(log_level l) {
  switch (l) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "?";
}

std::string_view to_string(log_format f) {
  switch (f) {
    case log_format::text:
      return "text";
    case log_format::json:
      return "json";
  }
  return "?";
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim(text);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  auto n = parse_int<std::int64_t>(text.substr(0, digits));
  if (!n) return std::nullopt;
  std::string_view unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else {
    return std::nullopt;
  }
  // Far beyond any allowed range, and safe from overflow.
  if (*n > std::int64_t{1} << 40) return std::nullopt;
  return std::chrono::milliseconds(*n * scale);
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

loaded_config parse_config(std::string_view text, std::string_view name) {
  // inih reads at most INI_MAX_LINE bytes per line and treats the rest as a new
  // line, which would misparse silently; refuse long lines instead.
  std::size_t line_no = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      std::size_t length = i - line_start;
      if (length > 0 && text[i - 1] == '\r') --length;
      if (length >= INI_MAX_LINE - 1) {
        throw config_error(std::string(name) + ":" + std::to_string(line_no) + ": line is " +
                           std::to_string(length) + " characters long; the limit is " +
                           std::to_string(INI_MAX_LINE - 2) +
                           " (continue a long list on indented lines)");
      }
      ++line_no;
      line_start = i + 1;
    }
  }
  if (text.find('\0') != std::string_view::npos) {
    throw config_error(std::string(name) + ": contains a NUL byte; not a text file");
  }

  raw_file raw;
  std::string buffer(text);
  int rc = ini_parse_string(buffer.c_str(), on_ini_value, &raw);
  if (rc > 0) {
    throw config_error(std::string(name) + ":" + std::to_string(rc) +
                       ": INI syntax error (expected [section], key = value, or a ; or # comment)");
  }
  if (rc != 0) throw config_error(std::string(name) + ": cannot parse (out of memory?)");

  loaded_config out;
  warn_unknown(raw, name, out.warnings);
  out.cfg = validate(raw, name, out.warnings);
  return out;
}

loaded_config load_config(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw config_error(path.string() + ": cannot read: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw config_error(path.string() + ": cannot open: " + std::strerror(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    int err = errno;
    throw config_error(path.string() + ": cannot read: " + std::strerror(err));
  }
  return parse_config(text.str(), path.string());
}

}  // namespace agent
