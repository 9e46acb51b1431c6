// gce-emulator's Compute API handler (gce/emulator/compute_api.hpp) as a pure
// function: instances.list and aggregatedList pages and tokens, filters, auth,
// zones and regions, call counters and injected faults. No sockets.

#include "gce/emulator/compute_api.hpp"
#include "gce/emulator/metadata_api.hpp"

#include <doctest/doctest.h>

#include <set>

#include <nlohmann/json.hpp>

namespace emu = gce::emulator;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1000h;
// 2026-01-01 10:00:30 UTC: 30 s into a quota minute.
const std::chrono::system_clock::time_point wall0 =
    std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + 10h + 30s;

constexpr const char* fixture = R"({
  "project": "acme-prod", "project_number": "123456789012",
  "zones": ["us-central1-a", "us-central1-b", "us-central1-f", "us-east1-b"],
  "instances": [
    {"name": "vm-1", "zone": "us-central1-a", "networkIP": "127.0.4.10", "tags": ["peer"],
     "metadata": {"cluster": "a", "flag": ""}, "labels": {"app": "cache"}},
    {"name": "vm-2", "zone": "us-central1-a", "networkIP": "127.0.4.11", "tags": ["peer", "http"],
     "labels": {"app": "cache"}},
    {"name": "vm-3", "zone": "us-central1-f", "networkIP": "127.0.4.12", "labels": {"app": "cache"}},
    {"name": "vm-4", "zone": "us-central1-a", "networkIP": "127.0.4.13", "labels": {"app": "cache"},
     "status": "TERMINATED"},
    {"name": "web", "zone": "us-east1-b", "id": "42",
     "networkInterfaces": [{"name": "nic0", "networkIP": "127.0.4.14", "natIP": "34.1.2.3"}]}
  ]})";

struct emulator {
  emu::state st;
  std::string token;

  emulator() {
    std::string error;
    REQUIRE(st.load(json::parse(fixture), error));
    emu::request r{"GET", "/computeMetadata/v1/instance/service-accounts/default/token",
                   {{"Metadata-Flavor", "Google"}}, "", "127.0.4.10"};
    const emu::response tr = emu::handle_metadata(st, r, t0);
    REQUIRE(tr.status == 200);
    token = json::parse(tr.body)["access_token"];
    st.reset_calls();
  }

  emu::response get(const std::string& target, std::chrono::steady_clock::time_point now = t0,
                    std::chrono::system_clock::time_point wall = wall0) {
    emu::request r{"GET", target, {{"Authorization", "Bearer " + token}}, "", "127.0.0.1"};
    return emu::handle_compute(st, r, now, wall);
  }

  json get_json(const std::string& target) {
    const emu::response r = get(target);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }
};

const std::string list_a = "/compute/v1/projects/acme-prod/zones/us-central1-a/instances";
const std::string aggregated = "/compute/v1/projects/acme-prod/aggregated/instances";

std::vector<std::string> names(const json& list_page) {
  std::vector<std::string> out;
  for (const auto& i : list_page.value("items", json::array())) out.push_back(i["name"]);
  return out;
}

std::string error_reason(const emu::response& r) {
  return json::parse(r.body)["error"]["errors"][0]["reason"];
}

}  // namespace

