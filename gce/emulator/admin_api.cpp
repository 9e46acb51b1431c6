#include "gce/emulator/admin_api.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "gce/emulator/compute_api.hpp"
#include "gce/emulator/url.hpp"

namespace gce::emulator {

using json = nlohmann::json;
using namespace std::chrono;

namespace {

response ok(const json& j = {{"ok", true}}) { return json_response(200, j); }
response bad(std::string msg) { return json_response(400, {{"error", std::move(msg)}}); }

json stats(const state& st) {
  json calls = json::object();
  for (const auto& [k, v] : st.calls()) calls[k] = v;
  return {{"calls", calls},
          {"compute_total", st.calls("compute")},
          {"metadata_total", st.calls("metadata")}};
}

/// POST /admin/instances: one instance, an array, or {"instances": [...]}.
response add_instances(state& st, const json& body) {
  const json* list = &body;
  if (body.is_object() && body.contains("instances")) list = &body["instances"];
  std::string error;
  if (list->is_array()) {
    for (const auto& j : *list)
      if (!st.add_instance(j, error)) return bad(error);
  } else if (!st.add_instance(*list, error)) {
    return bad(error);
  }
  return ok();
}

/// DELETE /admin/instances/NAME and POST .../preempt, .../maintenance.
response change_instance(state& st, const request& req, const std::vector<std::string_view>& parts,
                         const json& body) {
  const std::string name(parts[2]);
  emu_instance* in = st.find(name);
  if (in == nullptr) return json_response(404, {{"error", "no such instance"}});
  if (parts.size() == 3 && req.method == "DELETE") {
    st.remove_instance(name);
    return ok();
  }
  if (parts.size() == 4 && parts[3] == "preempt" && req.method == "POST") {
    in->preempted = true;
    in->status = body.is_object() ? body.value("status", "TERMINATED") : "TERMINATED";
    return ok();
  }
  if (parts.size() == 4 && parts[3] == "maintenance" && req.method == "POST") {
    const std::string ev = body.is_object() ? body.value("event", "") : "";
    if (ev != "NONE" && ev != "MIGRATE_ON_HOST_MAINTENANCE" && ev != "TERMINATE_ON_HOST_MAINTENANCE")
      return bad("event must be NONE, MIGRATE_ON_HOST_MAINTENANCE or TERMINATE_ON_HOST_MAINTENANCE");
    in->maintenance_event = ev;
    return ok();
  }
  return json_response(404, {{"error", "unknown admin endpoint"}});
}

/// POST /admin/faults.
response set_faults(state& st, const json& body, system_clock::time_point wall) {
  if (!body.is_object()) return bad("faults: expected a JSON object");
  fault_set& f = st.faults;
  try {
    const std::string target = body.value("target", "compute");
    if (target != "compute" && target != "metadata" && target != "all")
      return bad("target must be compute, metadata or all");
    const int count = body.value("count", 1);
    if (count < -1) return bad("count must be >= -1 (-1 = until cleared)");
    if (body.value("clear", false)) f = fault_set{};
    if (body.contains("status")) {
      const int s = body["status"].get<int>();
      if (s < 400 || s > 599) return bad("status must be 400-599");
      const std::string reason = body.value("reason", "");
      if (!reason.empty() && reason != "rateLimitExceeded" &&
          reason != "insufficientPermissions" && reason != "forbidden")
        return bad("reason must be rateLimitExceeded, insufficientPermissions or forbidden");
      f.status = s;
      f.status_fault = {count, target};
      f.reason = reason;
    }
    if (body.value("rate_limit", false)) {
      const int secs = body.value("seconds", 60);
      if (secs < 0 || secs > 3600) return bad("seconds must be 0-3600");
      f.rate_limited_until = wall + seconds(secs);
    }
    if (body.contains("delay_ms")) {
      const int ms = body["delay_ms"].get<int>();
      if (ms < 0 || ms > 600'000) return bad("delay_ms must be 0-600000");
      f.delay = milliseconds(ms);
      f.slow = {count, target};
    }
    if (body.value("malformed", false)) f.malformed = {count, target};
    if (body.contains("quota_per_minute")) {
      const int qpm = body["quota_per_minute"].get<int>();
      if (qpm < 0) return bad("quota_per_minute must be >= 0");
      f.quota_per_minute = qpm;
      f.quota_minute = -1;
    }
  } catch (const json::exception& e) {
    return bad(std::string("faults: ") + e.what());
  }
  return ok();
}

/// POST /admin/page_size.
response set_page_size(state& st, const json& body) {
  if (!body.is_object() || !body.contains("size") || !body["size"].is_number_integer())
    return bad("page_size: expected {\"size\": 1-500, \"empty_pages\": bool}");
  const int s = body["size"].get<int>();
  if (s < 1 || s > 500) return bad("size must be 1-500");
  st.page_size = s;
  st.empty_pages = body.value("empty_pages", false);
  return ok();
}

/// POST /admin/tokens.
response set_tokens(state& st, const json& body) {
  if (!body.is_object()) return bad("tokens: expected a JSON object");
  if (body.contains("ttl_seconds")) {
    if (!body["ttl_seconds"].is_number_integer() || body["ttl_seconds"].get<int>() < 1)
      return bad("ttl_seconds must be a positive integer");
    st.token_ttl = seconds(body["ttl_seconds"].get<int>());
  }
  if (body.value("revoke", false)) st.revoke_tokens();
  return ok();
}

response serve(state& st, const request& req, system_clock::time_point wall) {
  const auto parts = split_path(split_target(req.target).path);  // "admin", ...
  json body;
  if (req.method == "POST") {
    body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return bad("body is not JSON");
  }
  const bool get = req.method == "GET", post = req.method == "POST";
  if (parts.size() == 2 && parts[1] == "stats" && get) return ok(stats(st));
  if (parts.size() == 3 && parts[1] == "stats" && parts[2] == "reset" && post) {
    st.reset_calls();
    return ok();
  }
  if (parts.size() == 2 && parts[1] == "instances") {
    if (get) {
      json list = json::array();
      for (const auto& [_, in] : st.instances()) {
        json j = instance_json(st, in);
        j["preempted"] = in.preempted;
        j["maintenance_event"] = in.maintenance_event;
        if (!in.group.empty()) {
          j["group"] = in.group;
          j["current_action"] = in.current_action;
        }
        list.push_back(std::move(j));
      }
      return ok({{"instances", list}});
    }
    if (post) return add_instances(st, body);
  }
  if (parts.size() >= 3 && parts[1] == "instances") return change_instance(st, req, parts, body);
  if (parts.size() == 2 && parts[1] == "faults" && post) return set_faults(st, body, wall);
  if (parts.size() == 2 && parts[1] == "page_size" && post) return set_page_size(st, body);
  if (parts.size() == 2 && parts[1] == "tokens" && post) return set_tokens(st, body);
  return json_response(404, {{"error", "unknown admin endpoint"}});
}

}  // namespace

response handle_admin(state& st, const request& req, system_clock::time_point wall) {
  try {
    return serve(st, req, wall);
  } catch (const std::exception& e) {
    return bad_request(e.what());
  }
}

}  // namespace gce::emulator
