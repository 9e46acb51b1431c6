#include "gce/compute.hpp"

#include <doctest/doctest.h>

#include "unit/gce/fake_http.hpp"

using namespace gce;
using namespace std::chrono;
using gce_test::fake_http;

namespace {

compute_options opts(std::vector<milliseconds>* sleeps = nullptr) {
  compute_options o;
  o.endpoint = "http://127.0.4.1:1/compute/v1";  // never contacted: the transport is fake
  o.project = "acme-prod";
  o.max_results = 2;
  o.seed = 42;
  o.token = [](bool refresh) { return std::optional<std::string>(refresh ? "fresh" : "stale"); };
  o.sleep = [sleeps](milliseconds d) {
    if (sleeps) sleeps->push_back(d);
  };
  o.now = [] { return system_clock::time_point(seconds(1'700'000'015)); };  // hh:mm:35
  return o;
}

std::string page(std::vector<std::string> names, std::string token = "") {
  std::string items;
  for (auto& n : names)
    items += (items.empty() ? "" : ",") + std::string(R"({"name":")") + n +
             R"(","status":"RUNNING","networkInterfaces":[{"name":"nic0","networkIP":"10.0.0.1"}]})";
  std::string s = "{";
  if (!names.empty()) s += R"("items":[)" + items + "]";
  if (!token.empty()) s += std::string(names.empty() ? "" : ",") + R"("nextPageToken":")" + token + "\"";
  return s + "}";
}

const std::string rate_limited_body =
    R"({"error":{"code":403,"message":"Quota exceeded","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}]}})";

}  // namespace

TEST_CASE("compute: follows every page, empty pages with a token included") {
  fake_http http;
  http.ok(page({"a", "b"}, "t1"));
  http.ok(page({}, "t2"));  // empty page that still carries a token
  http.ok(page({"c"}));
  compute_client c(http, opts());
  auto r = c.list("us-central1-a", R"(status = "RUNNING")");
  REQUIRE(r.ok());
  CHECK(r.instances.size() == 3);
  CHECK(r.pages == 3);
  CHECK(r.calls == 3);
  REQUIRE(http.calls.size() == 3);
  CHECK(http.calls[0].url ==
        "http://127.0.4.1:1/compute/v1/projects/acme-prod/zones/us-central1-a/instances"
        "?filter=status%20%3D%20%22RUNNING%22&maxResults=2");
  CHECK(http.calls[1].url.ends_with("&pageToken=t1"));
  CHECK(http.calls[2].url.ends_with("&pageToken=t2"));
  CHECK(http.calls[0].headers.at(0).second == "Bearer stale");
}

TEST_CASE("compute: a token loop stops at the page cap") {
  fake_http http;
  for (int i = 0; i < 10; ++i) http.ok(page({}, "same"));
  auto o = opts();
  o.max_pages = 5;
  compute_client c(http, o);
  auto r = c.list("z", "");
  CHECK_FALSE(r.ok());
  CHECK(r.calls == 5);
  CHECK(r.error.find("5 pages") != std::string::npos);
}

TEST_CASE("compute: 5xx and timeouts are retried with growing jittered back-off") {
  fake_http http;
  http.status(503, "<html>unavailable</html>");
  http.timeout();
  http.status(500, R"({"error":{"code":500,"errors":[{"reason":"backendError"}]}})");
  http.ok(page({"a"}));
  std::vector<milliseconds> sleeps;
  compute_client c(http, opts(&sleeps));
  auto r = c.list("z", "");
  REQUIRE(r.ok());
  CHECK(r.calls == 4);
  REQUIRE(sleeps.size() == 3);
  // Equal jitter: attempt k sleeps in [base*2^k/2, base*2^k].
  CHECK(sleeps[0] >= milliseconds(100));
  CHECK(sleeps[0] <= milliseconds(200));
  CHECK(sleeps[1] >= milliseconds(200));
  CHECK(sleeps[1] <= milliseconds(400));
  CHECK(sleeps[2] >= milliseconds(400));
  CHECK(sleeps[2] <= milliseconds(800));
}

TEST_CASE("compute: retries give up after max_attempts") {
  fake_http http;
  for (int i = 0; i < 4; ++i) http.status(503);
  compute_client c(http, opts());
  auto r = c.list("z", "");
  CHECK_FALSE(r.ok());
  CHECK(r.calls == 4);
  CHECK_FALSE(r.rate_limited_until);
}