TEST_CASE("emulator compute: instances.list serves one zone in the API's shape") {
  emulator e;
  const json page = e.get_json(list_a);
  CHECK(page["kind"] == "compute#instanceList");
  CHECK(names(page) == std::vector<std::string>{"vm-1", "vm-2", "vm-4"});
  CHECK_FALSE(page.contains("nextPageToken"));
  CHECK(page["selfLink"] == "https://www.googleapis.com" + list_a);
  const json& vm1 = page["items"][0];
  CHECK(vm1["id"].is_string());
  CHECK(vm1["zone"] == "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a");
  CHECK(vm1["networkInterfaces"][0]["networkIP"] == "127.0.4.10");
  CHECK(vm1["tags"]["items"] == json::array({"peer"}));
  CHECK(vm1["labels"]["app"] == "cache");
  // A metadata item with an empty value has no "value"; an empty zone has no "items".
  CHECK(vm1["metadata"]["items"][1] == json{{"key", "flag"}});
  CHECK_FALSE(page["items"][2].contains("tags"));
  CHECK_FALSE(e.get_json("/compute/v1/projects/acme-prod/zones/us-central1-b/instances").contains("items"));

  const json web = e.get_json("/compute/v1/projects/acme-prod/zones/us-east1-b/instances")["items"][0];
  CHECK(web["id"] == "42");
  CHECK(web["networkInterfaces"][0]["accessConfigs"][0]["natIP"] == "34.1.2.3");
  CHECK_FALSE(web.contains("labels"));
}

TEST_CASE("emulator compute: unknown project, zone, region or path are 404") {
  emulator e;
  CHECK(e.get("/compute/v1/projects/other/zones/us-central1-a/instances").status == 404);
  const emu::response zone = e.get("/compute/v1/projects/acme-prod/zones/mars-1a/instances");
  CHECK(zone.status == 404);
  CHECK(error_reason(zone) == "notFound");
  CHECK(e.get("/compute/v1/projects/acme-prod/regions/asia-east1").status == 404);
  CHECK(e.get("/compute/v1/projects/acme-prod/global/networks").status == 404);
  CHECK(e.st.calls("compute.other") == 1);
  CHECK(e.st.calls("compute") == 4);
}

TEST_CASE("emulator compute: zones.list and regions.get") {
  emulator e;
  const json zones = e.get_json("/compute/v1/projects/acme-prod/zones");
  std::vector<std::string> z;
  for (const auto& item : zones["items"]) z.push_back(item["name"]);
  CHECK(z == std::vector<std::string>{"us-central1-a", "us-central1-b", "us-central1-f", "us-east1-b"});
  const json region = e.get_json("/compute/v1/projects/acme-prod/regions/us-central1");
  CHECK(region["zones"].size() == 3);
  CHECK(region["zones"][2] ==
        "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-f");
}

TEST_CASE("emulator compute: filters select, bad filters are 400") {
  emulator e;
  CHECK(names(e.get_json(list_a + "?filter=status%20%3D%20%22RUNNING%22")) ==
        std::vector<std::string>{"vm-1", "vm-2"});
  CHECK(names(e.get_json(list_a + "?filter=tags.items+%3D+http")) == std::vector<std::string>{"vm-2"});
  const emu::response bad = e.get(list_a + "?filter=metadata.items.cluster%3Da");
  CHECK(bad.status == 400);
  CHECK(error_reason(bad) == "invalid");
  CHECK(json::parse(bad.body)["error"]["message"] ==
        "Invalid value for field 'filter': 'metadata.items.cluster=a'. Invalid list filter expression.");
  CHECK(e.get(list_a + "?filter=nosuchfield%3Dx").status == 400);
  // A filter is only checked against instances: a zone without any answers 200.
  CHECK(e.get("/compute/v1/projects/acme-prod/zones/us-central1-b/instances?filter=bogus").status == 200);
}

