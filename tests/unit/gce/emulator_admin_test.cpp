// gce-emulator's admin API handler (gce/emulator/admin_api.hpp) and the router
// in front of all three APIs (gce/emulator/router.hpp), as pure functions:
// instances, faults, page size, tokens, counters, and bad input as 400s.

#include "gce/emulator/admin_api.hpp"
#include "gce/emulator/router.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace emu = gce::emulator;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1000h;
const std::chrono::system_clock::time_point wall0 =
    std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + 10h + 30s;

constexpr const char* fixture = R"({
  "project": "acme-prod", "zones": ["us-central1-a"],
  "instances": [
    {"name": "vm-1", "zone": "us-central1-a", "networkIP": "127.0.4.10", "labels": {"app": "cache"}},
    {"name": "vm-2", "zone": "us-central1-a", "networkIP": "127.0.4.11"}
  ]})";

struct emulator {
  emu::state st;

  emulator() {
    std::string error;
    REQUIRE(st.load(json::parse(fixture), error));
    st.require_auth = false;
  }

  /// Any request through the router, as main.cpp sends it.
  emu::response call(const std::string& method, const std::string& target, const std::string& body = "",
                     std::vector<std::pair<std::string, std::string>> headers = {},
                     const std::string& source = "127.0.0.1") {
    emu::request r{method, target, std::move(headers), body, source};
    return emu::handle(st, r, t0, wall0);
  }

  int admin(const std::string& method, const std::string& path, const std::string& body = "") {
    return call(method, path, body).status;
  }

  std::string admin_error(const std::string& method, const std::string& path, const std::string& body) {
    const emu::response r = call(method, path, body);
    CHECK(r.status == 400);
    return json::parse(r.body).value("error", "");
  }

  std::string metadata(const std::string& key, const std::string& source) {
    return call("GET", "/computeMetadata/v1/" + key, "", {{"Metadata-Flavor", "Google"}}, source).body;
  }

  int list_status() { return call("GET", "/compute/v1/projects/acme-prod/zones/us-central1-a/instances").status; }
};

}  // namespace

TEST_CASE("emulator admin: add, replace, list and remove instances") {
  emulator e;
  CHECK(e.admin("POST", "/admin/instances",
                R"({"name": "vm-3", "zone": "us-east1-b", "networkIP": "127.0.4.12", "id": 7})") == 200);
  REQUIRE(e.st.find("vm-3"));
  CHECK(e.st.find("vm-3")->id == "7");
  CHECK(e.st.all_zones().count("us-east1-b") == 1);
  CHECK(e.metadata("instance/name", "127.0.4.12") == "vm-3");  // scale out: it has an identity

  CHECK(e.admin("POST", "/admin/instances", R"([{"name": "a", "zone": "z-1"}, {"name": "b", "zone": "z-1"}])") == 200);
  CHECK(e.admin("POST", "/admin/instances", R"({"instances": [{"name": "c", "zone": "z-1"}]})") == 200);
  CHECK(e.st.instances().size() == 6);
  // A generated id is above 2^63 and stable.
  CHECK(e.st.find("a")->id.size() == 19);
  CHECK(std::stoull(e.st.find("a")->id) > 9'223'372'036'854'775'807ull);

  // Same name: replaced, not added.
  CHECK(e.admin("POST", "/admin/instances", R"({"name": "vm-1", "zone": "us-central1-a", "status": "STOPPING"})") == 200);
  CHECK(e.st.find("vm-1")->status == "STOPPING");
  CHECK(e.st.find("vm-1")->labels.empty());

  const emu::response list = e.call("GET", "/admin/instances");
  REQUIRE(list.status == 200);
  const json items = json::parse(list.body)["instances"];
  CHECK(items.size() == 6);
  CHECK(items[0]["name"] == "a");
  CHECK(items[0]["preempted"] == false);
  CHECK(items[0]["maintenance_event"] == "NONE");

  CHECK(e.admin("DELETE", "/admin/instances/vm-3") == 200);
  CHECK_FALSE(e.st.find("vm-3"));
  CHECK(e.admin("DELETE", "/admin/instances/vm-3") == 404);
  CHECK(e.call("GET", "/computeMetadata/v1/instance/name", "", {{"Metadata-Flavor", "Google"}}, "127.0.4.12")
            .status == 404);
}

