#include "discovery/emulator/k8s_state.hpp"

#include <algorithm>
#include <cctype>

#include "util/strings.hpp"

namespace discovery::k8s_emulator {

using json = nlohmann::json;

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view kv = q.substr(0, amp);
    const auto eq = kv.find('=');
    out[percent_decode(kv.substr(0, eq))] =
        eq == std::string_view::npos ? "" : percent_decode(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  for (auto part : split(p, '/'))
    if (!part.empty()) out.emplace_back(part);
  return out;
}

/// A core/v1 Status body.
response status(int code, const std::string& reason, const std::string& message) {
  return {code, json{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()},
                     {"status", "Failure"}, {"message", message}, {"reason", reason}, {"code", code}}
                    .dump()};
}

bool valid_key(std::string_view k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

}  // namespace

std::optional<std::string> request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (util::lower(k) == util::lower(name)) return v;
  return std::nullopt;
}

// ---- selector ----

std::optional<selector> selector::parse(std::string_view text) {
  selector out;
  std::string s(util::trim(text));
  std::size_t i = 0;
  while (i < s.size()) {
    // One term up to a comma that is not inside parentheses.
    std::size_t end = i;
    int depth = 0;
    for (; end < s.size(); ++end) {
      if (s[end] == '(') ++depth;
      if (s[end] == ')') --depth;
      if (s[end] == ',' && depth == 0) break;
    }
    std::string t(util::trim(std::string_view(s).substr(i, end - i)));
    i = end + 1;
    if (t.empty()) return std::nullopt;
    term tm;
    if (auto sp = t.find(' '); sp != std::string::npos && t.find('(') != std::string::npos) {
      tm.key = t.substr(0, sp);
      std::string rest(util::trim(std::string_view(t).substr(sp)));
      if (rest.starts_with("in ")) tm.o = term::op::in;
      else if (rest.starts_with("notin ")) tm.o = term::op::not_in;
      else return std::nullopt;
      const auto open = rest.find('('), close = rest.rfind(')');
      if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
      for (auto v : split(std::string_view(rest).substr(open + 1, close - open - 1), ','))
        tm.values.emplace_back(util::trim(v));
    } else if (auto ne = t.find("!="); ne != std::string::npos) {
      tm.key = std::string(util::trim(std::string_view(t).substr(0, ne)));
      tm.o = term::op::ne;
      tm.values = {std::string(util::trim(std::string_view(t).substr(ne + 2)))};
    } else if (auto eq = t.find('='); eq != std::string::npos) {
      tm.key = std::string(util::trim(std::string_view(t).substr(0, eq)));
      const std::size_t from = t.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1;
      tm.values = {std::string(util::trim(std::string_view(t).substr(from)))};
    } else if (t.front() == '!') {
      tm.key = std::string(util::trim(std::string_view(t).substr(1)));
      tm.o = term::op::not_exists;
    } else {
      tm.key = t;
      tm.o = term::op::exists;
    }
    if (!valid_key(tm.key)) return std::nullopt;
    out.terms_.push_back(std::move(tm));
  }
  return out;
}

bool selector::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& t : terms_) {
    auto it = labels.find(t.key);
    const bool has = it != labels.end();
    const bool in = has && std::find(t.values.begin(), t.values.end(), it->second) != t.values.end();
    switch (t.o) {
      case term::op::eq:
      case term::op::in:
        if (!in) return false;
        break;
      case term::op::ne:
      case term::op::not_in:
        if (in) return false;
        break;
      case term::op::exists:
        if (!has) return false;
        break;
      case term::op::not_exists:
        if (has) return false;
        break;
    }
  }
  return true;
}

// ---- state ----

bool state::load(const json& doc, std::string& error) {
  if (!doc.is_object()) {
    error = "the fixture must be a JSON object";
    return false;
  }
  token_ = doc.value("token", "");
  default_ns_ = doc.value("namespace", "default");
  if (auto n = doc.find("nodes"); n != doc.end() && n->is_object())
    for (const auto& [name, labels] : n->items())
      if (labels.is_object())
        for (const auto& [k, v] : labels.items())
          if (v.is_string()) nodes_[name][k] = v.get<std::string>();
  nodes_forbidden_ = doc.value("nodes_forbidden", false);
  if (auto p = doc.find("pods"); p != doc.end()) {
    if (!p->is_array()) {
      error = "pods must be an array";
      return false;
    }
    for (const auto& pod : *p)
      if (!put_pod(pod, error)) return false;
  }
  return true;
}