TEST_CASE("emulator compute: maxResults pages, tokens are followed and checked") {
  emulator e;
  std::vector<std::string> seen;
  std::string next;
  int pages = 0;
  do {
    const json page = e.get_json(list_a + "?maxResults=1" + (next.empty() ? "" : "&pageToken=" + next));
    for (const auto& n : names(page)) seen.push_back(n);
    next = page.value("nextPageToken", "");
    ++pages;
  } while (!next.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == std::vector<std::string>{"vm-1", "vm-2", "vm-4"});

  const std::string token = e.get_json(list_a + "?maxResults=1")["nextPageToken"];
  // The same token with another filter, page size or zone is refused.
  CHECK(e.get(list_a + "?maxResults=2&pageToken=" + token).status == 400);
  CHECK(e.get(list_a + "?maxResults=1&filter=name%3Avm&pageToken=" + token).status == 400);
  CHECK(e.get("/compute/v1/projects/acme-prod/zones/us-central1-f/instances?maxResults=1&pageToken=" + token)
            .status == 400);
  CHECK(e.get(list_a + "?pageToken=garbage").status == 400);

  CHECK(e.get(list_a + "?maxResults=501").status == 400);
  CHECK(e.get(list_a + "?maxResults=-1").status == 400);
  CHECK(e.get(list_a + "?maxResults=x").status == 400);
  CHECK(names(e.get_json(list_a + "?maxResults=0")).size() == 3);  // 0 = the default, 500
}

TEST_CASE("emulator compute: page_size caps pages; empty_pages puts an empty page with a token first") {
  emulator e;
  e.st.page_size = 2;
  json page = e.get_json(list_a + "?maxResults=500");
  CHECK(names(page).size() == 2);
  REQUIRE(page.contains("nextPageToken"));

  e.st.empty_pages = true;
  std::vector<std::size_t> sizes;
  std::string next;
  do {
    page = e.get_json(list_a + (next.empty() ? "" : "?pageToken=" + next));
    sizes.push_back(names(page).size());
    next = page.value("nextPageToken", "");
  } while (!next.empty() && sizes.size() < 10);
  CHECK(sizes == std::vector<std::size_t>{0, 2, 0, 1});
}

