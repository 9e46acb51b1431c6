#include "peerlib/protocol.hpp"

#include <nlohmann/json.hpp>
#include <utility>

namespace peerlib::protocol {
namespace {

using nlohmann::json;
// Keys in the documented order, for the lines people read (members, result, error, request).
using ordered = nlohmann::ordered_json;

/// Compact, and invalid UTF-8 (names and tags come off the network) becomes U+FFFD
/// instead of an exception.
template <class J>
std::string dump(const J& j) {
  return j.dump(-1, ' ', false, J::error_handler_t::replace);
}

/// Parse one line; a discarded value when it is not JSON.
json parse(std::string_view line) {
  return json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
}

/// Sets `error` (if given) and returns nullopt: the decoders' one way out.
template <class T>
std::optional<T> fail(std::string* error, std::string e) {
  if (error) *error = std::move(e);
  return std::nullopt;
}

/// True when `j` is an object whose "type" is the string `type`.
bool has_type(const json& j, const char* type) {
  if (!j.is_object()) return false;
  auto it = j.find("type");
  return it != j.end() && it->is_string() && it->get_ref<const std::string&>() == type;
}

// ---- typed field readers: strict on types; `required` decides about absent keys ----

bool read_string(const json& j, const char* what, const char* key, bool required,
                 std::string& out, std::string& err) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) err = std::string(what) + " lacks \"" + key + "\"";
    return !required;
  }
  if (!it->is_string()) return err = std::string(what) + " \"" + key + "\" is not a string", false;
  out = it->get<std::string>();
  return true;
}

template <class U>
bool read_unsigned(const json& j, const char* what, const char* key, bool required,
                   std::uint64_t max, const char* kind, U& out, std::string& err) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) err = std::string(what) + " lacks \"" + key + "\"";
    return !required;
  }
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max)
    return err = std::string(what) + " \"" + key + "\" is not " + kind, false;
  out = static_cast<U>(it->get<std::uint64_t>());
  return true;
}

bool read_port(const json& j, const char* what, const char* key, bool required,
               std::uint16_t& out, std::string& err) {
  return read_unsigned(j, what, key, required, 65535, "a port number", out, err);
}

bool read_incarnation(const json& j, const char* what, std::uint32_t& out, std::string& err) {
  return read_unsigned(j, what, "incarnation", false, 0xffffffffu,
                       "a 32-bit unsigned integer", out, err);
}

bool read_tags(const json& j, const char* what, std::map<std::string, std::string>& out,
               std::string& err) {
  auto it = j.find("tags");
  if (it == j.end()) return true;
  if (!it->is_object()) return err = std::string(what) + " \"tags\" is not an object", false;
  for (auto& [k, v] : it->items()) {
    if (!v.is_string()) return err = "tag \"" + k + "\" is not a string", false;
    out[k] = v.get<std::string>();
  }
  return true;
}

// ---- snapshot peers ----

json to_json(const peer& p) {
  json j = {{"name", p.name},
            {"address", p.address},
            {"port", p.port},
            {"cache_url", p.cache_url},
            {"zone", p.zone},
            {"state", to_string(p.state)},
            {"incarnation", p.incarnation},
            {"tags", p.tags}};
  j["cache_port"] = p.cache_port ? json(*p.cache_port) : json(nullptr);
  return j;
}

bool from_json(const json& j, peer& p, std::string& err) {
  if (!j.is_object()) return err = "peer is not an object", false;
  if (!read_string(j, "peer", "name", true, p.name, err) ||
      !read_string(j, "peer", "address", true, p.address, err) ||
      !read_string(j, "peer", "cache_url", false, p.cache_url, err) ||
      !read_string(j, "peer", "zone", false, p.zone, err) ||
      !read_port(j, "peer", "port", false, p.port, err) ||
      !read_incarnation(j, "peer", p.incarnation, err))
    return false;
  if (auto it = j.find("cache_port"); it != j.end() && !it->is_null()) {
    std::uint16_t cp = 0;
    if (!read_port(j, "peer", "cache_port", true, cp, err)) return false;
    p.cache_port = cp;
  }
  if (auto it = j.find("state"); it != j.end()) {
    if (*it == "alive") p.state = peer_state::alive;
    else if (*it == "suspect") p.state = peer_state::suspect;
    else return err = "peer \"state\" is neither \"alive\" nor \"suspect\"", false;
  }
  return read_tags(j, "peer", p.tags, err);
}

// ---- decoders of parsed lines (decode_reply parses once and dispatches) ----

