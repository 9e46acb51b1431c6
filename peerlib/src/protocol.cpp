#include "peerlib/protocol.hpp"

#include <nlohmann/json.hpp>

namespace peerlib::protocol {
namespace {

using nlohmann::json;

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

// Strict on types, lenient on absent optional keys: a newer agent may add keys.
bool from_json(const json& j, peer& p, std::string& err) {
  if (!j.is_object()) return err = "peer is not an object", false;
  auto str = [&](const char* k, std::string& out, bool required) {
    auto it = j.find(k);
    if (it == j.end()) return !required || (err = std::string("peer lacks \"") + k + "\"", false);
    if (!it->is_string()) return err = std::string("peer \"") + k + "\" is not a string", false;
    out = it->get<std::string>();
    return true;
  };
  if (!str("name", p.name, true) || !str("address", p.address, true) ||
      !str("cache_url", p.cache_url, false) || !str("zone", p.zone, false))
    return false;
  if (auto it = j.find("port"); it != j.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 65535)
      return err = "peer \"port\" is not a port number", false;
    p.port = it->get<std::uint16_t>();
  }
  if (auto it = j.find("cache_port"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 65535)
      return err = "peer \"cache_port\" is not a port number", false;
    p.cache_port = it->get<std::uint16_t>();
  }
  if (auto it = j.find("incarnation"); it != j.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 0xffffffffu)
      return err = "peer \"incarnation\" is not a 32-bit unsigned integer", false;
    p.incarnation = it->get<std::uint32_t>();
  }
  if (auto it = j.find("state"); it != j.end()) {
    if (*it == "alive") p.state = peer_state::alive;
    else if (*it == "suspect") p.state = peer_state::suspect;
    else return err = "peer \"state\" is neither \"alive\" nor \"suspect\"", false;
  }
  if (auto it = j.find("tags"); it != j.end()) {
    if (!it->is_object()) return err = "peer \"tags\" is not an object", false;
    for (auto& [k, v] : it->items()) {
      if (!v.is_string()) return err = "tag \"" + k + "\" is not a string", false;
      p.tags[k] = v.get<std::string>();
    }
  }
  return true;
}

}  // namespace

const char* to_string(peer_state s) { return s == peer_state::alive ? "alive" : "suspect"; }

std::string encode_snapshot(const snapshot& s) {
  json peers = json::array();
  for (const auto& p : s.peers) peers.push_back(to_json(p));
  json j = {{"type", "snapshot"},      {"protocol", revision},     {"version", s.version},
            {"local_mode", s.local_mode}, {"self", to_json(s.self)}, {"peers", std::move(peers)}};
  // Invalid UTF-8 in a tag must not throw: replace it.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<snapshot> decode_snapshot(std::string_view line, std::string* error) {
  std::string err;
  auto fail = [&](std::string e) -> std::optional<snapshot> {
    if (error) *error = std::move(e);
    return std::nullopt;
  };
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail("not valid JSON");
  if (!j.is_object() || j.value("type", "") != "snapshot") return fail("not a snapshot line");
  snapshot s;
  auto v = j.find("version");
  if (v == j.end() || !v->is_number_unsigned()) return fail("snapshot lacks a numeric \"version\"");
  s.version = v->get<std::uint64_t>();
  auto lm = j.find("local_mode");
  if (lm == j.end() || !lm->is_boolean()) return fail("snapshot lacks a boolean \"local_mode\"");
  s.local_mode = lm->get<bool>();
  auto self = j.find("self");
  if (self == j.end() || !from_json(*self, s.self, err)) return fail("self: " + err);
  auto peers = j.find("peers");
  if (peers == j.end() || !peers->is_array()) return fail("snapshot lacks a \"peers\" array");
  for (const auto& pj : *peers) {
    peer p;
    if (!from_json(pj, p, err)) return fail("peers: " + err);
    s.peers.push_back(std::move(p));
  }
  return s;
}

std::string encode_request(std::string_view op, const std::vector<std::string>& addresses) {
  json j = {{"op", op}};
  if (!addresses.empty()) j["addresses"] = addresses;
  return j.dump();
}

}  // namespace peerlib::protocol