TEST_CASE("emulator admin: invalid instances are refused with the reason") {
  emulator e;
  CHECK(e.admin_error("POST", "/admin/instances", R"({"name": 5})") == "instance field name must be a string");
  CHECK(e.admin_error("POST", "/admin/instances", R"({"name": "x"})") == "an instance needs a name and a zone");
  CHECK(e.admin_error("POST", "/admin/instances", R"({"name": "x", "zone": "z", "id": -1})") ==
        "instance id must be a string or an unsigned integer");
  CHECK(e.admin_error("POST", "/admin/instances", R"({"name": "x", "zone": "z", "tags": "a"})") ==
        "tags must be an array of strings");
  CHECK(e.admin_error("POST", "/admin/instances", R"({"name": "x", "zone": "z", "labels": []})") ==
        "labels must be an object of strings");
  CHECK(e.admin_error("POST", "/admin/instances", "[1]") == "an instance must be a JSON object");
  CHECK(e.admin_error("POST", "/admin/instances", "{oops") == "body is not JSON");
  // An array is applied in order up to the first bad entry.
  CHECK(e.admin_error("POST", "/admin/instances", R"([{"name": "ok", "zone": "z"}, {"name": 1}])") != "");
  CHECK(e.st.find("ok"));
  // A field of the wrong type deeper down is still a 400, not an exception.
  const emu::response r = e.call("POST", "/admin/instances",
                                 R"({"name": "x", "zone": "z", "networkInterfaces": [{"name": 3}]})");
  CHECK(r.status == 400);
  CHECK(json::parse(r.body)["error"].get<std::string>().starts_with("bad request: "));
  CHECK_FALSE(e.st.find("x"));
}

TEST_CASE("emulator admin: preemption and maintenance events reach the metadata server") {
  emulator e;
  CHECK(e.metadata("instance/preempted", "127.0.4.10") == "FALSE");
  CHECK(e.admin("POST", "/admin/instances/vm-1/preempt") == 200);
  CHECK(e.metadata("instance/preempted", "127.0.4.10") == "TRUE");
  CHECK(e.st.find("vm-1")->status == "TERMINATED");
  CHECK(e.admin("POST", "/admin/instances/vm-2/preempt", R"({"status": "STOPPING"})") == 200);
  CHECK(e.st.find("vm-2")->status == "STOPPING");
  CHECK(e.admin("POST", "/admin/instances/nope/preempt") == 404);
  CHECK(e.admin("POST", "/admin/instances/vm-1/preempt", R"({"status": 1})") == 400);

  CHECK(e.admin("POST", "/admin/instances/vm-2/maintenance", R"({"event": "TERMINATE_ON_HOST_MAINTENANCE"})") == 200);
  CHECK(e.metadata("instance/maintenance-event", "127.0.4.11") == "TERMINATE_ON_HOST_MAINTENANCE");
  CHECK(e.admin_error("POST", "/admin/instances/vm-2/maintenance", R"({"event": "REBOOT"})").starts_with("event must be"));
  CHECK(e.admin("POST", "/admin/instances/vm-2/maintenance", "{}") == 400);
  CHECK(e.st.find("vm-2")->maintenance_event == "TERMINATE_ON_HOST_MAINTENANCE");
  CHECK(e.admin("GET", "/admin/instances/vm-2/maintenance") == 404);
  CHECK(e.admin("POST", "/admin/instances/vm-2/reboot") == 404);
}

TEST_CASE("emulator admin: faults are set, validated and cleared") {
  emulator e;
  CHECK(e.admin("POST", "/admin/faults", R"({"status": 503, "count": 2})") == 200);
  CHECK(e.st.faults.status == 503);
  CHECK(e.st.faults.status_fault.remaining == 2);
  CHECK(e.st.faults.status_fault.target == "compute");
  CHECK(e.list_status() == 503);
  CHECK(e.list_status() == 503);
  CHECK(e.list_status() == 200);

  CHECK(e.admin("POST", "/admin/faults", R"({"rate_limit": true, "seconds": 30})") == 200);
  CHECK(e.st.faults.rate_limited_until == wall0 + 30s);  // from the caller's wall clock
  CHECK(e.list_status() == 403);

  CHECK(e.admin("POST", "/admin/faults", R"({"delay_ms": 250, "count": -1, "target": "all"})") == 200);
  CHECK(e.st.faults.delay == 250ms);
  CHECK(e.st.faults.slow.remaining == -1);
  CHECK(e.admin("POST", "/admin/faults", R"({"malformed": true, "quota_per_minute": 5})") == 200);
  CHECK(e.st.faults.malformed.remaining == 1);
  CHECK(e.st.faults.quota_per_minute == 5);

  CHECK(e.admin("POST", "/admin/faults", R"({"status": 403, "reason": "forbidden"})") == 200);
  CHECK(e.st.faults.reason == "forbidden");
  CHECK(e.admin("POST", "/admin/faults", R"({"clear": true})") == 200);
  CHECK(e.st.faults.status_fault.remaining == 0);
  CHECK(e.st.faults.slow.remaining == 0);
  CHECK(e.st.faults.malformed.remaining == 0);
  CHECK(e.st.faults.quota_per_minute == 0);
  CHECK(e.list_status() == 200);

  CHECK(e.admin_error("POST", "/admin/faults", "[]") == "faults: expected a JSON object");
  CHECK(e.admin_error("POST", "/admin/faults", R"({"status": 200})") == "status must be 400-599");
  CHECK(e.admin_error("POST", "/admin/faults", R"({"status": "x"})").starts_with("faults: "));
  CHECK(e.admin_error("POST", "/admin/faults", R"({"status": 500, "target": "dns"})") ==
        "target must be compute, metadata or all");
  CHECK(e.admin_error("POST", "/admin/faults", R"({"status": 500, "count": -2})") ==
        "count must be >= -1 (-1 = until cleared)");
  CHECK(e.admin_error("POST", "/admin/faults", R"({"rate_limit": true, "seconds": 3601})") ==
        "seconds must be 0-3600");
  CHECK(e.admin_error("POST", "/admin/faults", R"({"delay_ms": 600001})") == "delay_ms must be 0-600000");
  CHECK(e.admin_error("POST", "/admin/faults", R"({"quota_per_minute": -1})") ==
        "quota_per_minute must be >= 0");
  CHECK(e.admin_error("POST", "/admin/faults", R"({"status": 403, "reason": "nope"})") ==
        "reason must be rateLimitExceeded, insufficientPermissions or forbidden");
  CHECK(e.st.faults.status_fault.remaining == 0);  // nothing applied
  CHECK(e.list_status() == 200);
}