std::optional<snapshot> snapshot_from(const json& j, std::string* error) {
  if (!has_type(j, "snapshot")) return fail<snapshot>(error, "not a snapshot line");
  // The revision changes only when a known key changes meaning; added keys do not change it.
  auto rev = j.find("protocol");
  if (rev == j.end() || !rev->is_number_unsigned() || rev->get<std::uint64_t>() == 0)
    return fail<snapshot>(error, "snapshot lacks a positive integer \"protocol\" revision");
  if (rev->get<std::uint64_t>() > static_cast<std::uint64_t>(revision))
    return fail<snapshot>(error, "the agent speaks protocol revision " +
                                     std::to_string(rev->get<std::uint64_t>()) +
                                     "; this peerlib understands up to " +
                                     std::to_string(revision) + ": upgrade peerlib");
  snapshot s;
  std::string err;
  auto v = j.find("version");
  if (v == j.end() || !v->is_number_unsigned())
    return fail<snapshot>(error, "snapshot lacks a numeric \"version\"");
  s.version = v->get<std::uint64_t>();
  auto lm = j.find("local_mode");
  if (lm == j.end() || !lm->is_boolean())
    return fail<snapshot>(error, "snapshot lacks a boolean \"local_mode\"");
  s.local_mode = lm->get<bool>();
  auto self = j.find("self");
  if (self == j.end()) return fail<snapshot>(error, "snapshot lacks \"self\"");
  if (!from_json(*self, s.self, err)) return fail<snapshot>(error, "self: " + err);
  auto peers = j.find("peers");
  if (peers == j.end() || !peers->is_array())
    return fail<snapshot>(error, "snapshot lacks a \"peers\" array");
  for (const auto& pj : *peers) {
    peer p;
    if (!from_json(pj, p, err)) return fail<snapshot>(error, "peers: " + err);
    s.peers.push_back(std::move(p));
  }
  return s;
}

bool member_from(const json& j, member& m, std::string& err) {
  if (!j.is_object()) return err = "member is not an object", false;
  if (!read_string(j, "member", "name", true, m.name, err) ||
      !read_string(j, "member", "address", true, m.address, err) ||
      !read_port(j, "member", "port", true, m.port, err) ||
      !read_string(j, "member", "state", true, m.state, err) ||
      !read_incarnation(j, "member", m.incarnation, err) || !read_tags(j, "member", m.tags, err))
    return false;
  if (auto it = j.find("protocol"); it != j.end()) {
    if (!it->is_array()) return err = "member \"protocol\" is not an array", false;
    for (const auto& v : *it) {
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 255)
        return err = "member \"protocol\" holds something other than numbers 0-255", false;
      m.protocol.push_back(static_cast<std::uint8_t>(v.get<std::uint64_t>()));
    }
  }
  if (!read_unsigned(j, "member", "flaps", false, ~std::uint64_t{0}, "a count", m.flaps, err))
    return false;
  if (auto it = j.find("suppressed"); it != j.end()) {
    if (!it->is_boolean()) return err = "member \"suppressed\" is not a boolean", false;
    m.suppressed = it->get<bool>();
  }
  if (auto it = j.find("grey"); it != j.end()) {
    if (!it->is_boolean()) return err = "member \"grey\" is not a boolean", false;
    m.grey = it->get<bool>();
  }
  return true;
}

std::optional<members_document> members_from(const json& j, std::string* error) {
  if (!j.is_object()) return fail<members_document>(error, "not a members document");
  members_document d;
  std::string err;
  if (!read_string(j, "members document", "node", true, d.node, err))
    return fail<members_document>(error, err);
  auto ms = j.find("members");
  if (ms == j.end() || !ms->is_array())
    return fail<members_document>(error, "members document lacks a \"members\" array");
  for (const auto& mj : *ms) {
    member m;
    if (!member_from(mj, m, err)) return fail<members_document>(error, "members: " + err);
    d.members.push_back(std::move(m));
  }
  return d;
}

std::optional<result> result_from(const json& j, std::string* error) {
  if (!has_type(j, "result")) return fail<result>(error, "not a result line");
  result r;
  auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean())
    return fail<result>(error, "result lacks a boolean \"ok\"");
  r.ok = ok->get<bool>();
  std::string err;
  if (!read_string(j, "result", "message", false, r.message, err)) return fail<result>(error, err);
  return r;
}

std::optional<error_reply> error_from(const json& j, std::string* error) {
  if (!has_type(j, "error")) return fail<error_reply>(error, "not an error line");
  error_reply e;
  std::string err;
  if (!read_string(j, "error", "message", false, e.message, err))
    return fail<error_reply>(error, err);
  return e;
}

