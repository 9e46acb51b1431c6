// Decoding of Compute API and metadata bodies. The samples are shaped after the public
// Compute API reference (https://cloud.google.com/compute/docs/reference/rest/v1/instances/list
// and .../aggregatedList); docs/gce.md "Compute API responses" lists the facts they exercise.

#include "gce/parse.hpp"

#include <doctest/doctest.h>

using namespace gce;

namespace {

// instances.list, page 1 of 2 (trimmed to the fields that matter).
constexpr const char* list_page1 = R"({
  "kind": "compute#instanceList",
  "id": "projects/acme-prod/zones/us-central1-a/instances",
  "items": [
    {"kind": "compute#instance", "id": "4520031799277581759", "name": "sidecar-mig-x7k2",
     "tags": {"items": ["peer-sidecar", "http-server"], "fingerprint": "p0ZxsE8qT3c="},
     "status": "RUNNING",
     "zone": "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a",
     "networkInterfaces": [{"kind": "compute#networkInterface", "networkIP": "10.128.0.7", "name": "nic0",
        "accessConfigs": [{"kind": "compute#accessConfig", "type": "ONE_TO_ONE_NAT", "name": "External NAT",
                           "natIP": "34.69.160.17", "networkTier": "PREMIUM"}]}],
     "metadata": {"kind": "compute#metadata", "fingerprint": "3mI-QpsQdDk=",
        "items": [{"key": "created-by", "value": "projects/123456789012/regions/us-central1/instanceGroupManagers/sidecar-mig"},
                  {"key": "sidecar-cluster", "value": "cache-a"}]},
     "labels": {"app": "cache", "env": "prod"}},
    {"kind": "compute#instance", "id": "8801233144092118223", "name": "sidecar-mig-b2pq",
     "tags": {"items": ["peer-sidecar"], "fingerprint": "Yc1r7h1hM0A="},
     "status": "RUNNING",
     "zone": "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a",
     "networkInterfaces": [{"kind": "compute#networkInterface", "networkIP": "10.128.0.9", "name": "nic0"}],
     "metadata": {"kind": "compute#metadata", "fingerprint": "aZ4lW1v2m0c=",
        "items": [{"key": "sidecar-cluster", "value": "cache-a"}, {"key": "empty-flag"}]},
     "labels": {"app": "cache", "env": "prod"}}
  ],
  "nextPageToken": "ChJzaWRlY2FyLW1pZy1iMnBxGAI=",
  "selfLink": "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a/instances"
})";

// Page 2 of 2: no tags, no labels, metadata without items, two NICs, no token.
constexpr const char* list_page2 = R"({
  "kind": "compute#instanceList",
  "items": [
    {"kind": "compute#instance", "id": "1377420563110041902", "name": "batch-worker-1", "status": "RUNNING",
     "zone": "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a",
     "networkInterfaces": [
       {"networkIP": "10.128.0.21", "name": "nic0"},
       {"networkIP": "192.168.10.4", "name": "nic1"}],
     "metadata": {"kind": "compute#metadata", "fingerprint": "M3xVqJ0r1wA="}}
  ]
})";

// aggregatedList with a NO_RESULTS_ON_PAGE zone and an UNREACHABLE one.
constexpr const char* aggregated = R"({
  "kind": "compute#instanceAggregatedList",
  "items": {
    "zones/us-central1-a": {"instances": [
      {"id": "4520031799277581759", "name": "sidecar-mig-x7k2", "status": "RUNNING",
       "zone": "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a",
       "networkInterfaces": [{"name": "nic0", "networkIP": "10.128.0.7"}],
       "labels": {"app": "cache"}}]},
    "zones/us-central1-b": {"warning": {"code": "NO_RESULTS_ON_PAGE",
       "message": "There are no results for scope 'zones/us-central1-b' on this page.",
       "data": [{"key": "scope", "value": "zones/us-central1-b"}]}},
    "zones/us-central1-c": {"warning": {"code": "UNREACHABLE", "message": "unreachable"}},
    "zones/us-central1-f": {"instances": [
      {"id": "6644012978813004417", "name": "sidecar-mig-9rwd", "status": "RUNNING",
       "zone": "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-f",
       "networkInterfaces": [{"name": "nic0", "networkIP": "10.128.0.12"}]}]}
  },
  "unreachables": ["zones/us-central1-c"]
})";

}  // namespace

