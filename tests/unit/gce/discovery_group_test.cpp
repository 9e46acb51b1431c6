// gce_provider with [gce] instance_group, against gce-emulator's handlers in process (an
// http_client that calls gce::emulator::handle): the group's members that count, their
// addresses from one listing, two API calls per poll, and a group that changes.

#include "gce/discovery.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "gce/emulator/router.hpp"
#include "util/strings.hpp"

using json = nlohmann::json;
namespace emu = gce::emulator;

namespace {

/// An http_client served by an emulator state, as if from `source_ip`.
struct emulator_http final : gce::http_client {
  emu::state& st;
  std::string source_ip;
  std::vector<std::string> calls;  // "METHOD target"
  emulator_http(emu::state& s, std::string ip) : st(s), source_ip(std::move(ip)) {}

  gce::http_result send(const std::string& method, const std::string& url,
                        const gce::http_headers& headers, const std::string& body) {
    const auto slash = url.find('/', url.find("://") + 3);
    emu::request rq{method, url.substr(slash), headers, body, source_ip};
    calls.push_back(method + " " + rq.target);
    emu::response r = emu::handle(st, rq, std::chrono::steady_clock::now(), std::chrono::system_clock::now());
    gce::http_result out;
    out.status = r.status;
    out.body = r.body;
    for (auto& [k, v] : r.headers) out.headers.emplace_back(util::lower(k), v);
    return out;
  }
  gce::http_result get(const std::string& url, const gce::http_headers& h,
                       std::chrono::milliseconds) override {
    return send("GET", url, h, "");
  }
  gce::http_result post(const std::string& url, const gce::http_headers& h, const std::string& body,
                        std::chrono::milliseconds) override {
    return send("POST", url, h, body);
  }
};

constexpr const char* fixture = R"({
  "project": "acme-prod", "zones": ["us-central1-a", "us-central1-b", "us-east1-b"],
  "instances": [
    {"name": "mig-1", "zone": "us-central1-a", "networkIP": "10.0.0.1", "group": "cache"},
    {"name": "mig-2", "zone": "us-central1-a", "networkIP": "10.0.0.2", "group": "cache"},
    {"name": "mig-3", "zone": "us-central1-b", "networkIP": "10.0.0.3", "group": "cache"},
    {"name": "mig-4", "zone": "us-central1-a", "networkIP": "10.0.0.4", "group": "cache",
     "status": "STOPPING", "current_action": "DELETING"},
    {"name": "mig-5", "zone": "us-central1-a", "networkIP": "10.0.0.5", "group": "cache",
     "current_action": "RECREATING"},
    {"name": "mig-6", "zone": "us-central1-a", "networkIP": "10.0.0.6", "group": "cache",
     "status": "PROVISIONING", "current_action": "CREATING"},
    {"name": "loner", "zone": "us-central1-a", "networkIP": "10.0.0.9"},
    {"name": "web-1", "zone": "us-central1-a", "networkIP": "10.0.0.10", "group": "web"},
    {"name": "far", "zone": "us-east1-b", "networkIP": "10.0.0.11", "group": "cache"}
  ]})";

struct fixture_state {
  emu::state st;
  fixture_state() {
    std::string error;
    REQUIRE(st.load(json::parse(fixture), error));
  }
  std::unique_ptr<gce::gce_provider> provider(const std::string& region, emulator_http** api_out) {
    gce::gce_settings s;
    s.instance_group = "cache";
    s.region = region;
    s.metadata_host = "127.0.0.1:1";  // never contacted: the transport is the emulator
    s.api_endpoint = "http://127.0.0.1:1/compute/v1/";
    auto md = std::make_unique<emulator_http>(st, "10.0.0.1");  // speaks as mig-1
    auto api = std::make_unique<emulator_http>(st, "10.0.0.1");
    *api_out = api.get();
    std::string error;
    auto p = gce::gce_provider::create(std::move(s), std::move(md), std::move(api), error);
    REQUIRE_MESSAGE(p, error);
    return p;
  }
};

}  // namespace