std::optional<info_reply> info_from(const json& j, std::string* error) {
  if (!has_type(j, "info")) return fail<info_reply>(error, "not an info line");
  auto it = j.find("sections");
  if (it == j.end() || !it->is_object())
    return fail<info_reply>(error, "info \"sections\" is not an object");
  info_reply out;
  for (const auto& [name, values] : it->items()) {
    if (!values.is_object())
      return fail<info_reply>(error, "info section \"" + name + "\" is not an object");
    auto& section = out.sections[name];
    for (const auto& [k, v] : values.items()) {
      if (!v.is_string())
        return fail<info_reply>(error, "info \"" + name + "." + k + "\" is not a string");
      section[k] = v.get<std::string>();
    }
  }
  return out;
}

std::optional<log_line> log_from(const json& j, std::string* error) {
  if (!has_type(j, "log")) return fail<log_line>(error, "not a log line");
  log_line l;
  std::string err;
  if (!read_string(j, "log", "time", false, l.time, err) ||
      !read_string(j, "log", "severity", false, l.severity, err) ||
      !read_string(j, "log", "message", true, l.message, err))
    return fail<log_line>(error, err);
  return l;
}

std::optional<request_op> op_from(std::string_view s) {
  for (auto op : {request_op::subscribe, request_op::members, request_op::join, request_op::leave,
                  request_op::keys, request_op::force_leave, request_op::info,
                  request_op::monitor})
    if (s == to_string(op)) return op;
  return std::nullopt;
}

std::optional<keys_action> action_from(std::string_view s) {
  for (auto a : {keys_action::list, keys_action::install, keys_action::use, keys_action::remove})
    if (s == to_string(a)) return a;
  return std::nullopt;
}

/// An object of strings into `out`; absent is fine.
bool read_string_map(const json& j, const char* key, std::map<std::string, std::string>& out,
                     std::string& err) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_object()) return err = std::string("keys \"") + key + "\" is not an object", false;
  for (auto& [k, v] : it->items()) {
    if (!v.is_string()) return err = std::string("keys \"") + key + "\" holds a non-string", false;
    out[k] = v.get<std::string>();
  }
  return true;
}

/// An object of counts into `out`; absent is fine.
bool read_count_map(const json& j, const char* key, std::map<std::string, std::uint32_t>& out,
                    std::string& err) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_object()) return err = std::string("keys \"") + key + "\" is not an object", false;
  for (auto& [k, v] : it->items()) {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 0xffffffffu)
      return err = std::string("keys \"") + key + "\" holds something other than a count", false;
    out[k] = static_cast<std::uint32_t>(v.get<std::uint64_t>());
  }
  return true;
}

std::optional<keys_result> keys_from(const json& j, std::string* error) {
  if (!has_type(j, "keys")) return fail<keys_result>(error, "not a keys line");
  keys_result k;
  std::string err, action;
  if (!read_string(j, "keys", "action", true, action, err)) return fail<keys_result>(error, err);
  auto a = action_from(action);
  if (!a) return fail<keys_result>(error, "keys \"action\" is not list, install, use or remove");
  k.action = *a;
  auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean())
    return fail<keys_result>(error, "keys lacks a boolean \"ok\"");
  k.ok = ok->get<bool>();
  if (!read_string(j, "keys", "message", false, k.message, err) ||
      !read_unsigned(j, "keys", "members", false, 0xffffffffu, "a count", k.members, err) ||
      !read_unsigned(j, "keys", "responses", false, 0xffffffffu, "a count", k.responses, err) ||
      !read_string_map(j, "failures", k.failures, err) ||
      !read_string_map(j, "notes", k.notes, err) ||
      !read_count_map(j, "keys", k.keys, err) ||
      !read_count_map(j, "primary_keys", k.primary_keys, err))
    return fail<keys_result>(error, err);
  return k;
}

/// Widen an optional T into an optional reply.
template <class T>
std::optional<reply> as_reply(std::optional<T> v) {
  if (!v) return std::nullopt;
  return reply(std::move(*v));
}

}  // namespace

const char* to_string(peer_state s) { return s == peer_state::alive ? "alive" : "suspect"; }

const char* to_string(request_op op) {
  switch (op) {
    case request_op::subscribe:
      return "subscribe";
    case request_op::members:
      return "members";
    case request_op::join:
      return "join";
    case request_op::leave:
      return "leave";
    case request_op::keys:
      return "keys";
    case request_op::force_leave:
      return "force-leave";
    case request_op::info:
      return "info";
    case request_op::monitor:
      return "monitor";
  }
  return "unknown";
}

