#include "agent/config_overrides.hpp"

#include "swim/address.hpp"
#include "util/host_port.hpp"

namespace agent {

namespace {

// --bind: an IP literal with an optional port ("10.0.0.2", "10.0.0.2:7946", "[::1]:7946")
// becomes [cluster] bind (the address in its canonical form) and, when a port is written,
// [cluster] port. Any other text goes to [cluster] bind whole, whose check then names it.
void split_bind(const std::string& text, std::string& host, std::string& port) {
  host = text;
  port.clear();
  auto a = swim::address::parse(text, 1);
  if (!a) return;
  host = a->ip_string();
  auto parts = util::split_host_port(text);
  if (parts && parts->port) port = std::to_string(a->port);
}

}  // namespace

std::vector<std::string> apply_overrides(config& cfg, const overrides& o) {
  // Each flag is checked by the same code as the file: build an INI fragment from the flags
  // and parse it, so errors read "command line: [cluster] port = ...".
  std::string ini;
  // Quoted: a " #" in a flag's value is part of it, not a comment.
  auto add = [&ini](const char* section, const char* key, const std::string& value) {
    ini += std::string("[") + section + "]\n" + key + " = \"" + value + "\"\n";
  };
  std::string bind_host, bind_port;
  if (o.node) add("node", "name", *o.node);
  if (o.bind) {
    split_bind(*o.bind, bind_host, bind_port);
    add("cluster", "bind", bind_host);
    if (!bind_port.empty()) add("cluster", "port", bind_port);
  }
  if (o.advertise) add("cluster", "advertise", *o.advertise);
  if (!o.join.empty()) {
    std::string j;
    for (const auto& s : o.join) j += (j.empty() ? "" : ",") + s;
    add("cluster", "join", j);
  }
  if (o.profile && *o.profile != "heartbeat") add("cluster", "profile", *o.profile);
  if (o.log_level) add("log", "level", *o.log_level);
  if (o.socket) add("publish", "socket", *o.socket);
  if (o.http) add("http", "listen", *o.http);
  if (o.encrypt) add("encrypt", "key", *o.encrypt);
  if (ini.empty()) return {};
  loaded_config parsed = parse_config(ini, "command line");
  const config& f = parsed.cfg;
  if (o.node) cfg.node = f.node;
  if (o.bind) {
    cfg.cluster.bind = f.cluster.bind;
    if (!bind_port.empty()) cfg.cluster.port = f.cluster.port;
  }
  if (o.advertise) cfg.cluster.advertise = f.cluster.advertise;
  if (!o.join.empty()) cfg.cluster.join = f.cluster.join;
  if (o.profile) cfg.cluster.profile = f.cluster.profile;
  if (o.log_level) cfg.log.level = f.log.level;
  if (o.socket) cfg.publish.socket = f.publish.socket;
  if (o.http) cfg.http.listen = f.http.listen;
  if (o.encrypt) cfg.encrypt.key = f.encrypt.key;
  // The fragment leaves every other key at its default, which raises no warning.
  return std::move(parsed.warnings);
}

}  // namespace agent