TEST_CASE("parse: instances.list page with a next token") {
  auto r = parse_instance_list(list_page1);
  REQUIRE(r.page);
  CHECK(r.error.empty());
  const auto& p = *r.page;
  CHECK(p.next_page_token == "ChJzaWRlY2FyLW1pZy1iMnBxGAI=");
  REQUIRE(p.instances.size() == 2);
  const auto& a = p.instances[0];
  CHECK(a.id == "4520031799277581759");  // > 2^53: must not go through a double
  CHECK(a.name == "sidecar-mig-x7k2");
  CHECK(a.zone == "us-central1-a");
  CHECK(a.status == "RUNNING");
  CHECK(a.tags == std::vector<std::string>{"peer-sidecar", "http-server"});
  REQUIRE(a.interfaces.size() == 1);
  CHECK(a.interfaces[0].network_ip == "10.128.0.7");
  CHECK(a.interfaces[0].external_ip == "34.69.160.17");
  CHECK(a.metadata.at("sidecar-cluster") == "cache-a");
  CHECK(a.labels.at("env") == "prod");
  const auto& b = p.instances[1];
  CHECK(b.metadata.at("empty-flag").empty());  // item without "value"
  CHECK(b.interfaces[0].external_ip.empty());  // no accessConfigs
}

TEST_CASE("parse: last page, missing tags, labels and metadata items") {
  auto r = parse_instance_list(list_page2);
  REQUIRE(r.page);
  CHECK(r.page->next_page_token.empty());
  REQUIRE(r.page->instances.size() == 1);
  const auto& in = r.page->instances[0];
  CHECK(in.tags.empty());
  CHECK(in.labels.empty());
  CHECK(in.metadata.empty());
  CHECK(in.interfaces.size() == 2);
  CHECK(in.interfaces[1].name == "nic1");
}