const char* to_string(keys_action a) {
  switch (a) {
    case keys_action::list:
      return "list";
    case keys_action::install:
      return "install";
    case keys_action::use:
      return "use";
    case keys_action::remove:
      return "remove";
  }
  return "unknown";
}

// ---- requests ----

std::string encode_request(const request& r) {
  ordered j = {{"op", to_string(r.op)}};
  if (r.op == request_op::join) j["addresses"] = r.addresses;
  if (r.op == request_op::keys) {
    j["action"] = to_string(r.action);
    if (r.action != keys_action::list) j["key"] = r.key;
    if (r.timeout_ms) j["timeout_ms"] = *r.timeout_ms;
  }
  if (r.op == request_op::force_leave) j["node"] = r.node;
  if (r.op == request_op::monitor && !r.log_level.empty()) j["log_level"] = r.log_level;
  return dump(j);
}

std::optional<request> decode_request(std::string_view line, std::string* error) {
  json j = parse(line);
  auto op_it = j.is_object() ? j.find("op") : j.end();
  if (!j.is_object() || op_it == j.end() || !op_it->is_string())
    return fail<request>(error, "request must be a JSON object with a string \"op\"");
  const auto& name = op_it->get_ref<const std::string&>();
  auto op = op_from(name);
  if (!op)
    return fail<request>(error,
                         "unknown op \"" + name +
                             "\" (subscribe, members, join, leave, keys, force-leave, info, "
                             "monitor)");
  request r;
  r.op = *op;
  if (r.op == request_op::join) {
    auto a = j.find("addresses");
    if (a == j.end() || !a->is_array() || a->empty())
      return fail<request>(error, "join needs a non-empty \"addresses\" array");
    for (const auto& v : *a) {
      if (!v.is_string()) return fail<request>(error, "join addresses must be strings");
      r.addresses.push_back(v.get<std::string>());
    }
  }
  if (r.op == request_op::keys) {
    auto a = j.find("action");
    std::optional<keys_action> action;
    if (a != j.end() && a->is_string()) action = action_from(a->get_ref<const std::string&>());
    if (!action)
      return fail<request>(error, "keys needs an \"action\": list, install, use or remove");
    r.action = *action;
    std::string err;
    if (!read_string(j, "keys", "key", r.action != keys_action::list, r.key, err))
      return fail<request>(error, err);
    if (r.action != keys_action::list && r.key.empty())
      return fail<request>(error, std::string("keys ") + to_string(r.action) + " needs a \"key\"");
    if (auto t = j.find("timeout_ms"); t != j.end()) {
      if (!t->is_number_unsigned() || t->get<std::uint64_t>() == 0)
        return fail<request>(error, "keys \"timeout_ms\" is not a positive integer");
      r.timeout_ms = t->get<std::uint64_t>();
    }
  }
  if (r.op == request_op::force_leave) {
    std::string err;
    if (!read_string(j, "force-leave", "node", true, r.node, err)) return fail<request>(error, err);
    if (r.node.empty()) return fail<request>(error, "force-leave needs a \"node\"");
  }
  if (r.op == request_op::monitor) {
    std::string err;
    if (!read_string(j, "monitor", "log_level", false, r.log_level, err))
      return fail<request>(error, err);
    bool known = r.log_level.empty();
    for (const char* l : {"trace", "debug", "info", "warn", "error"}) known |= r.log_level == l;
    if (!known)
      return fail<request>(error,
                           "monitor \"log_level\" must be trace, debug, info, warn or error");
  }
  return r;
}

// ---- snapshot ----

std::string encode_snapshot(const snapshot& s) {
  json peers = json::array();
  for (const auto& p : s.peers) peers.push_back(to_json(p));
  json j = {{"type", "snapshot"},      {"protocol", revision},     {"version", s.version},
            {"local_mode", s.local_mode}, {"self", to_json(s.self)}, {"peers", std::move(peers)}};
  return dump(j);
}

std::optional<snapshot> decode_snapshot(std::string_view line, std::string* error) {
  json j = parse(line);
  if (j.is_discarded()) return fail<snapshot>(error, "not valid JSON");
  return snapshot_from(j, error);
}

// ---- members document ----

