// Emulator logic. Shapes follow /work docs' gce-api.md §5/§6 checklist: items
// omitted when empty, ids as strings, zone URLs in the www.googleapis.com form,
// NO_RESULTS_ON_PAGE warnings in aggregated lists, opaque page tokens that are
// rejected when reused with another filter or scope, the standard Google error
// body, and on the metadata side Metadata-Flavor checks, 16-hex ETags that
// follow the value, and long-poll watches.

#include "gce/emulator/state.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <regex>

namespace gce::emulator {

using json = nlohmann::json;
using namespace std::chrono;

namespace {

constexpr std::string_view api_root = "https://www.googleapis.com/compute/v1/";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    auto eq = kv.find('=');
    if (!kv.empty())
      out[url_decode(kv.substr(0, eq))] =
          eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> out;
  while (!p.empty()) {
    auto slash = p.find('/');
    auto seg = p.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  return out;
}

response json_response(int status, const json& j) {
  response r;
  r.status = status;
  r.body = j.dump();
  r.headers = {{"Content-Type", "application/json; charset=UTF-8"}};
  return r;
}

/// The standard Google JSON error body.
response api_error(int status, std::string_view reason, std::string_view message) {
  json e = {{"error",
             {{"code", status},
              {"message", message},
              {"errors", json::array({{{"message", message},
                                       {"domain", status == 403 && reason == "rateLimitExceeded"
                                                      ? "usageLimits"
                                                      : "global"},
                                       {"reason", reason}}})}}}};
  return json_response(status, e);
}

response text_response(int status, std::string body, std::string_view type = "text/plain") {
  response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = {{"Content-Type", std::string(type)}};
  return r;
}

// ---- AIP-160 filter subset: field op value, ( ), AND, OR, NOT; eq/ne regex terms.

struct filter_error {
  std::string message;
};

class filter_eval {
 public:
  filter_eval(std::string_view text, const emu_instance& in) : s_(text), in_(in) {}