TEST_CASE("compute: rate limits stop at once and report the next quota minute") {
  fake_http http;
  http.status(403, rate_limited_body);
  compute_client c(http, opts());
  auto r = c.list("z", "");
  CHECK_FALSE(r.ok());
  CHECK(r.calls == 1);
  REQUIRE(r.rate_limited_until);
  CHECK(*r.rate_limited_until == system_clock::time_point(seconds(1'700'000'040)));

  fake_http h429;
  h429.status(429, "", {{"retry-after", "90"}});
  compute_client c2(h429, opts());
  auto r2 = c2.list("z", "");
  REQUIRE(r2.rate_limited_until);  // Retry-After beyond the minute wins
  CHECK(*r2.rate_limited_until == system_clock::time_point(seconds(1'700'000'105)));
}

TEST_CASE("compute: permission errors are not retried") {
  fake_http http;
  http.status(403, R"({"error":{"code":403,"message":"Required 'compute.instances.list' permission",
      "errors":[{"reason":"forbidden"}]}})");
  compute_client c(http, opts());
  auto r = c.list("z", "");
  CHECK(r.calls == 1);
  CHECK_FALSE(r.rate_limited_until);
  CHECK(r.error.find("compute.instances.list") != std::string::npos);
  // The error says what to fix, and the result says it is a permission refusal.
  CHECK(r.error.starts_with("Compute API returned 403 (forbidden): "));
  CHECK(r.error.find("roles/compute.viewer") != std::string::npos);
  CHECK(r.permission_denied());
  CHECK(r.call_log == std::vector<api_call>{{"instances.list", 403}});

  fake_http scopes;
  scopes.status(403, R"({"error":{"code":403,"message":"Request had insufficient authentication scopes.",
      "errors":[{"reason":"insufficientPermissions"}]}})");
  compute_client c2(scopes, opts());
  auto r2 = c2.list("z", "");
  CHECK(r2.permission_denied());
  CHECK(r2.error.find("compute-ro") != std::string::npos);
}

TEST_CASE("compute: every request is logged with its status, retries included") {
  fake_http http;
  http.status(503);
  http.ok(page({"a"}, "t1"));
  http.timeout();
  http.ok(page({"b"}));
  compute_client c(http, opts());
  auto r = c.list("z", "");
  REQUIRE(r.ok());
  CHECK(r.call_log == std::vector<api_call>{{"instances.list", 503}, {"instances.list", 200},
                                            {"instances.list", 0}, {"instances.list", 200}});
  CHECK_FALSE(r.permission_denied());
}

TEST_CASE("compute: a 401 refreshes the token once") {
  fake_http http;
  http.status(401, R"({"error":{"code":401,"errors":[{"reason":"authError"}]}})");
  http.ok(page({"a"}));
  compute_client c(http, opts());
  auto r = c.list("z", "");
  REQUIRE(r.ok());
  CHECK(http.calls[1].headers.at(0).second == "Bearer fresh");

  fake_http again;
  again.status(401);
  again.status(401);
  compute_client c2(again, opts());
  CHECK_FALSE(c2.list("z", "").ok());
  CHECK(again.calls.size() == 2);
}

TEST_CASE("compute: malformed JSON is an error") {
  fake_http http;
  http.ok(R"({"items":[{"name":)");
  compute_client c(http, opts());
  auto r = c.list("z", "");
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("malformed") != std::string::npos);
}

TEST_CASE("compute: one failing zone does not fail the others") {
  fake_http http;
  http.ok(page({"a"}));
  http.status(404, R"({"error":{"code":404,"errors":[{"reason":"notFound"}]}})");
  compute_client c(http, opts());
  auto r = c.list_zones({"us-central1-a", "europe-north1-a"}, "");
  CHECK(r.ok());
  CHECK(r.instances.size() == 1);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].scope == "zones/europe-north1-a");

  fake_http all_bad;
  all_bad.status(404);
  compute_client c2(all_bad, opts());
  CHECK_FALSE(c2.list_zones({"x-a"}, "").ok());
}

