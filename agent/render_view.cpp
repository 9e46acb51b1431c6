#include "agent/render_view.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include <kainjow/mustache.hpp>

namespace agent {

namespace {

namespace mus = kainjow::mustache;

std::string host_of(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

mus::data peer_data(const peerlib::peer& p, std::string_view self_name) {
  mus::data d;
  d.set("name", p.name);
  d.set("address", p.address);
  d.set("host", host_of(p.address));
  d.set("port", std::to_string(p.port));
  d.set("cache_port", p.cache_port ? std::to_string(*p.cache_port) : std::string());
  d.set("cache_url", p.cache_url);
  d.set("endpoint",
        p.cache_port ? host_of(p.address) + ":" + std::to_string(*p.cache_port) : std::string());
  d.set("zone", p.zone);
  d.set("state", p.state == peerlib::peer_state::alive ? "alive" : "suspect");
  d.set("incarnation", std::to_string(p.incarnation));
  d.set("alive", p.state == peerlib::peer_state::alive);
  d.set("suspect", p.state == peerlib::peer_state::suspect);
  d.set("has_cache_port", p.cache_port.has_value());
  d.set("is_self", p.name == self_name);
  mus::data tags;
  mus::data tag_list{mus::data::type::list};
  std::size_t i = 0;
  for (const auto& [k, v] : p.tags) {
    tags.set(k, v);
    mus::data t;
    t.set("key", k);
    t.set("value", v);
    t.set("first", i == 0);
    t.set("last", i + 1 == p.tags.size());
    tag_list.push_back(t);
    ++i;
  }
  d.set("tags", tags);
  d.set("tag_list", tag_list);
  return d;
}

/// A Mustache list of `items` with index, number, first and last set on each.
mus::data marked_list(std::vector<mus::data> items) {
  mus::data list{mus::data::type::list};
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i].set("index", std::to_string(i));
    items[i].set("number", std::to_string(i + 1));
    items[i].set("first", i == 0);
    items[i].set("last", i + 1 == items.size());
    list.push_back(items[i]);
  }
  return list;
}

mus::data make_view(const peerlib::snapshot& snap, const render_filter& filter) {
  const std::string& self = snap.self.name;
  std::vector<const peerlib::peer*> kept;
  for (const auto& p : snap.peers)
    if (filter_keeps(filter, p, self)) kept.push_back(&p);
  std::sort(kept.begin(), kept.end(),
            [](const peerlib::peer* a, const peerlib::peer* b) { return a->name < b->name; });

  std::vector<mus::data> peers, others;
  std::map<std::string, std::vector<mus::data>> by_zone;
  for (const auto* p : kept) {
    peers.push_back(peer_data(*p, self));
    if (p->name != self) others.push_back(peer_data(*p, self));
    by_zone[p->zone].push_back(peer_data(*p, self));
  }
  std::vector<mus::data> zones;
  for (auto& [zone, members] : by_zone) {
    mus::data z;
    z.set("zone", zone);
    z.set("count", std::to_string(members.size()));
    z.set("peers", marked_list(std::move(members)));
    zones.push_back(std::move(z));
  }

  mus::data view;
  view.set("version", std::to_string(snap.version));
  view.set("local_mode", snap.local_mode);
  view.set("count", std::to_string(kept.size()));
  view.set("has_peers", !kept.empty());
  view.set("self", peer_data(snap.self, self));
  view.set("peers", marked_list(std::move(peers)));
  view.set("others", marked_list(std::move(others)));
  view.set("zones", marked_list(std::move(zones)));
  return view;
}

}  // namespace

bool filter_keeps(const render_filter& filter, const peerlib::peer& p, std::string_view self_name) {
  if (filter.live_only && p.state != peerlib::peer_state::alive) return false;
  if (filter.cache_only && !p.cache_port) return false;
  if (filter.exclude_self && p.name == self_name) return false;
  if (!filter.zones.empty() &&
      std::find(filter.zones.begin(), filter.zones.end(), p.zone) == filter.zones.end())
    return false;
  for (const auto& [k, v] : filter.tags) {
    auto it = p.tags.find(k);
    if (it == p.tags.end() || it->second != v) return false;
  }
  return true;
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::optional<std::string> template_error(std::string_view template_text) {
  mus::mustache t{std::string(template_text)};
  if (t.is_valid()) return std::nullopt;
  return t.error_message();
}

render_result render_template(std::string_view template_text, const peerlib::snapshot& snap,
                              const render_filter& filter, render_escape escape) {
  render_result r;
  mus::mustache t{std::string(template_text)};
  if (!t.is_valid()) {
    r.error = t.error_message();
    return r;
  }
  if (escape == render_escape::none) {
    t.set_custom_escape([](const std::string& s) { return s; });
  } else if (escape == render_escape::json) {
    t.set_custom_escape([](const std::string& s) { return json_escape(s); });
  }
  r.text = t.render(make_view(snap, filter));
  if (!t.is_valid()) {
    r.error = t.error_message();
    r.text.clear();
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace agent