TEST_CASE("emulator admin: page size and empty pages") {
  emulator e;
  CHECK(e.admin("POST", "/admin/page_size", R"({"size": 1, "empty_pages": true})") == 200);
  CHECK(e.st.page_size == 1);
  CHECK(e.st.empty_pages);
  CHECK(e.admin("POST", "/admin/page_size", R"({"size": 500})") == 200);
  CHECK_FALSE(e.st.empty_pages);
  CHECK(e.admin_error("POST", "/admin/page_size", R"({"size": 0})") == "size must be 1-500");
  CHECK(e.admin("POST", "/admin/page_size", R"({"size": 501})") == 400);
  CHECK(e.admin("POST", "/admin/page_size", R"({"size": "1"})") == 400);
  CHECK(e.admin("POST", "/admin/page_size", "{}") == 400);
  CHECK(e.st.page_size == 500);
}

TEST_CASE("emulator admin: token lifetime and revocation") {
  emulator e;
  e.st.require_auth = true;
  CHECK(e.admin("POST", "/admin/tokens", R"({"ttl_seconds": 120})") == 200);
  CHECK(e.st.token_ttl == 120s);
  const json tok = json::parse(e.metadata("instance/service-accounts/default/token", "127.0.4.10"));
  CHECK(tok["expires_in"] == 120);
  const std::string token = tok["access_token"];
  const auto list = [&] {
    return e.call("GET", "/compute/v1/projects/acme-prod/zones/us-central1-a/instances", "",
                  {{"Authorization", "Bearer " + token}})
        .status;
  };
  CHECK(list() == 200);
  CHECK(e.admin("POST", "/admin/tokens", R"({"revoke": true})") == 200);
  CHECK(list() == 401);
  CHECK(e.admin("POST", "/admin/tokens", R"({"ttl_seconds": 0})") == 400);
  CHECK(e.admin("POST", "/admin/tokens", R"({"ttl_seconds": "60"})") == 400);
  CHECK(e.admin("POST", "/admin/tokens", "[]") == 400);
  CHECK(e.st.token_ttl == 120s);
}

TEST_CASE("emulator admin: call counters and their reset") {
  emulator e;
  e.list_status();
  e.call("GET", "/compute/v1/projects/acme-prod/aggregated/instances");
  e.metadata("instance/name", "127.0.4.10");
  e.metadata("instance/service-accounts/default/token", "127.0.4.10");
  e.call("GET", "/admin/instances");  // admin calls are not counted

  const emu::response r = e.call("GET", "/admin/stats");
  REQUIRE(r.status == 200);
  const json stats = json::parse(r.body);
  CHECK(stats["compute_total"] == 2);
  CHECK(stats["metadata_total"] == 2);
  CHECK(stats["calls"] == json{{"compute", 2}, {"compute.list", 1}, {"compute.aggregated", 1},
                               {"metadata", 2}, {"metadata.token", 1}});

  CHECK(e.admin("POST", "/admin/stats/reset") == 200);
  const json zero = json::parse(e.call("GET", "/admin/stats").body);
  CHECK(zero["compute_total"] == 0);
  CHECK(zero["calls"].empty());
  CHECK(e.admin("POST", "/admin/stats") == 404);
}

TEST_CASE("emulator router: each path to its API, the rest 404") {
  emulator e;
  emu::response r = e.call("GET", "/", "", {{"Metadata-Flavor", "Google"}});
  CHECK(r.status == 200);
  CHECK(r.body == "computeMetadata/\n");
  CHECK(r.header("Metadata-Flavor") == "Google");
  CHECK(e.call("GET", "/").status == 404);
  CHECK(e.call("GET", "/nothing").body == "not found\n");
  CHECK(e.call("GET", "/admin").status == 404);  // the admin API's own 404
  CHECK(json::parse(e.call("GET", "/admin/").body)["error"] == "unknown admin endpoint");
  CHECK(e.call("GET", "/admin/stats?verbose=1").status == 200);  // the query is not the path
  CHECK(e.call("GET", "/compute/v1/projects/acme-prod/zones").status == 200);
  CHECK(e.call("GET", "/computeMetadata/v1/instance/name", "", {{"Metadata-Flavor", "Google"}}, "127.0.4.11")
            .body == "vm-2");
  CHECK(e.call("GET", "/computeMetadataX").status == 404);
}