bool state::put_pod(const json& j, std::string& error) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) {
    error = "a pod needs a name";
    return false;
  }
  try {
    emu_pod p;
    p.name = j["name"].get<std::string>();
    p.ns = j.value("namespace", default_ns_);
    p.ip = j.value("ip", "");
    p.phase = j.value("phase", "Running");
    p.node = j.value("node", "");
    p.ready = j.value("ready", true);
    p.terminating = j.value("terminating", false);
    if (auto l = j.find("labels"); l != j.end()) p.labels = l->get<std::map<std::string, std::string>>();
    if (auto ports = j.find("ports"); ports != j.end()) p.ports = ports->get<std::map<std::string, int>>();
    p.rv = ++rv_;
    const auto key = std::make_pair(p.ns, p.name);
    auto it = pods_.find(key);
    change c{p.rv, it == pods_.end() ? "ADDED" : "MODIFIED", p, {}};
    if (it != pods_.end()) c.old_labels = it->second.labels;
    pods_[key] = p;
    log_.push_back(std::move(c));
    return true;
  } catch (const std::exception& e) {
    error = std::string("bad pod: ") + e.what();
    return false;
  }
}

bool state::delete_pod(const std::string& ns, const std::string& name) {
  auto it = pods_.find({ns, name});
  if (it == pods_.end()) return false;
  emu_pod p = it->second;
  p.rv = ++rv_;
  log_.push_back({p.rv, "DELETED", p, {}});
  pods_.erase(it);
  return true;
}

json state::pod_json(const emu_pod& p) const {
  json ports = json::array();
  for (const auto& [name, port] : p.ports)
    ports.push_back({{"name", name}, {"containerPort", port}, {"protocol", "UDP"}});
  json md = {{"name", p.name}, {"namespace", p.ns}, {"uid", "uid-" + p.ns + "-" + p.name},
             {"resourceVersion", std::to_string(p.rv)}, {"labels", p.labels}};
  if (p.terminating) md["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  json st = {{"phase", p.phase},
             {"conditions", json::array({{{"type", "Ready"}, {"status", p.ready ? "True" : "False"}}})}};
  if (!p.ip.empty()) {
    st["podIP"] = p.ip;
    st["podIPs"] = json::array({{{"ip", p.ip}}});
  }
  json spec = {{"containers", json::array({{{"name", "agent"}, {"image", "cachecluster"}, {"ports", ports}}})}};
  if (!p.node.empty()) spec["nodeName"] = p.node;
  return {{"kind", "Pod"}, {"apiVersion", "v1"}, {"metadata", md}, {"spec", spec}, {"status", st}};
}

std::optional<response> state::refuse(const request& r, const std::string& what) {
  if (!token_.empty() && r.header("authorization") != "Bearer " + token_)
    return status(401, "Unauthorized", "Unauthorized");
  if (fault_count_ != 0 && what.starts_with("pods")) {
    if (fault_count_ > 0) --fault_count_;
    if (fault_status_ == 403)
      return status(403, "Forbidden",
                    "pods is forbidden: User \"system:serviceaccount:" + default_ns_ +
                        ":default\" cannot " + what.substr(5) + " resource \"pods\" in API group \"\" in "
                        "the namespace \"" + default_ns_ + "\"");
    return status(fault_status_, fault_status_ >= 500 ? "InternalError" : "BadRequest", "injected fault");
  }
  return std::nullopt;
}

state::watch_start state::start_watch(const request& r) {
  watch_start out;
  const auto q = r.target.find('?');
  const auto parts = split_path(std::string_view(r.target).substr(0, q));
  auto query = parse_query(q == std::string::npos ? "" : std::string_view(r.target).substr(q + 1));
  if (r.method != "GET" || parts.size() != 5 || parts[0] != "api" || parts[1] != "v1" ||
      parts[2] != "namespaces" || parts[4] != "pods" || (query["watch"] != "1" && query["watch"] != "true"))
    return out;
  out.is_watch = true;
  calls_["pods.watch"]++;
  if (auto no = refuse(r, "pods.watch")) {
    out.refusal = no;
    return out;
  }
  auto sel = selector::parse(query["labelSelector"]);
  if (!sel) {
    out.refusal = status(400, "BadRequest", "unable to parse requirement: " + query["labelSelector"]);
    return out;
  }
  out.w.ns = parts[3];
  out.w.sel = *sel;
  try {
    out.w.from = query["resourceVersion"].empty() ? rv_ : std::stoull(query["resourceVersion"]);
    if (!query["timeoutSeconds"].empty()) out.w.timeout_seconds = std::stoi(query["timeoutSeconds"]);
  } catch (const std::exception&) {
    out.refusal = status(400, "BadRequest", "bad resourceVersion or timeoutSeconds");
  }
  out.w.timeout_seconds = std::clamp(out.w.timeout_seconds, 1, 3600);
  return out;
}

std::vector<std::string> state::events_since(const watch_request& w, std::uint64_t& from,
                                             bool& gone) const {
  std::vector<std::string> out;
  gone = false;
  if (from < compacted_) {
    gone = true;
    json st = json::parse(status(410, "Expired", "too old resource version: " + std::to_string(from) +
                                                     " (" + std::to_string(compacted_) + ")")
                              .body);
    out.push_back(json{{"type", "ERROR"}, {"object", st}}.dump());
    return out;
  }
  for (const auto& c : log_) {
    if (c.rv <= from || c.pod.ns != w.ns) continue;
    const bool now = w.sel.matches(c.pod.labels);
    const bool before = c.type == "MODIFIED" && w.sel.matches(c.old_labels);
    std::string type = c.type;
    if (!now && before) type = "DELETED";           // left the selection
    else if (now && c.type == "MODIFIED" && !before) type = "ADDED";  // entered it
    else if (!now) continue;
    out.push_back(json{{"type", type}, {"object", pod_json(c.pod)}}.dump());
  }
  from = std::max(from, rv_);
  return out;
}

