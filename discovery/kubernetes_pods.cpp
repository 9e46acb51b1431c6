#include "discovery/kubernetes_pods.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "gce/discovery.hpp"
#include "gce/http_client.hpp"

namespace discovery {
namespace {

using json = nlohmann::json;

const json* field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string text(const json& j, const char* key) {
  const json* f = field(j, key);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

pod decode_pod(const json& j) {
  pod p;
  if (const json* md = field(j, "metadata")) {
    p.name = text(*md, "name");
    p.resource_version = text(*md, "resourceVersion");
    p.terminating = field(*md, "deletionTimestamp") != nullptr;
  }
  if (const json* spec = field(j, "spec")) {
    p.node_name = text(*spec, "nodeName");
    if (const json* cs = field(*spec, "containers"); cs != nullptr && cs->is_array()) {
      for (const json& c : *cs) {
        const json* ports = field(c, "ports");
        if (ports == nullptr || !ports->is_array()) continue;
        for (const json& port : *ports) {
          const std::string name = text(port, "name");
          const json* n = field(port, "containerPort");
          if (name.empty() || n == nullptr || !n->is_number_integer()) continue;
          const auto v = n->get<std::int64_t>();
          if (v > 0 && v < 65536 && !p.ports.count(name)) p.ports[name] = static_cast<std::uint16_t>(v);
        }
      }
    }
  }
  if (const json* st = field(j, "status")) {
    p.phase = text(*st, "phase");
    p.ip = text(*st, "podIP");
    if (const json* conds = field(*st, "conditions"); conds != nullptr && conds->is_array()) {
      for (const json& c : *conds)
        if (text(c, "type") == "Ready") p.ready = text(c, "status") == "True";
    }
  }
  return p;
}

std::optional<json> parse_object(std::string_view body, std::string& error, const char* what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = std::string("malformed JSON in ") + what;
    return std::nullopt;
  }
  return j;
}

}  // namespace

std::optional<pod_list> parse_pod_list(std::string_view body, std::string& error) {
  auto j = parse_object(body, error, "pod list");
  if (!j) return std::nullopt;
  pod_list out;
  if (const json* md = field(*j, "metadata")) out.resource_version = text(*md, "resourceVersion");
  if (const json* items = field(*j, "items")) {
    if (!items->is_array()) {
      error = "pod list items is not an array";
      return std::nullopt;
    }
    for (const json& i : *items)
      if (i.is_object()) out.pods.push_back(decode_pod(i));
  }
  return out;
}

std::optional<pod> parse_pod(std::string_view body, std::string& error) {
  auto j = parse_object(body, error, "pod");
  if (!j) return std::nullopt;
  return decode_pod(*j);
}

std::optional<std::map<std::string, std::string>> parse_node_labels(std::string_view body) {
  std::string error;
  auto j = parse_object(body, error, "node");
  if (!j) return std::nullopt;
  std::map<std::string, std::string> out;
  if (const json* md = field(*j, "metadata"))
    if (const json* labels = field(*md, "labels"); labels != nullptr && labels->is_object())
      for (const auto& [k, v] : labels->items())
        if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::optional<watch_event> parse_watch_event(std::string_view line, std::string& error) {
  auto j = parse_object(line, error, "watch event");
  if (!j) return std::nullopt;
  const std::string type = text(*j, "type");
  const json* obj = field(*j, "object");
  if (obj == nullptr || !obj->is_object()) {
    error = "watch event without an object";
    return std::nullopt;
  }
  watch_event e;
  if (type == "ADDED") e.type = watch_event::kind::added;
  else if (type == "MODIFIED") e.type = watch_event::kind::modified;
  else if (type == "DELETED") e.type = watch_event::kind::deleted;
  else if (type == "BOOKMARK") e.type = watch_event::kind::bookmark;
  else if (type == "ERROR") e.type = watch_event::kind::error;
  else {
    error = "unknown watch event type \"" + type + "\"";
    return std::nullopt;
  }
  if (e.type == watch_event::kind::error) {
    // A Status object: {"kind":"Status","code":410,"reason":"Expired","message":...}
    if (const json* c = field(*obj, "code"); c != nullptr && c->is_number_integer())
      e.code = c->get<int>();
    e.message = text(*obj, "message");
    return e;
  }
  e.object = decode_pod(*obj);
  if (e.type != watch_event::kind::bookmark && e.object.name.empty()) {
    error = "watch event for a pod without a name";
    return std::nullopt;
  }
  return e;
}

bool line_splitter::feed(std::string_view bytes,
                         const std::function<void(std::string_view)>& on_line) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      return partial_.size() <= max_;
    }
    partial_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    if (partial_.size() > max_) return false;
    if (!partial_.empty()) on_line(partial_);
    partial_.clear();
  }
  return true;
}

void pod_set::reset(const pod_list& list) {
  pods_.clear();
  for (const auto& p : list.pods) pods_[p.name] = p;
  rv_ = list.resource_version;
}

bool pod_set::apply(const watch_event& e) {
  using k = watch_event::kind;
  if (e.type == k::error) return false;
  if (!e.object.resource_version.empty()) rv_ = e.object.resource_version;
  switch (e.type) {
    case k::added:
    case k::modified:
      pods_[e.object.name] = e.object;
      return true;
    case k::deleted:
      return pods_.erase(e.object.name) > 0;
    case k::bookmark:
    case k::error:
      break;
  }
  return false;
}

std::vector<std::string> pod_set::candidates(const pod_rules& rules) const {
  std::vector<std::string> out;
  for (const auto& [name, p] : pods_) {
    if (name == rules.self_name || p.phase != "Running" || p.ip.empty() || p.terminating) continue;
    if (rules.require_ready && !p.ready) continue;
    std::uint16_t port = rules.default_port;
    if (!rules.port_name.empty()) {
      auto it = p.ports.find(rules.port_name);
      if (it == p.ports.end()) continue;
      port = it->second;
    }
    out.push_back(gce::join_host_port(p.ip, port));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string query_encode(std::string_view s) { return gce::url_encode(s); }

}  // namespace discovery