  /// true/false, or throws filter_error (caught by evaluate()).
  bool run() {
    bool v = expr();
    skip_ws();
    if (pos_ != s_.size()) throw filter_error{"trailing input"};
    return v;
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool keyword(std::string_view k) {
    skip_ws();
    if (s_.substr(pos_, k.size()) == k &&
        (pos_ + k.size() == s_.size() || s_[pos_ + k.size()] == ' ' || s_[pos_ + k.size()] == '(')) {
      pos_ += k.size();
      return true;
    }
    return false;
  }
  bool at_end_or_close() {
    skip_ws();
    return pos_ >= s_.size() || s_[pos_] == ')';
  }
  // expr := or_expr ([AND] or_expr)*   (AIP-160: OR binds tighter than AND)
  bool expr() {
    bool v = or_expr();
    while (!at_end_or_close()) {
      keyword("AND");
      bool rhs = or_expr();
      v = v && rhs;
    }
    return v;
  }
  bool or_expr() {
    bool v = primary();
    while (keyword("OR")) {
      bool rhs = primary();
      v = v || rhs;
    }
    return v;
  }
  bool primary() {
    skip_ws();
    if (keyword("NOT")) return !primary();
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      bool v = expr();
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ')') throw filter_error{"missing )"};
      ++pos_;
      return v;
    }
    return comparison();
  }
  std::string word() {
    skip_ws();
    std::size_t start = pos_;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) &&
           std::string_view("()=!:<>").find(s_[pos_]) == std::string_view::npos)
      ++pos_;
    if (start == pos_) throw filter_error{"expected a field"};
    return std::string(s_.substr(start, pos_ - start));
  }
  std::string value() {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      std::string out;
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        out.push_back(s_[pos_++]);
      }
      if (pos_ >= s_.size()) throw filter_error{"unterminated string"};
      ++pos_;
      return out;
    }
    std::size_t start = pos_;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) && s_[pos_] != ')')
      ++pos_;
    if (start == pos_) throw filter_error{"expected a value"};
    return std::string(s_.substr(start, pos_ - start));
  }
  bool comparison() {
    const std::string f = word();
    skip_ws();
    std::string op;
    if (s_.substr(pos_, 2) == "!=") op = "!=";
    else if (pos_ < s_.size() && (s_[pos_] == '=' || s_[pos_] == ':')) op = std::string(1, s_[pos_]);
    else if (keyword("eq")) op = "eq";
    else if (keyword("ne")) op = "ne";
    else throw filter_error{"expected an operator after " + f};
    if (op != "eq" && op != "ne") pos_ += op.size();
    const std::string v = value();
    if (f.starts_with("metadata")) throw filter_error{"metadata is not filterable"};

    std::optional<std::string> field;
    bool list_contains = false;
    if (f == "status") field = in_.status;
    else if (f == "name") field = in_.name;
    else if (f == "zone") field = in_.zone;
    else if (f == "id") field = in_.id;
    else if (f.starts_with("labels.")) {
      auto it = in_.labels.find(f.substr(7));
      if (it != in_.labels.end()) field = it->second;
    } else if (f == "tags.items") {
      list_contains = true;
    } else {
      throw filter_error{"unknown field " + f};
    }
    if (list_contains) {
      const bool has = std::find(in_.tags.begin(), in_.tags.end(), v) != in_.tags.end();
      return op == "!=" || op == "ne" ? !has : has;
    }
    if (op == ":") return field && (v == "*" || field->find(v) != std::string::npos);
    if (op == "=") return field && *field == v;
    if (op == "!=") return !field || *field != v;
    try {
      const bool m = field && std::regex_match(*field, std::regex(v));
      return op == "eq" ? m : !m;
    } catch (const std::regex_error&) {
      throw filter_error{"bad regex " + v};
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const emu_instance& in_;
};

/// nullopt = invalid filter.
std::optional<bool> evaluate(const std::string& filter, const emu_instance& in) {
  if (filter.empty()) return true;
  try {
    return filter_eval(filter, in).run();
  } catch (const filter_error&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> request::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (lower(n) == lower(name)) return v;
  return std::nullopt;
}

bool state::add_instance(const json& j, std::string& error) {
  if (!j.is_object()) {
    error = "an instance must be a JSON object";
    return false;
  }
  emu_instance in;
  auto str = [&](const char* k, std::string& into) {
    if (auto it = j.find(k); it != j.end()) {
      if (!it->is_string()) {
        error = std::string("instance field ") + k + " must be a string";
        return false;
      }
      into = it->get<std::string>();
    }
    return true;
  };
  std::string ip;
  if (!str("name", in.name) || !str("zone", in.zone) || !str("status", in.status) ||
      !str("hostname", in.hostname) || !str("networkIP", ip) ||
      !str("maintenance_event", in.maintenance_event))
    return false;
  if (auto it = j.find("id"); it != j.end()) {
    if (it->is_string()) in.id = it->get<std::string>();
    else if (it->is_number_unsigned()) in.id = std::to_string(it->get<std::uint64_t>());
    else {
      error = "instance id must be a string or an unsigned integer";
      return false;
    }
  }
  if (in.name.empty() || in.zone.empty()) {
    error = "an instance needs a name and a zone";
    return false;
  }
  if (in.id.empty()) {
    // Above 2^63, so a client that reads ids as int64 or double gets caught.
    in.id = std::to_string(9'300'000'000'000'000'000ull + fnv1a(in.name) % 1'000'000'000'000ull);
  }
  if (!ip.empty()) in.nics.push_back({"nic0", ip, ""});
  if (auto it = j.find("networkInterfaces"); it != j.end()) {
    if (!it->is_array()) {
      error = "networkInterfaces must be an array";
      return false;
    }
    in.nics.clear();
    for (const auto& n : *it) {
      if (!n.is_object()) {
        error = "a network interface must be an object";
        return false;
      }
      emu_nic nic;
      nic.name = n.value("name", "nic" + std::to_string(in.nics.size()));
      nic.ip = n.value("networkIP", "");
      nic.external_ip = n.value("natIP", "");
      in.nics.push_back(std::move(nic));
    }
  }
  if (auto it = j.find("tags"); it != j.end()) {
    const json& t = it->is_object() && it->contains("items") ? (*it)["items"] : *it;
    if (!t.is_array()) {
      error = "tags must be an array of strings";
      return false;
    }
    for (const auto& x : t)
      if (x.is_string()) in.tags.push_back(x.get<std::string>());
  }
  for (const char* k : {"metadata", "labels"}) {
    if (auto it = j.find(k); it != j.end()) {
      if (!it->is_object()) {
        error = std::string(k) + " must be an object of strings";
        return false;
      }
      auto& into = std::string_view(k) == "metadata" ? in.metadata : in.labels;
      for (const auto& [key, v] : it->items()) into[key] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  if (auto it = j.find("preempted"); it != j.end() && it->is_boolean()) in.preempted = it->get<bool>();
  zones_.insert(in.zone);
  instances_[in.name] = std::move(in);
  return true;
}

bool state::load(const json& doc, std::string& error) {
  const json* list = &doc;
  if (doc.is_object()) {
    project_ = doc.value("project", project_);
    project_number_ = doc.value("project_number", project_number_);
    if (auto it = doc.find("zones"); it != doc.end() && it->is_array())
      for (const auto& z : *it)
        if (z.is_string()) zones_.insert(z.get<std::string>());
    auto it = doc.find("instances");
    if (it == doc.end()) {
      error = "no \"instances\" array";
      return false;
    }
    list = &*it;
  }
  if (!list->is_array()) {
    error = "instances must be an array";
    return false;
  }
  for (const auto& j : *list)
    if (!add_instance(j, error)) return false;
  return true;
}

std::string state::zone_url(std::string_view zone) const {
  return std::string(api_root) + "projects/" + project_ + "/zones/" + std::string(zone);
}

std::set<std::string> state::all_zones() const {
  std::set<std::string> z = zones_;
  for (const auto& [_, in] : instances_) z.insert(in.zone);
  return z;
}

json state::to_api(const emu_instance& in) const {
  json j = {{"kind", "compute#instance"},
            {"id", in.id},
            {"name", in.name},
            {"zone", zone_url(in.zone)},
            {"status", in.status},
            {"selfLink", zone_url(in.zone) + "/instances/" + in.name}};
  json nics = json::array();
  for (const auto& n : in.nics) {
    json nj = {{"kind", "compute#networkInterface"},
               {"name", n.name},
               {"network", std::string(api_root) + "projects/" + project_ + "/global/networks/default"}};
    if (!n.ip.empty()) nj["networkIP"] = n.ip;
    if (!n.external_ip.empty())
      nj["accessConfigs"] = json::array({{{"kind", "compute#accessConfig"},
                                          {"type", "ONE_TO_ONE_NAT"},
                                          {"name", "External NAT"},
                                          {"natIP", n.external_ip}}});
    nics.push_back(std::move(nj));
  }
  j["networkInterfaces"] = std::move(nics);
  // Like the real API, empty lists and maps are omitted, not sent empty.
  if (!in.tags.empty()) j["tags"] = {{"items", in.tags}, {"fingerprint", "ZW11bGF0ZWQ="}};
  json md = {{"kind", "compute#metadata"}, {"fingerprint", "ZW11bGF0ZWQ="}};
  if (!in.metadata.empty()) {
    json items = json::array();
    for (const auto& [k, v] : in.metadata) {
      json item = {{"key", k}};
      if (!v.empty()) item["value"] = v;  // an empty value is sent without "value"
      items.push_back(std::move(item));
    }
    md["items"] = std::move(items);
  }
  j["metadata"] = std::move(md);
  if (!in.labels.empty()) j["labels"] = in.labels;
  return j;
}

response state::handle(const request& req, steady_clock::time_point now,
                       system_clock::time_point wall) {
  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query =
      target.find('?') == std::string_view::npos ? "" : target.substr(target.find('?') + 1);
  // Inputs are untrusted: a body of the wrong type or a number out of range
  // becomes a 400, never an exception out of the server loop.
  try {
    if (path.starts_with("/admin/") || path == "/admin") return handle_admin(req, path, now);
    if (path.starts_with("/computeMetadata/")) return handle_metadata(req, path, query, now);
    if (path.starts_with("/compute/v1/")) return handle_compute(req, path, query, now, wall);
  } catch (const std::exception& e) {
    return json_response(400, {{"error", std::string("bad request: ") + e.what()}});
  }
  if (path == "/" && req.header("metadata-flavor") == "Google") {
    response r = text_response(200, "computeMetadata/\n", "application/text");
    r.headers.emplace_back("Metadata-Flavor", "Google");
    return r;
  }
  return text_response(404, "not found\n");
}

// ---------------------------------------------------------------- metadata

response state::handle_metadata(const request& req, std::string_view path, std::string_view query,
                                steady_clock::time_point now) {
  auto html = [](int status, std::string msg) {
    response r = text_response(status, "<html><body>" + msg + "</body></html>\n", "text/html");
    r.headers.emplace_back("Metadata-Flavor", "Google");
    return r;
  };
  if (!req.recheck) count("metadata");
  if (req.header("x-forwarded-for")) return html(403, "X-Forwarded-For is not allowed");
  if (req.header("metadata-flavor") != "Google")
    return html(403, "Missing Metadata-Flavor:Google header.");
  if (!req.recheck) {
    if (status_fault_.take("metadata")) return html(fault_status_, "injected fault");
  }
  const emu_instance* vm = nullptr;
  for (const auto& [_, in] : instances_)
    for (const auto& n : in.nics)
      if (n.ip == req.source_ip) vm = &in;
  if (vm == nullptr && !default_instance.empty()) {
    auto it = instances_.find(default_instance);
    if (it != instances_.end()) vm = &it->second;
  }
  if (vm == nullptr) return html(404, "no emulated instance has address " + req.source_ip);

  auto q = parse_query(query);
  const bool recursive = q["recursive"] == "true";
  const bool wait = q["wait_for_change"] == "true";
  constexpr std::string_view root = "/computeMetadata/v1";
  if (!path.starts_with(root) || (path.size() > root.size() && path[root.size()] != '/'))
    return html(404, "Error 404 (Not Found)!!1");
  std::string p(path.substr(root.size()));
  // Double slashes are tolerated; a trailing slash marks a directory.
  const bool dir = p.ends_with('/');
  std::string key;
  for (auto seg : split_path(p)) key += (key.empty() ? "" : "/") + std::string(seg);

  std::optional<std::string> value;
  std::string type = "application/text";
  bool is_dir = false;
  bool token = false;
  const std::string nic_prefix = "instance/network-interfaces/";
  if (key == "project/project-id") value = project_;
  else if (key == "project/numeric-project-id") value = project_number_;
  else if (key == "instance/id") value = vm->id;
  else if (key == "instance/name") value = vm->name;
  else if (key == "instance/hostname")
    value = vm->hostname.empty() ? vm->name + "." + vm->zone + ".c." + project_ + ".internal" : vm->hostname;
  else if (key == "instance/zone") value = "projects/" + project_number_ + "/zones/" + vm->zone;
  else if (key == "instance/preempted") value = vm->preempted ? "TRUE" : "FALSE";
  else if (key == "instance/maintenance-event") value = vm->maintenance_event;
  else if (key == "instance/tags") {
    value = json(vm->tags).dump();
    type = "application/json";
  } else if (key == "instance/service-accounts/default/token") {
    token = true;
  } else if (key == "instance/service-accounts/default/email") {
    value = "emulated@" + project_ + ".iam.gserviceaccount.com";
  } else if (key == "instance/service-accounts") {
    value = "default/\n";
    is_dir = true;
  } else if (key == "instance/attributes") {
    is_dir = true;
    if (recursive) {
      value = json(vm->metadata).dump();
      type = "application/json";
    } else {
      std::string keys;
      for (const auto& [k, _] : vm->metadata) keys += k + "\n";
      value = keys;
    }
  } else if (key.starts_with("instance/attributes/")) {
    auto it = vm->metadata.find(key.substr(20));
    if (it != vm->metadata.end()) value = it->second;
  } else if (key == "instance/network-interfaces") {
    is_dir = true;
    std::string l;
    for (std::size_t i = 0; i < vm->nics.size(); ++i) l += std::to_string(i) + "/\n";
    value = l;
  } else if (key.starts_with(nic_prefix)) {
    auto parts = split_path(std::string_view(key).substr(nic_prefix.size()));
    if (!parts.empty() && parts[0].size() <= 2 &&
        std::all_of(parts[0].begin(), parts[0].end(), ::isdigit)) {
      const auto i = std::stoul(std::string(parts[0]));
      if (i < vm->nics.size()) {
        const auto& n = vm->nics[i];
        if (parts.size() == 2 && parts[1] == "ip") value = n.ip;
        else if (parts.size() == 2 && parts[1] == "network")
          value = "projects/" + project_number_ + "/networks/default";
        else if (parts.size() == 4 && parts[1] == "access-configs" && parts[2] == "0" &&
                 parts[3] == "external-ip" && !n.external_ip.empty())
          value = n.external_ip;
      }
    }
  } else if (key.empty() || key == "instance" || key == "project") {
    is_dir = true;
    value = key.empty() ? "instance/\nproject/\n" : key == "project" ? "attributes/\nnumeric-project-id\nproject-id\n"
                                                                      : "attributes/\nhostname\nid\nmaintenance-event\nname\nnetwork-interfaces/\npreempted\nservice-accounts/\ntags\nzone\n";
  } else if (key == "project/attributes") {
    is_dir = true;
    value = recursive ? "{}" : "";
    if (recursive) type = "application/json";
  }

  if (token) {
    if (!req.recheck) count("metadata.token");
    if (wait) return html(400, "wait_for_change is not supported on the token");
    // Hand out the same token until it expires, as the real server caches it.
    std::string current;
    seconds left{0};
    for (const auto& [t, exp] : tokens_)
      if (exp - now > seconds(1) && t.starts_with("ya29.emu-" + vm->name + "-")) {
        current = t;
        left = duration_cast<seconds>(exp - now);
      }
    if (current.empty()) {
      current = "ya29.emu-" + vm->name + "-" + std::to_string(next_token_++);
      tokens_[current] = now + token_ttl;
      left = token_ttl;
    }
    // No Metadata-Flavor on token replies, as on the real server.
    return json_response(200, {{"access_token", current},
                               {"expires_in", left.count()},
                               {"token_type", "Bearer"}});
  }
  if (!value) return html(404, "Error 404 (Not Found)!!1");
  if (dir && !is_dir) return html(404, "Error 404 (Not Found)!!1");
  if (wait && is_dir && !recursive)
    return html(400, "wait_for_change on a directory needs recursive=true");

  const std::string etag = hex16(fnv1a(key + (recursive ? "?r" : "") + "\n" + *value));
  if (wait) {
    if (!req.recheck) count("metadata.watch");
    const std::string last = q.count("last_etag") != 0u ? q["last_etag"] : "0";
    if (last == etag && !req.expired) {
      response r;
      r.park = true;
      int t = 0;
      try {
        t = q.count("timeout_sec") != 0u ? std::stoi(q["timeout_sec"]) : 3600;
      } catch (...) {
        t = 3600;
      }
      r.park_for = seconds(std::clamp(t, 1, 3600));
      return r;
    }
  }
  response r = text_response(200, *value, type);
  r.headers.emplace_back("Metadata-Flavor", "Google");
  r.headers.emplace_back("Server", "Metadata Server for VM");
  r.headers.emplace_back("ETag", etag);
  return r;
}

// ---------------------------------------------------------------- compute

response state::handle_compute(const request& req, std::string_view path, std::string_view query,
                               steady_clock::time_point now, system_clock::time_point wall) {
  auto parts = split_path(path.substr(std::string_view("/compute/v1/").size()));
  std::string endpoint = "compute.other";
  if (parts.size() == 5 && parts[0] == "projects" && parts[2] == "zones" && parts[4] == "instances")
    endpoint = "compute.list";
  else if (parts.size() == 4 && parts[0] == "projects" && parts[2] == "aggregated" &&
           parts[3] == "instances")
    endpoint = "compute.aggregated";
  else if (parts.size() == 3 && parts[0] == "projects" && parts[2] == "zones")
    endpoint = "compute.zones";
  else if (parts.size() == 4 && parts[0] == "projects" && parts[2] == "regions")
    endpoint = "compute.regions";
  count(endpoint);
  count("compute");

  response out;
  auto finish = [&](response r) {
    if (delay_fault_.take("compute")) r.delay = delay_;
    return r;
  };
  if (req.method != "GET") return finish(api_error(405, "methodNotAllowed", "only GET is emulated"));
  if (require_auth) {
    auto auth = req.header("authorization").value_or("");
    if (auth.empty())
      return finish(api_error(401, "required", "Request is missing required authentication credential."));
    std::string tok = auth.starts_with("Bearer ") ? auth.substr(7) : "";
    auto it = tokens_.find(tok);
    if (it == tokens_.end() || it->second <= now)
      return finish(api_error(401, "authError",
                              "Request had invalid authentication credentials. Expected OAuth 2 access token."));
  }
  if (wall < rate_limited_until_)
    return finish(api_error(403, "rateLimitExceeded",
                            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                            "minute per region' of service 'compute.googleapis.com' for consumer "
                            "'project_number:" + project_number_ + "'."));
  if (quota_per_minute_ > 0) {
    const auto minute = duration_cast<minutes>(wall.time_since_epoch()).count();
    if (minute != quota_minute_) {
      quota_minute_ = minute;
      quota_used_ = 0;
    }
    if (++quota_used_ > quota_per_minute_)
      return finish(api_error(403, "rateLimitExceeded",
                              "Quota exceeded for quota metric 'Read requests' and limit 'Read requests "
                              "per minute' of service 'compute.googleapis.com'."));
  }
  if (status_fault_.take("compute")) {
    if (fault_status_ == 403 || fault_status_ == 429)
      return finish(api_error(fault_status_, "rateLimitExceeded", "Quota exceeded (injected)."));
    return finish(api_error(fault_status_, fault_status_ >= 500 ? "backendError" : "injected",
                            "Injected fault."));
  }
  if (parts.size() < 2 || parts[0] != "projects" || parts[1] != project_)
    return finish(api_error(404, "notFound",
                            "The resource 'projects/" + (parts.size() > 1 ? std::string(parts[1]) : "") +
                                "' was not found"));

  if (endpoint == "compute.list") {
    const std::string zone(parts[3]);
    if (all_zones().count(zone) == 0)
      return finish(api_error(404, "notFound",
                              "The resource 'projects/" + project_ + "/zones/" + zone + "' was not found"));
    std::vector<const emu_instance*> list;
    for (const auto& [_, in] : instances_)
      if (in.zone == zone) list.push_back(&in);
    out = list_instances(list, "zones/" + zone, query, false);
  } else if (endpoint == "compute.aggregated") {
    std::vector<const emu_instance*> list;
    for (const auto& [_, in] : instances_) list.push_back(&in);
    std::stable_sort(list.begin(), list.end(),
                     [](auto* a, auto* b) { return a->zone < b->zone; });
    out = list_instances(list, "aggregated", query, true);
  } else if (endpoint == "compute.zones") {
    json items = json::array();
    for (const auto& z : all_zones())
      items.push_back({{"kind", "compute#zone"}, {"name", z}, {"selfLink", zone_url(z)}, {"status", "UP"}});
    out = json_response(200, {{"kind", "compute#zoneList"}, {"items", items}});
  } else if (endpoint == "compute.regions") {
    const std::string region(parts[3]);
    json zones = json::array();
    for (const auto& z : all_zones())
      if (z.rfind('-') != std::string::npos && z.substr(0, z.rfind('-')) == region)
        zones.push_back(zone_url(z));
    if (zones.empty())
      return finish(api_error(404, "notFound", "The resource 'projects/" + project_ + "/regions/" + region +
                                                   "' was not found"));
    out = json_response(200, {{"kind", "compute#region"}, {"name", region}, {"zones", zones}});
  } else {
    return finish(api_error(404, "notFound", "not emulated: " + std::string(path)));
  }
  if (out.status == 200 && malformed_fault_.take("compute")) {
    out.body = out.body.substr(0, out.body.size() / 2);  // truncated JSON
  }
  return finish(std::move(out));
}

response state::list_instances(const std::vector<const emu_instance*>& all, const std::string& scope,
                               std::string_view query, bool aggregated) {
  auto q = parse_query(query);
  const std::string filter = q["filter"];
  int max_results = 500;
  if (q.count("maxResults") != 0u) {
    try {
      max_results = std::stoi(q["maxResults"]);
    } catch (...) {
      max_results = -1;
    }
    if (max_results < 0 || max_results > 500)
      return api_error(400, "invalid", "Invalid value for field 'maxResults': must be 0-500.");
    if (max_results == 0) max_results = 500;
  }
  const int size = std::max(1, std::min(max_results, page_size));

  std::vector<const emu_instance*> matched;
  for (const auto* in : all) {
    auto m = evaluate(filter, *in);
    if (!m)
      return api_error(400, "invalid",
                       "Invalid value for field 'filter': '" + filter + "'. Invalid list filter expression.");
    if (*m) matched.push_back(in);
  }
  // Opaque token: offset, whether the empty page was served, and a hash of the
  // request so a token reused with another filter or scope is rejected.
  const std::string fingerprint = hex16(fnv1a(scope + "|" + filter + "|" + std::to_string(size)));
  std::size_t offset = 0;
  bool empty_done = false;
  if (auto t = q["pageToken"]; !t.empty()) {
    unsigned long long off = 0;
    int e = 0;
    char fp[17] = {};
    if (std::sscanf(t.c_str(), "o%llu.e%d.%16s", &off, &e, fp) != 3 || fingerprint != fp ||
        off > matched.size())
      return api_error(400, "invalid", "Invalid value for field 'pageToken': '" + t + "'.");
    offset = off;
    empty_done = e != 0;
  }
  auto make_token = [&](std::size_t off, bool e) {
    return "o" + std::to_string(off) + ".e" + (e ? "1" : "0") + "." + fingerprint;
  };
  std::string next;
  std::vector<const emu_instance*> page;
  if (empty_pages && !empty_done && offset < matched.size()) {
    next = make_token(offset, true);  // an empty page that still carries a token
  } else {
    const std::size_t end = std::min(matched.size(), offset + static_cast<std::size_t>(size));
    page.assign(matched.begin() + static_cast<std::ptrdiff_t>(offset),
                matched.begin() + static_cast<std::ptrdiff_t>(end));
    if (end < matched.size()) next = make_token(end, false);
  }

  json j;
  const std::string self = std::string(api_root) + "projects/" + project_ +
                           (aggregated ? "/aggregated/instances" : "/" + scope + "/instances");
  if (aggregated) {
    j = {{"kind", "compute#instanceAggregatedList"},
         {"id", "projects/" + project_ + "/aggregated/instances"}};
    json items = json::object();
    for (const auto& z : all_zones()) {
      json list = json::array();
      for (const auto* in : page)
        if (in->zone == z) list.push_back(to_api(*in));
      if (!list.empty()) {
        items["zones/" + z] = {{"instances", list}};
      } else {
        items["zones/" + z] = {
            {"warning",
             {{"code", "NO_RESULTS_ON_PAGE"},
              {"message", "There are no results for scope 'zones/" + z + "' on this page."},
              {"data", json::array({{{"key", "scope"}, {"value", "zones/" + z}}})}}}};
      }
    }
    j["items"] = std::move(items);
  } else {
    j = {{"kind", "compute#instanceList"}, {"id", "projects/" + project_ + "/" + scope + "/instances"}};
    if (!page.empty()) {
      json items = json::array();
      for (const auto* in : page) items.push_back(to_api(*in));
      j["items"] = std::move(items);
    }
  }
  if (!next.empty()) j["nextPageToken"] = next;
  j["selfLink"] = self;
  return json_response(200, j);
}

// ---------------------------------------------------------------- admin

response state::handle_admin(const request& req, std::string_view path, steady_clock::time_point now) {
  auto ok = [](json j = {{"ok", true}}) { return json_response(200, j); };
  auto bad = [](std::string msg) { return json_response(400, {{"error", std::move(msg)}}); };
  auto parts = split_path(path);  // "admin", ...
  json body;
  if (req.method == "POST") {
    body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return bad("body is not JSON");
  }
  if (parts.size() == 2 && parts[1] == "stats" && req.method == "GET") {
    json calls = json::object();
    for (const auto& [k, v] : calls_) calls[k] = v;
    return ok({{"calls", calls},
               {"compute_total", calls_.count("compute") != 0u ? calls_["compute"] : 0},
               {"metadata_total", calls_.count("metadata") != 0u ? calls_["metadata"] : 0}});
  }
  if (parts.size() == 3 && parts[1] == "stats" && parts[2] == "reset" && req.method == "POST") {
    calls_.clear();
    return ok();
  }
  if (parts.size() == 2 && parts[1] == "instances") {
    if (req.method == "GET") {
      json list = json::array();
      for (const auto& [_, in] : instances_) {
        json j = to_api(in);
        j["preempted"] = in.preempted;
        j["maintenance_event"] = in.maintenance_event;
        list.push_back(std::move(j));
      }
      return ok({{"instances", list}});
    }
    if (req.method == "POST") {
      const json* list = &body;
      if (body.is_object() && body.contains("instances")) list = &body["instances"];
      std::string error;
      if (list->is_array()) {
        for (const auto& j : *list)
          if (!add_instance(j, error)) return bad(error);
      } else if (!add_instance(*list, error)) {
        return bad(error);
      }
      return ok();
    }
  }
  if (parts.size() >= 3 && parts[1] == "instances") {
    auto it = instances_.find(std::string(parts[2]));
    if (it == instances_.end()) return json_response(404, {{"error", "no such instance"}});
    if (parts.size() == 3 && req.method == "DELETE") {
      instances_.erase(it);
      return ok();
    }
    if (parts.size() == 4 && parts[3] == "preempt" && req.method == "POST") {
      it->second.preempted = true;
      it->second.status = body.is_object() ? body.value("status", "TERMINATED") : "TERMINATED";
      return ok();
    }
    if (parts.size() == 4 && parts[3] == "maintenance" && req.method == "POST") {
      const std::string ev = body.is_object() ? body.value("event", "") : "";
      if (ev != "NONE" && ev != "MIGRATE_ON_HOST_MAINTENANCE" && ev != "TERMINATE_ON_HOST_MAINTENANCE")
        return bad("event must be NONE, MIGRATE_ON_HOST_MAINTENANCE or TERMINATE_ON_HOST_MAINTENANCE");
      it->second.maintenance_event = ev;
      return ok();
    }
  }
  if (parts.size() == 2 && parts[1] == "faults" && req.method == "POST") {
    if (!body.is_object()) return bad("faults: expected a JSON object");
    try {
      const std::string target = body.value("target", "compute");
      if (target != "compute" && target != "metadata" && target != "all")
        return bad("target must be compute, metadata or all");
      const int count = body.value("count", 1);
      if (count < -1) return bad("count must be >= -1 (-1 = until cleared)");
      if (body.value("clear", false)) {
        status_fault_ = {};
        malformed_fault_ = {};
        delay_fault_ = {};
        rate_limited_until_ = {};
        quota_per_minute_ = 0;
      }
      if (body.contains("status")) {
        const int s = body["status"].get<int>();
        if (s < 400 || s > 599) return bad("status must be 400-599");
        fault_status_ = s;
        status_fault_ = {count, target};
      }
      if (body.value("rate_limit", false)) {
        const int secs = body.value("seconds", 60);
        if (secs < 0 || secs > 3600) return bad("seconds must be 0-3600");
        rate_limited_until_ = system_clock::now() + seconds(secs);
      }
      if (body.contains("delay_ms")) {
        const int ms = body["delay_ms"].get<int>();
        if (ms < 0 || ms > 600'000) return bad("delay_ms must be 0-600000");
        delay_ = milliseconds(ms);
        delay_fault_ = {count, target};
      }
      if (body.value("malformed", false)) malformed_fault_ = {count, target};
      if (body.contains("quota_per_minute")) {
        const int qpm = body["quota_per_minute"].get<int>();
        if (qpm < 0) return bad("quota_per_minute must be >= 0");
        quota_per_minute_ = qpm;
        quota_minute_ = -1;
      }
    } catch (const json::exception& e) {
      return bad(std::string("faults: ") + e.what());
    }
    return ok();
  }
  if (parts.size() == 2 && parts[1] == "page_size" && req.method == "POST") {
    if (!body.is_object() || !body.contains("size") || !body["size"].is_number_integer())
      return bad("page_size: expected {\"size\": 1-500, \"empty_pages\": bool}");
    const int s = body["size"].get<int>();
    if (s < 1 || s > 500) return bad("size must be 1-500");
    page_size = s;
    empty_pages = body.value("empty_pages", false);
    return ok();
  }
  if (parts.size() == 2 && parts[1] == "tokens" && req.method == "POST") {
    if (!body.is_object()) return bad("tokens: expected a JSON object");
    if (body.contains("ttl_seconds")) {
      if (!body["ttl_seconds"].is_number_integer() || body["ttl_seconds"].get<int>() < 1)
        return bad("ttl_seconds must be a positive integer");
      token_ttl = seconds(body["ttl_seconds"].get<int>());
    }
    if (body.value("revoke", false)) tokens_.clear();
    (void)now;
    return ok();
  }
  return json_response(404, {{"error", "unknown admin endpoint"}});
}

}  // namespace gce::emulator