response state::handle(const request& r) {
  const auto q = r.target.find('?');
  const auto parts = split_path(std::string_view(r.target).substr(0, q));
  auto query = parse_query(q == std::string::npos ? "" : std::string_view(r.target).substr(q + 1));

  if (!parts.empty() && parts[0] == "admin") {
    json body = r.body.empty() ? json::object() : json::parse(r.body, nullptr, false);
    if (body.is_discarded()) return {400, R"({"error":"bad JSON"})"};
    std::string error;
    if (parts.size() == 2 && parts[1] == "pods" && r.method == "POST") {
      for (const auto& p : body.is_array() ? body : json::array({body}))
        if (!put_pod(p, error)) return {400, json{{"error", error}}.dump()};
      return {200, json{{"resourceVersion", std::to_string(rv_)}}.dump()};
    }
    if (parts.size() == 3 && parts[1] == "pods" && r.method == "DELETE")
      return delete_pod(query.count("namespace") ? query["namespace"] : default_ns_, parts[2])
                 ? response{200, "{}"}
                 : response{404, R"({"error":"no such pod"})"};
    if (parts.size() == 2 && parts[1] == "compact" && r.method == "POST") {
      // As if the history were compacted and written after: every version handed out so
      // far is too old, and open watches end (their clients come back and get 410 Gone).
      compacted_ = ++rv_;
      log_.clear();
      ++close_gen_;
      return {200, json{{"compacted", std::to_string(compacted_)}}.dump()};
    }
    if (parts.size() == 2 && parts[1] == "close_watches" && r.method == "POST") {
      ++close_gen_;
      return {200, "{}"};
    }
    if (parts.size() == 2 && parts[1] == "faults" && r.method == "POST") {
      if (body.value("clear", false)) {
        fault_count_ = 0;
        nodes_forbidden_ = false;
      }
      if (body.contains("status")) {
        fault_status_ = body.value("status", 500);
        fault_count_ = body.value("count", -1);
      }
      if (body.contains("nodes_forbidden")) nodes_forbidden_ = body.value("nodes_forbidden", false);
      return {200, "{}"};
    }
    if (parts.size() == 2 && parts[1] == "stats" && r.method == "GET")
      return {200, json{{"calls", calls_}, {"watches_open", open_watches},
                        {"resourceVersion", std::to_string(rv_)}}.dump()};
    return {404, R"({"error":"unknown admin request"})"};
  }

  if (r.method != "GET") return status(405, "MethodNotAllowed", "only GET is emulated");
  if (parts.size() == 4 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "nodes") {
    calls_["nodes.get"]++;
    if (auto no = refuse(r, "nodes.get")) return *no;
    if (nodes_forbidden_)
      return status(403, "Forbidden", "nodes \"" + parts[3] + "\" is forbidden: cannot get resource \"nodes\"");
    auto it = nodes_.find(parts[3]);
    if (it == nodes_.end()) return status(404, "NotFound", "nodes \"" + parts[3] + "\" not found");
    return {200, json{{"kind", "Node"}, {"apiVersion", "v1"},
                      {"metadata", {{"name", it->first}, {"labels", it->second}}}}.dump()};
  }
  if (parts.size() >= 5 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "namespaces" &&
      parts[4] == "pods") {
    const std::string& ns = parts[3];
    if (parts.size() == 6) {
      calls_["pods.get"]++;
      if (auto no = refuse(r, "pods.get")) return *no;
      auto it = pods_.find({ns, parts[5]});
      if (it == pods_.end()) return status(404, "NotFound", "pods \"" + parts[5] + "\" not found");
      return {200, pod_json(it->second).dump()};
    }
    if (parts.size() == 5) {
      calls_["pods.list"]++;
      if (auto no = refuse(r, "pods.list")) return *no;
      auto sel = selector::parse(query["labelSelector"]);
      if (!sel) return status(400, "BadRequest", "unable to parse requirement: " + query["labelSelector"]);
      json items = json::array();
      for (const auto& [key, p] : pods_)
        if (key.first == ns && sel->matches(p.labels)) items.push_back(pod_json(p));
      return {200, json{{"kind", "PodList"}, {"apiVersion", "v1"},
                        {"metadata", {{"resourceVersion", std::to_string(rv_)}}}, {"items", items}}
                       .dump()};
    }
  }
  return status(404, "NotFound", "the server could not find the requested resource");
}

}  // namespace discovery::k8s_emulator