std::string encode_members(const members_document& d) {
  ordered members = ordered::array();
  for (const auto& m : d.members) {
    ordered tags = ordered::object();
    for (const auto& [k, v] : m.tags) tags[k] = v;
    ordered versions = ordered::array();
    for (auto v : m.protocol) versions.push_back(static_cast<int>(v));
    members.push_back({
        {"name", m.name},
        {"address", m.address},
        {"port", m.port},
        {"state", m.state},
        {"incarnation", m.incarnation},
        {"tags", std::move(tags)},
        {"protocol", std::move(versions)},
        {"flaps", m.flaps},
        {"suppressed", m.suppressed},
        {"grey", m.grey},
    });
  }
  ordered doc = {{"node", d.node}, {"members", std::move(members)}};
  return dump(doc);
}

std::optional<members_document> decode_members(std::string_view line, std::string* error) {
  json j = parse(line);
  if (j.is_discarded()) return fail<members_document>(error, "not valid JSON");
  return members_from(j, error);
}

// ---- result and error lines ----

std::string encode_result(const result& r) {
  return dump(ordered{{"type", "result"}, {"ok", r.ok}, {"message", r.message}});
}

std::optional<result> decode_result(std::string_view line, std::string* error) {
  json j = parse(line);
  if (j.is_discarded()) return fail<result>(error, "not valid JSON");
  return result_from(j, error);
}

std::string encode_error(const error_reply& e) {
  return dump(ordered{{"type", "error"}, {"message", e.message}});
}

std::optional<error_reply> decode_error(std::string_view line, std::string* error) {
  json j = parse(line);
  if (j.is_discarded()) return fail<error_reply>(error, "not valid JSON");
  return error_from(j, error);
}

// ---- keys lines ----

std::string encode_keys_result(const keys_result& k) {
  ordered failures = ordered::object(), notes = ordered::object();
  for (const auto& [n, m] : k.failures) failures[n] = m;
  for (const auto& [n, m] : k.notes) notes[n] = m;
  ordered keys = ordered::object(), primary = ordered::object();
  for (const auto& [key, c] : k.keys) keys[key] = c;
  for (const auto& [key, c] : k.primary_keys) primary[key] = c;
  return dump(ordered{{"type", "keys"},
                      {"action", to_string(k.action)},
                      {"ok", k.ok},
                      {"message", k.message},
                      {"members", k.members},
                      {"responses", k.responses},
                      {"failures", std::move(failures)},
                      {"notes", std::move(notes)},
                      {"keys", std::move(keys)},
                      {"primary_keys", std::move(primary)}});
}

std::optional<keys_result> decode_keys_result(std::string_view line, std::string* error) {
  json j = parse(line);
  if (j.is_discarded()) return fail<keys_result>(error, "not valid JSON");
  return keys_from(j, error);
}

// ---- info and log lines ----

std::string encode_info(const info_reply& i) {
  ordered sections = ordered::object();
  for (const auto& [name, values] : i.sections) {
    ordered v = ordered::object();
    for (const auto& [k, x] : values) v[k] = x;
    sections[name] = std::move(v);
  }
  return dump(ordered{{"type", "info"}, {"sections", std::move(sections)}});
}

std::optional<info_reply> decode_info(std::string_view line, std::string* error) {
  json j = parse(line);
  if (j.is_discarded()) return fail<info_reply>(error, "not valid JSON");
  return info_from(j, error);
}

std::string encode_log(const log_line& l) {
  return dump(ordered{
      {"type", "log"}, {"time", l.time}, {"severity", l.severity}, {"message", l.message}});
}

std::optional<log_line> decode_log(std::string_view line, std::string* error) {
  json j = parse(line);
  if (j.is_discarded()) return fail<log_line>(error, "not valid JSON");
  return log_from(j, error);
}

// ---- any reply ----

std::optional<reply> decode_reply(request_op op, std::string_view line, std::string* error) {
  json j = parse(line);
  if (j.is_discarded()) return fail<reply>(error, "not valid JSON");
  if (has_type(j, "error")) return as_reply(error_from(j, error));
  switch (op) {
    case request_op::subscribe:
      return as_reply(snapshot_from(j, error));
    case request_op::members:
      return as_reply(members_from(j, error));
    case request_op::join:
    case request_op::leave:
      return as_reply(result_from(j, error));
    case request_op::keys:
      return as_reply(keys_from(j, error));
    case request_op::force_leave:
      return as_reply(result_from(j, error));
    case request_op::info:
      return as_reply(info_from(j, error));
    case request_op::monitor:
      return as_reply(log_from(j, error));
  }
  return fail<reply>(error, "unknown request op");
}

}  // namespace peerlib::protocol