TEST_CASE("parse: empty page without items, with and without a token") {
  auto r = parse_instance_list(R"({"kind":"compute#instanceList","id":"projects/p/zones/z/instances"})");
  REQUIRE(r.page);
  CHECK(r.page->instances.empty());
  CHECK(r.page->next_page_token.empty());
  auto e = parse_instance_list(R"({"kind":"compute#instanceList","nextPageToken":"abc"})");
  REQUIRE(e.page);
  CHECK(e.page->instances.empty());
  CHECK(e.page->next_page_token == "abc");
}

TEST_CASE("parse: ids as bare numbers beyond int64 and as strings") {
  auto r = parse_instance_list(
      R"({"items":[{"id":13512546227574112017,"name":"a"},{"id":"18446744073709551615","name":"b"},{"name":"c"}]})");
  REQUIRE(r.page);
  REQUIRE(r.page->instances.size() == 3);
  CHECK(r.page->instances[0].id == "13512546227574112017");
  CHECK(r.page->instances[1].id == "18446744073709551615");
  CHECK(r.page->instances[2].id.empty());
}

TEST_CASE("parse: wrong shapes degrade to absent fields, bad JSON is an error") {
  auto r = parse_instance_list(
      R"({"items":[{"name":"a","tags":{"items":"x"},"metadata":{"items":[{"value":"no key"},7]},"labels":[],"networkInterfaces":{}} , 5]})");
  REQUIRE(r.page);
  REQUIRE(r.page->instances.size() == 1);
  CHECK(r.page->instances[0].tags.empty());
  CHECK(r.page->instances[0].metadata.empty());
  CHECK(r.page->instances[0].interfaces.empty());

  CHECK_FALSE(parse_instance_list(R"({"items":[{"name":"a")").page);
  CHECK_FALSE(parse_instance_list("").page);
  CHECK_FALSE(parse_instance_list("[]").page);
  CHECK_FALSE(parse_instance_list(R"({"items":{}})").page);
  CHECK_FALSE(parse_instance_list(R"({"nextPageToken":5})").page);
  CHECK_FALSE(parse_instance_list("<html>502</html>").error.empty());
}

TEST_CASE("parse: aggregated list skips warning-only scopes and keeps news") {
  auto r = parse_aggregated_list(aggregated);
  REQUIRE(r.page);
  REQUIRE(r.page->instances.size() == 2);
  CHECK(r.page->instances[0].zone == "us-central1-a");
  CHECK(r.page->instances[1].zone == "us-central1-f");
  REQUIRE(r.page->warnings.size() == 1);  // NO_RESULTS_ON_PAGE is routine and dropped
  CHECK(r.page->warnings[0].code == "UNREACHABLE");
  CHECK(r.page->warnings[0].scope == "zones/us-central1-c");
  CHECK(r.page->unreachables == std::vector<std::string>{"zones/us-central1-c"});

  auto empty = parse_aggregated_list(R"({"kind":"compute#instanceAggregatedList","nextPageToken":"t"})");
  REQUIRE(empty.page);
  CHECK(empty.page->instances.empty());
  CHECK(empty.page->next_page_token == "t");
  CHECK_FALSE(parse_aggregated_list(R"({"items":[]})").page);
}

TEST_CASE("parse: API errors are classified by status and reason") {
  // A rate limit: 403 with reason rateLimitExceeded.
  auto rl = parse_api_error(403, R"({"error":{"code":403,"message":"Quota exceeded for quota metric 'Read requests'",
      "errors":[{"message":"Quota exceeded","domain":"usageLimits","reason":"rateLimitExceeded"}]}})");
  CHECK(rl.kind == error_kind::rate_limited);
  CHECK(rl.reason == "rateLimitExceeded");
  CHECK(parse_api_error(429, "").kind == error_kind::rate_limited);
  auto forbidden = parse_api_error(403, R"({"error":{"code":403,"message":"Required 'compute.instances.list' permission for 'projects/X'",
      "errors":[{"message":"x","domain":"global","reason":"forbidden"}]}})");
  CHECK(forbidden.kind == error_kind::fatal);
  CHECK(forbidden.message.find("compute.instances.list") != std::string::npos);
  CHECK(parse_api_error(401, R"({"error":{"code":401,"errors":[{"reason":"authError"}]}})").kind ==
        error_kind::unauthorized);
  CHECK(parse_api_error(503, "<html>backend</html>").kind == error_kind::retryable);
  CHECK(parse_api_error(503, "<html>backend</html>").message == "<html>backend</html>");
  CHECK(parse_api_error(500, R"({"error":{"code":500,"errors":[{"reason":"backendError"}]}})").kind ==
        error_kind::retryable);
  CHECK(parse_api_error(400, R"({"error":{"code":400,"errors":[{"reason":"invalid"}]}})").kind ==
        error_kind::fatal);
  CHECK(parse_api_error(404, "").kind == error_kind::fatal);
}

TEST_CASE("parse: token, tags, attributes") {
  auto t = parse_token(R"({"access_token":"ya29.c.fake","expires_in":3599,"token_type":"Bearer"})");
  REQUIRE(t);
  CHECK(t->access_token == "ya29.c.fake");
  CHECK(t->expires_in == std::chrono::seconds(3599));
  CHECK_FALSE(parse_token(R"({"expires_in":10})"));
  CHECK_FALSE(parse_token("ya29"));

  auto tags = parse_tags(R"(["peer-sidecar","http-server"])");
  REQUIRE(tags);
  CHECK(tags->size() == 2);
  CHECK_FALSE(parse_tags("peer-sidecar"));

  auto a = parse_attributes(R"({"created-by":"projects/1/zones/z/instanceGroupManagers/m","n":5})");
  REQUIRE(a);
  CHECK(a->at("created-by") == "projects/1/zones/z/instanceGroupManagers/m");
  CHECK(a->at("n") == "5");
  CHECK_FALSE(parse_attributes("[1]"));
}

TEST_CASE("parse: URL segments and regions") {
  CHECK(last_segment("https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a") == "us-central1-a");
  CHECK(last_segment("projects/123456789012/zones/europe-west4-b/") == "europe-west4-b");
  CHECK(last_segment("plain") == "plain");
  CHECK(region_of("us-central1-a") == "us-central1");
  CHECK(region_of("nodash") == "nodash");
}
