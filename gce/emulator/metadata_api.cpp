#include "gce/emulator/metadata_api.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "gce/emulator/hash.hpp"
#include "gce/emulator/url.hpp"

namespace gce::emulator {

using json = nlohmann::json;
using namespace std::chrono;

namespace {

/// Error pages carry Metadata-Flavor like the real server's.
response html(int status, const std::string& msg) {
  response r = text_response(status, "<html><body>" + msg + "</body></html>\n", "text/html");
  r.headers.emplace_back("Metadata-Flavor", "Google");
  return r;
}

/// One metadata key's value, or nullopt when there is no such key.
struct lookup {
  std::optional<std::string> value;
  std::string type = "application/text";
  bool is_dir = false;
  bool token = false;  ///< the service-account token (issued, not looked up)
};

lookup find_key(const state& st, const emu_instance& vm, const std::string& key, bool recursive) {
  lookup l;
  const std::string nic_prefix = "instance/network-interfaces/";
  if (key == "project/project-id") l.value = st.project();
  else if (key == "project/numeric-project-id") l.value = st.project_number();
  else if (key == "instance/id") l.value = vm.id;
  else if (key == "instance/name") l.value = vm.name;
  else if (key == "instance/hostname")
    l.value = vm.hostname.empty() ? vm.name + "." + vm.zone + ".c." + st.project() + ".internal"
                                  : vm.hostname;
  else if (key == "instance/zone") l.value = "projects/" + st.project_number() + "/zones/" + vm.zone;
  else if (key == "instance/preempted") l.value = vm.preempted ? "TRUE" : "FALSE";
  else if (key == "instance/maintenance-event") l.value = vm.maintenance_event;
  else if (key == "instance/tags") {
    l.value = json(vm.tags).dump();
    l.type = "application/json";
  } else if (key == "instance/service-accounts/default/token") {
    l.token = true;
  } else if (key == "instance/service-accounts/default/scopes") {
    std::string lines;
    for (const auto& sc : vm.scopes) lines += sc + "\n";
    l.value = lines;
  } else if (key == "instance/service-accounts/default/email") {
    l.value = "emulated@" + st.project() + ".iam.gserviceaccount.com";
  } else if (key == "instance/service-accounts") {
    l.value = "default/\n";
    l.is_dir = true;
  } else if (key == "instance/attributes") {
    l.is_dir = true;
    if (recursive) {
      l.value = json(vm.metadata).dump();
      l.type = "application/json";
    } else {
      std::string keys;
      for (const auto& [k, _] : vm.metadata) keys += k + "\n";
      l.value = keys;
    }
  } else if (key.starts_with("instance/attributes/")) {
    auto it = vm.metadata.find(key.substr(20));
    if (it != vm.metadata.end()) l.value = it->second;
  } else if (key == "instance/network-interfaces") {
    l.is_dir = true;
    std::string list;
    for (std::size_t i = 0; i < vm.nics.size(); ++i) list += std::to_string(i) + "/\n";
    l.value = list;
  } else if (key.starts_with(nic_prefix)) {
    auto parts = split_path(std::string_view(key).substr(nic_prefix.size()));
    if (!parts.empty() && parts[0].size() <= 2 &&
        std::all_of(parts[0].begin(), parts[0].end(), ::isdigit)) {
      const auto i = std::stoul(std::string(parts[0]));
      if (i < vm.nics.size()) {
        const auto& n = vm.nics[i];
        if (parts.size() == 2 && parts[1] == "ip") l.value = n.ip;
        else if (parts.size() == 2 && parts[1] == "network")
          l.value = "projects/" + st.project_number() + "/networks/default";
        else if (parts.size() == 4 && parts[1] == "access-configs" && parts[2] == "0" &&
                 parts[3] == "external-ip" && !n.external_ip.empty())
          l.value = n.external_ip;
      }
    }
  } else if (key.empty()) {
    l.is_dir = true;
    l.value = "instance/\nproject/\n";
  } else if (key == "project") {
    l.is_dir = true;
    l.value = "attributes/\nnumeric-project-id\nproject-id\n";
  } else if (key == "instance") {
    l.is_dir = true;
    l.value =
        "attributes/\nhostname\nid\nmaintenance-event\nname\nnetwork-interfaces/\npreempted\n"
        "service-accounts/\ntags\nzone\n";
  } else if (key == "project/attributes") {
    l.is_dir = true;
    l.value = recursive ? "{}" : "";
    if (recursive) l.type = "application/json";
  }
  return l;
}

response serve(state& st, const request& req, steady_clock::time_point now) {
  if (!req.recheck) st.count("metadata");
  if (req.header("x-forwarded-for")) return html(403, "X-Forwarded-For is not allowed");
  if (req.header("metadata-flavor") != "Google")
    return html(403, "Missing Metadata-Flavor:Google header.");
  if (!req.recheck) {
    if (st.faults.status_fault.take("metadata")) return html(st.faults.status, "injected fault");
  }
  const emu_instance* vm = st.identify(req.source_ip);
  if (vm == nullptr) return html(404, "no emulated instance has address " + req.source_ip);

  const auto [path, query] = split_target(req.target);
  auto q = parse_query(query);
  const bool recursive = q["recursive"] == "true";
  const bool wait = q["wait_for_change"] == "true";
  constexpr std::string_view root = "/computeMetadata/v1";
  if (!path.starts_with(root) || (path.size() > root.size() && path[root.size()] != '/'))
    return html(404, "Error 404 (Not Found)!!1");
  const std::string_view p = path.substr(root.size());
  // Double slashes are tolerated; a trailing slash marks a directory.
  const bool dir = p.ends_with('/');
  std::string key;
  for (auto seg : split_path(p)) key += (key.empty() ? "" : "/") + std::string(seg);

  const lookup l = find_key(st, *vm, key, recursive);
  if (l.token) {
    if (!req.recheck) st.count("metadata.token");
    if (wait) return html(400, "wait_for_change is not supported on the token");
    const issued_token t = st.token_for(vm->name, now);
    // No Metadata-Flavor on token replies, as on the real server.
    return json_response(200, {{"access_token", t.access_token},
                               {"expires_in", t.expires_in.count()},
                               {"token_type", "Bearer"}});
  }
  if (!l.value) return html(404, "Error 404 (Not Found)!!1");
  if (dir && !l.is_dir) return html(404, "Error 404 (Not Found)!!1");
  if (wait && l.is_dir && !recursive)
    return html(400, "wait_for_change on a directory needs recursive=true");

  const std::string etag = digest(key + (recursive ? "?r" : "") + "\n" + *l.value);
  if (wait) {
    if (!req.recheck) st.count("metadata.watch");
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
  response r = text_response(200, *l.value, l.type);
  r.headers.emplace_back("Metadata-Flavor", "Google");
  r.headers.emplace_back("Server", "Metadata Server for VM");
  r.headers.emplace_back("ETag", etag);
  return r;
}

}  // namespace

response handle_metadata(state& st, const request& req, steady_clock::time_point now) {
  try {
    return serve(st, req, now);
  } catch (const std::exception& e) {
    return bad_request(e.what());
  }
}

}  // namespace gce::emulator