TEST_CASE("compute: region listing is one aggregated call filtered to the region") {
  fake_http http;
  http.ok(R"({"items":{
    "zones/us-central1-a":{"instances":[{"name":"a","zone":"projects/p/zones/us-central1-a"}]},
    "zones/us-east1-b":{"instances":[{"name":"b","zone":"projects/p/zones/us-east1-b"}]},
    "zones/us-central1-f":{"instances":[{"name":"c","zone":"projects/p/zones/us-central1-f"}]}}})");
  compute_client c(http, opts());
  auto r = c.list_region("us-central1", "");
  REQUIRE(r.ok());
  CHECK(r.calls == 1);
  REQUIRE(r.instances.size() == 2);
  CHECK(http.calls[0].url.find("/aggregated/instances?maxResults=2&returnPartialSuccess=true") !=
        std::string::npos);
}

TEST_CASE("compute: quota minutes") {
  const auto t = system_clock::time_point(seconds(1'700'000'015));
  CHECK(compute_client::next_quota_minute(t) == system_clock::time_point(seconds(1'700'000'040)));
  const auto on = system_clock::time_point(seconds(1'700'000'040));
  CHECK(compute_client::next_quota_minute(on) == on + minutes(1));
}

TEST_CASE("compute: listManagedInstances is a POST per group, zonal or regional, pages followed") {
  fake_http http;
  http.ok(R"({"managedInstances":[
      {"instance":"https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a/instances/mig-1",
       "id":"4520031799277581759","instanceStatus":"RUNNING","currentAction":"NONE"},
      {"instance":"https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-b/instances/mig-2",
       "id":2209981273340017653,"instanceStatus":"STOPPING","currentAction":"DELETING"}],
      "nextPageToken":"p2"})");
  http.ok(R"({"managedInstances":[
      {"instance":"https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-f/instances/mig-3",
       "currentAction":"CREATING"},
      {"currentAction":"NONE"}]})");
  compute_client c(http, opts());
  auto r = c.list_managed("regions/us-central1", "cache-mig");
  REQUIRE_MESSAGE(r.ok(), r.error);
  REQUIRE(http.calls.size() == 2);
  CHECK(http.calls[0].method == "POST");
  CHECK(http.calls[0].url ==
        "http://127.0.4.1:1/compute/v1/projects/acme-prod/regions/us-central1/instanceGroupManagers/"
        "cache-mig/listManagedInstances");  // no maxResults: PAGELESS groups ignore it
  CHECK(http.calls[1].url.ends_with("/listManagedInstances?pageToken=p2"));
  REQUIRE(r.managed.size() == 3);  // the entry without an instance URL is skipped
  CHECK(r.managed[0].name == "mig-1");
  CHECK(r.managed[0].zone == "us-central1-a");
  CHECK(r.managed[0].id == "4520031799277581759");
  CHECK(r.managed[0].status == "RUNNING");
  CHECK(r.managed[1].id == "2209981273340017653");  // bare number, kept exact
  CHECK(r.managed[1].current_action == "DELETING");
  CHECK(r.managed[2].id.empty());
  CHECK(r.managed[2].status.empty());
  CHECK(r.call_log == std::vector<api_call>{{"regionInstanceGroupManagers.listManagedInstances", 200},
                                            {"regionInstanceGroupManagers.listManagedInstances", 200}});

  fake_http zonal;
  zonal.status(403, R"({"error":{"code":403,"message":"Required 'compute.instanceGroupManagers.get' permission",
      "errors":[{"reason":"forbidden"}]}})");
  compute_client z(zonal, opts());
  auto f = z.list_managed("zones/us-central1-a", "cache-mig");
  CHECK(f.permission_denied());
  CHECK(f.error.find("compute.instanceGroupManagers.get") != std::string::npos);
  CHECK(zonal.calls[0].url.find("/zones/us-central1-a/instanceGroupManagers/cache-mig/") !=
        std::string::npos);
  CHECK(f.call_log == std::vector<api_call>{{"instanceGroupManagers.listManagedInstances", 403}});
}

TEST_CASE("compute: which current actions keep a group member a peer") {
  for (const char* keep : {"NONE", "REFRESHING", "VERIFYING", ""}) CHECK(action_keeps_peer(keep));
  for (const char* drop : {"CREATING", "CREATING_WITHOUT_RETRIES", "RECREATING", "DELETING",
                           "ABANDONING", "RESTARTING", "STARTING", "STOPPING", "SUSPENDING",
                           "RESUMING"})
    CHECK_FALSE(action_keeps_peer(drop));
  CHECK_FALSE(parse_managed_instances("{not json").page);
  CHECK_FALSE(parse_managed_instances(R"({"managedInstances":{}})").page);
  auto empty = parse_managed_instances("{}");
  REQUIRE(empty.page);
  CHECK(empty.page->instances.empty());
}