TEST_CASE("gce_provider: a zonal group's running members with no pending action, by IP") {
  fixture_state f;
  emulator_http* api = nullptr;
  auto p = f.provider("", &api);
  api->calls.clear();
  gce::discovery_result r = p->discover();
  REQUIRE_MESSAGE(r.ok(), r.error);
  // mig-1 is us; mig-3 is in another zone; 4 is being deleted, 5 recreated, 6 created.
  CHECK(r.addresses == std::vector<std::string>{"10.0.0.2:7946"});
  CHECK(r.api_calls == 2);
  REQUIRE(api->calls.size() == 2);
  CHECK(api->calls[0] == "POST /compute/v1/projects/acme-prod/zones/us-central1-a/"
                         "instanceGroupManagers/cache/listManagedInstances");
  CHECK(api->calls[1].starts_with("GET /compute/v1/projects/acme-prod/zones/us-central1-a/instances?"));
  CHECK(r.call_log == std::vector<gce::api_call>{{"instanceGroupManagers.listManagedInstances", 200},
                                                 {"instances.list", 200}});

  // The group changes: mig-5 is recreated, mig-2 starts being deleted.
  f.st.find("mig-5")->current_action = "NONE";
  f.st.find("mig-2")->current_action = "DELETING";
  r = p->discover();
  CHECK(r.addresses == std::vector<std::string>{"10.0.0.5:7946"});
}

TEST_CASE("gce_provider: a regional group covers the region's zones in one aggregated listing") {
  fixture_state f;
  emulator_http* api = nullptr;
  auto p = f.provider("us-central1", &api);
  api->calls.clear();
  gce::discovery_result r = p->discover();
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.addresses == std::vector<std::string>{"10.0.0.2:7946", "10.0.0.3:7946"});
  REQUIRE(api->calls.size() == 2);
  CHECK(api->calls[0].starts_with("POST /compute/v1/projects/acme-prod/regions/us-central1/"
                                  "instanceGroupManagers/cache/listManagedInstances"));
  CHECK(api->calls[1].starts_with("GET /compute/v1/projects/acme-prod/aggregated/instances?"));
  CHECK(r.call_log.at(0).method == "regionInstanceGroupManagers.listManagedInstances");
}

TEST_CASE("gce_provider: an unknown group or a refused call is a failed poll with a hint") {
  fixture_state f;
  emulator_http* api = nullptr;
  auto p = f.provider("", &api);
  // Every member leaves the group: the emulator no longer knows it (404).
  for (const char* n : {"mig-1", "mig-2", "mig-3", "mig-4", "mig-5", "mig-6"})
    f.st.find(n)->group.clear();
  gce::discovery_result r = p->discover();
  CHECK_FALSE(r.ok());
  CHECK(r.addresses.empty());
  CHECK(r.error.find("instance group cache") != std::string::npos);
  CHECK(r.error.find("[gce] instance_group") != std::string::npos);
  CHECK(r.api_calls == 1);
  // A group whose members are all on their way out costs one call and lists nobody.
  f.st.find("mig-2")->group = "cache";
  f.st.find("mig-2")->current_action = "DELETING";
  r = p->discover();
  CHECK(r.ok());
  CHECK(r.addresses.empty());
  CHECK(r.api_calls == 1);
}

TEST_CASE("gce_provider: create says whether a failure may pass (start-up retries only those)") {
  fixture_state f;
  std::string error;
  auto attempt = [&](const std::string& source_ip, bool& transient) {
    gce::gce_settings s;
    s.metadata_host = "127.0.0.1:1";  // never contacted: the transport is the emulator
    s.api_endpoint = "http://127.0.0.1:1/compute/v1/";
    s.metadata.sleep = [](std::chrono::milliseconds) {};
    auto p = gce::gce_provider::create(std::move(s), std::make_unique<emulator_http>(f.st, source_ip),
                                       std::make_unique<emulator_http>(f.st, source_ip), error,
                                       &transient);
    return p != nullptr;
  };
  bool transient = false;
  // The metadata server answers 503 three times: the client's own three tries all fail.
  f.st.faults.status = 503;
  f.st.faults.status_fault.remaining = 3;
  f.st.faults.status_fault.target = "metadata";
  CHECK_FALSE(attempt("10.0.0.1", transient));
  CHECK(transient);
  CHECK(error.find("HTTP 503") != std::string::npos);
  CHECK(attempt("10.0.0.1", transient));  // the next start-up attempt gets through
  CHECK_FALSE(transient);
  // A VM the metadata server does not know: a 404, which no retry changes.
  CHECK_FALSE(attempt("10.9.9.9", transient));
  CHECK_FALSE(transient);
  CHECK(error.find("HTTP 404") != std::string::npos);
}