TEST_CASE("emulator compute: aggregatedList keys every zone, warns on the empty ones, pages across zones") {
  emulator e;
  json page = e.get_json(aggregated);
  CHECK(page["kind"] == "compute#instanceAggregatedList");
  const json& items = page["items"];
  CHECK(items.size() == 4);
  CHECK(items["zones/us-central1-a"]["instances"].size() == 3);
  CHECK(items["zones/us-central1-b"]["warning"]["code"] == "NO_RESULTS_ON_PAGE");
  CHECK(items["zones/us-central1-b"]["warning"]["data"][0]["value"] == "zones/us-central1-b");
  CHECK(items["zones/us-east1-b"]["instances"][0]["name"] == "web");

  // Pages of 2 in zone order: a a | a f | east.
  std::vector<std::string> order;
  std::string next;
  int pages = 0;
  do {
    page = e.get_json(aggregated + "?maxResults=2" + (next.empty() ? "" : "&pageToken=" + next));
    for (const auto& [scope, body] : page["items"].items())
      for (const auto& in : body.value("instances", json::array())) order.push_back(in["name"]);
    CHECK(page["items"].size() == 4);  // every zone on every page, warned when empty
    next = page.value("nextPageToken", "");
    ++pages;
  } while (!next.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(order == std::vector<std::string>{"vm-1", "vm-2", "vm-4", "vm-3", "web"});
  CHECK(e.st.calls("compute.aggregated") == 4);

  const json running = e.get_json(aggregated + "?filter=status%3DRUNNING%20labels.app%3Acache");
  CHECK(running["items"]["zones/us-central1-a"]["instances"].size() == 2);
  CHECK(running["items"]["zones/us-east1-b"].contains("warning"));
}

TEST_CASE("emulator compute: a Bearer token issued by the metadata server is required") {
  emulator e;
  emu::request r{"GET", list_a, {}, "", "127.0.0.1"};
  emu::response res = emu::handle_compute(e.st, r, t0, wall0);
  CHECK(res.status == 401);
  CHECK(error_reason(res) == "required");
  r.headers = {{"authorization", "Bearer ya29.forged"}};
  res = emu::handle_compute(e.st, r, t0, wall0);
  CHECK(res.status == 401);
  CHECK(error_reason(res) == "authError");
  r.headers = {{"authorization", e.token}};  // no "Bearer "
  CHECK(emu::handle_compute(e.st, r, t0, wall0).status == 401);
  r.headers = {{"authorization", "Bearer " + e.token}};
  CHECK(emu::handle_compute(e.st, r, t0, wall0).status == 200);
  // The token lives token_ttl (3600 s) from its issue.
  CHECK(emu::handle_compute(e.st, r, t0 + 3599s, wall0).status == 200);
  CHECK(emu::handle_compute(e.st, r, t0 + 3600s, wall0).status == 401);

  e.st.require_auth = false;
  r.headers.clear();
  CHECK(emu::handle_compute(e.st, r, t0, wall0).status == 200);
  r.method = "POST";
  CHECK(emu::handle_compute(e.st, r, t0, wall0).status == 405);
  // Refused calls count too.
  CHECK(e.st.calls("compute") == 8);
  CHECK(e.st.calls("compute.list") == 8);
}

TEST_CASE("emulator compute: status faults fail the next N calls, then clear themselves") {
  emulator e;
  e.st.faults.status = 503;
  e.st.faults.status_fault = {2, "compute"};
  emu::response r = e.get(list_a);
  CHECK(r.status == 503);
  CHECK(error_reason(r) == "backendError");
  CHECK(e.get(list_a).status == 503);
  CHECK(e.get(list_a).status == 200);

  e.st.faults.status = 429;
  e.st.faults.status_fault = {1, "all"};
  r = e.get(list_a);
  CHECK(r.status == 429);
  CHECK(error_reason(r) == "rateLimitExceeded");

  e.st.faults.status = 500;
  e.st.faults.status_fault = {-1, "metadata"};  // aimed elsewhere: compute unaffected
  CHECK(e.get(list_a).status == 200);
  e.st.faults.status_fault = {-1, "compute"};  // until cleared
  for (int i = 0; i < 5; ++i) CHECK(e.get(list_a).status == 500);
}

TEST_CASE("emulator compute: a 403 fault with a reason is a missing scope or a missing permission") {
  emulator e;
  e.st.faults.status = 403;
  e.st.faults.status_fault = {3, "compute"};
  emu::response r = e.get(list_a);  // no reason: the quota refusal
  CHECK(r.status == 403);
  CHECK(error_reason(r) == "rateLimitExceeded");
  e.st.faults.reason = "insufficientPermissions";
  r = e.get(list_a);
  CHECK(r.status == 403);
  CHECK(error_reason(r) == "insufficientPermissions");
  CHECK(r.body.find("Request had insufficient authentication scopes.") != std::string::npos);
  e.st.faults.reason = "forbidden";
  r = e.get(list_a);
  CHECK(error_reason(r) == "forbidden");
  CHECK(r.body.find("Required 'compute.instances.list' permission for 'projects/") !=
        std::string::npos);
  CHECK(e.get(list_a).status == 200);
}

TEST_CASE("emulator compute: rate-limit window and per-minute quota follow the wall clock") {
  emulator e;
  e.st.faults.rate_limited_until = wall0 + 10s;
  emu::response r = e.get(list_a, t0, wall0 + 9s);
  CHECK(r.status == 403);
  CHECK(error_reason(r) == "rateLimitExceeded");
  CHECK(json::parse(r.body)["error"]["errors"][0]["domain"] == "usageLimits");
  CHECK(e.get(list_a, t0, wall0 + 10s).status == 200);

  e.st.faults.rate_limited_until = {};
  e.st.faults.quota_per_minute = 2;
  CHECK(e.get(list_a, t0, wall0).status == 200);
  CHECK(e.get(list_a, t0, wall0 + 1s).status == 200);
  CHECK(e.get(list_a, t0, wall0 + 2s).status == 403);
  CHECK(e.get(list_a, t0, wall0 + 29s).status == 403);
  CHECK(e.get(list_a, t0, wall0 + 30s).status == 200);  // the next minute refills
}

TEST_CASE("emulator compute: malformed bodies and slow replies") {
  emulator e;
  const std::string full = e.get(list_a).body;
  e.st.faults.malformed = {1, "compute"};
  emu::response r = e.get(list_a);
  CHECK(r.status == 200);
  CHECK(r.body == full.substr(0, full.size() / 2));
  CHECK(json::parse(r.body, nullptr, false).is_discarded());
  CHECK(e.get(list_a).body == full);

  e.st.faults.malformed = {1, "compute"};
  CHECK(e.get(list_a + "?maxResults=x").status == 400);  // errors are not truncated...
  CHECK(e.get(list_a).body != full);                     // ...and do not use the fault up

  e.st.faults.delay = 2500ms;
  e.st.faults.slow = {2, "compute"};
  CHECK(e.get("/compute/v1/projects/acme-prod/zones/nowhere/instances").delay == 2500ms);  // errors too
  CHECK(e.get(list_a).delay == 2500ms);
  CHECK(e.get(list_a).delay == 0ms);
}

TEST_CASE("emulator compute: listManagedInstances lists a group's members, zonal or regional") {
  emulator e;
  std::string error;
  for (const char* j : {
           R"({"name":"mig-a","zone":"us-central1-a","networkIP":"127.0.4.20","group":"cache"})",
           R"({"name":"mig-b","zone":"us-central1-b","networkIP":"127.0.4.21","group":"cache",
               "status":"STOPPING","current_action":"DELETING"})",
           R"({"name":"mig-c","zone":"us-central1-a","networkIP":"127.0.4.22","group":"cache",
               "status":"PROVISIONING","current_action":"CREATING"})",
           R"({"name":"other","zone":"us-central1-a","networkIP":"127.0.4.23","group":"web"})"})
    REQUIRE_MESSAGE(e.st.add_instance(json::parse(j), error), error);
  auto post = [&](const std::string& target) {
    emu::request r{"POST", target, {{"Authorization", "Bearer " + e.token}}, "", "127.0.0.1"};
    return emu::handle_compute(e.st, r, t0, wall0);
  };
  const std::string zonal =
      "/compute/v1/projects/acme-prod/zones/us-central1-a/instanceGroupManagers/cache/listManagedInstances";
  emu::response z = post(zonal);
  REQUIRE(z.status == 200);
  json zj = json::parse(z.body);
  REQUIRE(zj["managedInstances"].size() == 2);
  CHECK(zj["managedInstances"][0]["instance"] ==
        "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a/instances/mig-a");
  CHECK(zj["managedInstances"][0]["instanceStatus"] == "RUNNING");
  CHECK(zj["managedInstances"][0]["currentAction"] == "NONE");
  CHECK(zj["managedInstances"][0]["id"].is_string());
  // A VM being created has no id or status yet.
  CHECK(zj["managedInstances"][1]["currentAction"] == "CREATING");
  CHECK_FALSE(zj["managedInstances"][1].contains("instanceStatus"));
  CHECK_FALSE(zj["managedInstances"][1].contains("id"));

  json rj = json::parse(post("/compute/v1/projects/acme-prod/regions/us-central1/instanceGroupManagers/"
                             "cache/listManagedInstances").body);
  CHECK(rj["managedInstances"].size() == 3);
  CHECK(e.st.calls("compute.managed") == 2);

  // GET is refused, an unknown group is 404, and the token is checked as for listings.
  emu::request get{"GET", zonal, {{"Authorization", "Bearer " + e.token}}, "", "127.0.0.1"};
  CHECK(emu::handle_compute(e.st, get, t0, wall0).status == 405);
  CHECK(post("/compute/v1/projects/acme-prod/zones/us-central1-a/instanceGroupManagers/nope/"
             "listManagedInstances").status == 404);
  emu::request anon{"POST", zonal, {}, "", "127.0.0.1"};
  CHECK(emu::handle_compute(e.st, anon, t0, wall0).status == 401);
}
