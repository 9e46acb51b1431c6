#include "gce/emulator/compute_api.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "gce/emulator/filter.hpp"
#include "gce/emulator/hash.hpp"
#include "gce/emulator/url.hpp"

namespace gce::emulator {

using json = nlohmann::json;
using namespace std::chrono;

namespace {

constexpr std::string_view api_root = "https://www.googleapis.com/compute/v1/";

std::string zone_url(const state& st, std::string_view zone) {
  return std::string(api_root) + "projects/" + st.project() + "/zones/" + std::string(zone);
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

/// One page of `all` (already in answer order) for instances.list (`scope`
/// "zones/Z") or aggregatedList (`scope` "aggregated").
response list_instances(const state& st, const std::vector<const emu_instance*>& all,
                        const std::string& scope, std::string_view query, bool aggregated) {
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
  const int size = std::max(1, std::min(max_results, st.page_size));

  std::vector<const emu_instance*> matched;
  for (const auto* in : all) {
    const filter_result m = evaluate_filter(filter, *in);
    if (!m.valid)
      return api_error(400, "invalid",
                       "Invalid value for field 'filter': '" + filter + "'. Invalid list filter expression.");
    if (m.match) matched.push_back(in);
  }
  // Opaque token: offset, whether the empty page was served, and a hash of the
  // request so a token reused with another filter or scope is rejected.
  const std::string fingerprint = digest(scope + "|" + filter + "|" + std::to_string(size));
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
  if (st.empty_pages && !empty_done && offset < matched.size()) {
    next = make_token(offset, true);  // an empty page that still carries a token
  } else {
    const std::size_t end = std::min(matched.size(), offset + static_cast<std::size_t>(size));
    page.assign(matched.begin() + static_cast<std::ptrdiff_t>(offset),
                matched.begin() + static_cast<std::ptrdiff_t>(end));
    if (end < matched.size()) next = make_token(end, false);
  }

  json j;
  const std::string self = std::string(api_root) + "projects/" + st.project() +
                           (aggregated ? "/aggregated/instances" : "/" + scope + "/instances");
  if (aggregated) {
    j = {{"kind", "compute#instanceAggregatedList"},
         {"id", "projects/" + st.project() + "/aggregated/instances"}};
    json items = json::object();
    for (const auto& z : st.all_zones()) {
      json list = json::array();
      for (const auto* in : page)
        if (in->zone == z) list.push_back(instance_json(st, *in));
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
    j = {{"kind", "compute#instanceList"}, {"id", "projects/" + st.project() + "/" + scope + "/instances"}};
    if (!page.empty()) {
      json items = json::array();
      for (const auto* in : page) items.push_back(instance_json(st, *in));
      j["items"] = std::move(items);
    }
  }
  if (!next.empty()) j["nextPageToken"] = next;
  j["selfLink"] = self;
  return json_response(200, j);
}

std::string region_of_zone(const std::string& z) {
  const auto dash = z.rfind('-');
  return dash == std::string::npos ? z : z.substr(0, dash);
}

/// instanceGroupManagers.listManagedInstances (zones/Z) or
/// regionInstanceGroupManagers.listManagedInstances (regions/R): the group's members, in
/// one response (the PAGELESS default: maxResults and pageToken are ignored). Each entry
/// has the instance URL and currentAction; id and instanceStatus are left out while the
/// action is CREATING (the real API has none until the VM exists). A group without
/// members is unknown: 404.
response list_managed(const state& st, const std::vector<std::string_view>& parts,
                      std::string_view query) {
  (void)query;
  const bool regional = parts[2] == "regions";
  const std::string where(parts[3]);
  const std::string group(parts[5]);
  json items = json::array();
  bool any = false;
  for (const auto& [_, in] : st.instances()) {
    if (in.group != group) continue;
    if (regional ? region_of_zone(in.zone) != where : in.zone != where) continue;
    any = true;
    json m = {{"instance", zone_url(st, in.zone) + "/instances/" + in.name},
              {"currentAction", in.current_action},
              {"version", {{"instanceTemplate", std::string(api_root) + "projects/" + st.project() +
                                                    "/global/instanceTemplates/" + group + "-tpl"}}}};
    if (in.current_action != "CREATING") {
      m["id"] = in.id;
      m["instanceStatus"] = in.status;
    }
    items.push_back(std::move(m));
  }
  if (!any)  // the emulator knows a group only through its members
    return api_error(404, "notFound",
                     "The resource 'projects/" + st.project() + "/" + std::string(parts[2]) + "/" +
                         where + "/instanceGroupManagers/" + group + "' was not found");
  return json_response(200, {{"managedInstances", items}});
}

/// The counter name of the endpoint `parts` (the path after /compute/v1/) names.
std::string endpoint_of(const std::vector<std::string_view>& parts) {
  if (parts.size() == 5 && parts[0] == "projects" && parts[2] == "zones" && parts[4] == "instances")
    return "compute.list";
  if (parts.size() == 4 && parts[0] == "projects" && parts[2] == "aggregated" && parts[3] == "instances")
    return "compute.aggregated";
  if (parts.size() == 3 && parts[0] == "projects" && parts[2] == "zones") return "compute.zones";
  if (parts.size() == 4 && parts[0] == "projects" && parts[2] == "regions") return "compute.regions";
  if (parts.size() == 7 && parts[0] == "projects" && (parts[2] == "zones" || parts[2] == "regions") &&
      parts[4] == "instanceGroupManagers" && parts[6] == "listManagedInstances")
    return "compute.managed";
  return "compute.other";
}

/// The answer before injected delays.
response serve(state& st, const request& req, std::string_view path, std::string_view query,
               steady_clock::time_point now, system_clock::time_point wall) {
  const auto parts = split_path(path.substr(std::string_view("/compute/v1/").size()));
  const std::string endpoint = endpoint_of(parts);
  st.count(endpoint);
  st.count("compute");

  // listManagedInstances is a POST (with an empty body); everything else is a GET.
  if (req.method != (endpoint == "compute.managed" ? "POST" : "GET"))
    return api_error(405, "methodNotAllowed",
                     endpoint == "compute.managed" ? "listManagedInstances is a POST"
                                                   : "only GET is emulated");
  if (st.require_auth) {
    auto auth = req.header("authorization").value_or("");
    if (auth.empty())
      return api_error(401, "required", "Request is missing required authentication credential.");
    std::string tok = auth.starts_with("Bearer ") ? auth.substr(7) : "";
    if (!st.token_valid(tok, now))
      return api_error(401, "authError",
                       "Request had invalid authentication credentials. Expected OAuth 2 access token.");
  }
  fault_set& f = st.faults;
  if (wall < f.rate_limited_until)
    return api_error(403, "rateLimitExceeded",
                     "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                     "minute per region' of service 'compute.googleapis.com' for consumer "
                     "'project_number:" + st.project_number() + "'.");
  if (f.over_quota(wall))
    return api_error(403, "rateLimitExceeded",
                     "Quota exceeded for quota metric 'Read requests' and limit 'Read requests "
                     "per minute' of service 'compute.googleapis.com'.");
  if (f.status_fault.take("compute")) {
    // The two refusals of a real 403 that are not about quota, worded as the API words them.
    if (f.status == 403 && f.reason == "insufficientPermissions")
      return api_error(403, f.reason, "Request had insufficient authentication scopes.");
    if (f.status == 403 && f.reason == "forbidden")
      return api_error(403, f.reason,
                       "Required 'compute.instances.list' permission for 'projects/" +
                           st.project() + "'");
    if (f.status == 403 || f.status == 429)
      return api_error(f.status, "rateLimitExceeded", "Quota exceeded (injected).");
    return api_error(f.status, f.status >= 500 ? "backendError" : "injected", "Injected fault.");
  }
  if (parts.size() < 2 || parts[0] != "projects" || parts[1] != st.project())
    return api_error(404, "notFound",
                     "The resource 'projects/" + (parts.size() > 1 ? std::string(parts[1]) : "") +
                         "' was not found");

  response out;
  if (endpoint == "compute.list") {
    const std::string zone(parts[3]);
    if (st.all_zones().count(zone) == 0)
      return api_error(404, "notFound",
                       "The resource 'projects/" + st.project() + "/zones/" + zone + "' was not found");
    std::vector<const emu_instance*> list;
    for (const auto& [_, in] : st.instances())
      if (in.zone == zone) list.push_back(&in);
    out = list_instances(st, list, "zones/" + zone, query, false);
  } else if (endpoint == "compute.aggregated") {
    std::vector<const emu_instance*> list;
    for (const auto& [_, in] : st.instances()) list.push_back(&in);
    std::stable_sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->zone < b->zone; });
    out = list_instances(st, list, "aggregated", query, true);
  } else if (endpoint == "compute.zones") {
    json items = json::array();
    for (const auto& z : st.all_zones())
      items.push_back({{"kind", "compute#zone"}, {"name", z}, {"selfLink", zone_url(st, z)}, {"status", "UP"}});
    out = json_response(200, {{"kind", "compute#zoneList"}, {"items", items}});
  } else if (endpoint == "compute.regions") {
    const std::string region(parts[3]);
    json zones = json::array();
    for (const auto& z : st.all_zones())
      if (z.rfind('-') != std::string::npos && z.substr(0, z.rfind('-')) == region)
        zones.push_back(zone_url(st, z));
    if (zones.empty())
      return api_error(404, "notFound",
                       "The resource 'projects/" + st.project() + "/regions/" + region + "' was not found");
    out = json_response(200, {{"kind", "compute#region"}, {"name", region}, {"zones", zones}});
  } else if (endpoint == "compute.managed") {
    out = list_managed(st, parts, query);
  } else {
    return api_error(404, "notFound", "not emulated: " + std::string(path));
  }
  if (out.status == 200 && f.malformed.take("compute"))
    out.body = out.body.substr(0, out.body.size() / 2);  // truncated JSON
  return out;
}

}  // namespace

json instance_json(const state& st, const emu_instance& in) {
  json j = {{"kind", "compute#instance"},
            {"id", in.id},
            {"name", in.name},
            {"zone", zone_url(st, in.zone)},
            {"status", in.status},
            {"selfLink", zone_url(st, in.zone) + "/instances/" + in.name}};
  json nics = json::array();
  for (const auto& n : in.nics) {
    json nj = {{"kind", "compute#networkInterface"},
               {"name", n.name},
               {"network", std::string(api_root) + "projects/" + st.project() + "/global/networks/default"}};
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

response handle_compute(state& st, const request& req, steady_clock::time_point now,
                        system_clock::time_point wall) {
  try {
    const auto [path, query] = split_target(req.target);
    response r = serve(st, req, path, query, now, wall);
    if (st.faults.slow.take("compute")) r.delay = st.faults.delay;
    return r;
  } catch (const std::exception& e) {
    return bad_request(e.what());
  }
}

}  // namespace gce::emulator
