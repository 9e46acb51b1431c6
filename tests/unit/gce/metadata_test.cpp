#include "gce/metadata.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

#include "unit/gce/fake_http.hpp"

using namespace gce;
using namespace std::chrono;
using gce_test::fake_http;

namespace {

const http_headers flavor{{"metadata-flavor", "Google"}, {"etag", "411261ca6c9e654e"}};

metadata_options opts(steady_clock::time_point* now = nullptr) {
  metadata_options o;
  o.host = "127.0.4.1:8080";
  o.sleep = [](milliseconds) {};
  if (now) o.now = [now] { return *now; };
  return o;
}

}  // namespace

TEST_CASE("metadata: host from GCE_METADATA_HOST, then GCE_METADATA_ROOT") {
  ::unsetenv("GCE_METADATA_HOST");
  ::unsetenv("GCE_METADATA_ROOT");
  CHECK(metadata_host_from_env().empty());
  ::setenv("GCE_METADATA_ROOT", "127.0.4.1:81", 1);
  CHECK(metadata_host_from_env() == "127.0.4.1:81");
  ::setenv("GCE_METADATA_HOST", "127.0.4.2:82", 1);
  CHECK(metadata_host_from_env() == "127.0.4.2:82");
  fake_http http;
  metadata_client c(http);
  CHECK(c.base_url() == "http://127.0.4.2:82/computeMetadata/v1/");
  ::unsetenv("GCE_METADATA_HOST");
  ::unsetenv("GCE_METADATA_ROOT");
  CHECK(metadata_base_url("http://127.0.0.9/") == "http://127.0.0.9/computeMetadata/v1/");
}

TEST_CASE("metadata: sends Metadata-Flavor and requires it back") {
  fake_http http;
  http.ok("acme-prod", flavor);
  http.ok("acme-prod");  // no flavor header: not a metadata server
  metadata_client c(http, opts());
  auto r = c.get("project/project-id");
  REQUIRE(r.value);
  CHECK(r.value->value == "acme-prod");
  CHECK(r.value->etag == "411261ca6c9e654e");
  CHECK(http.calls[0].url == "http://127.0.4.1:8080/computeMetadata/v1/project/project-id");
  CHECK(http.calls[0].headers == http_headers{{"Metadata-Flavor", "Google"}});
  auto bad = c.get("project/project-id");
  CHECK_FALSE(bad.value);
  CHECK(bad.error.find("Metadata-Flavor") != std::string::npos);
}

TEST_CASE("metadata: 503 is retried, 404 is not") {
  fake_http http;
  http.status(503, "", flavor);
  http.ok("v", flavor);
  http.status(404, "<html>", flavor);
  metadata_client c(http, opts());
  CHECK(c.get("instance/name").value);
  auto nf = c.get("instance/attributes/none");
  CHECK(nf.status == 404);
  CHECK(http.calls.size() == 3);
}

TEST_CASE("metadata: a failure says whether retrying may help") {
  fake_http http;
  for (int i = 0; i < 3; ++i) http.timeout();
  for (int i = 0; i < 3; ++i) http.status(503, "", flavor);
  http.status(429, "", flavor);
  http.status(429, "", flavor);
  http.status(429, "", flavor);
  http.status(404, "", flavor);
  http.ok("not the metadata server");
  metadata_client c(http, opts());
  CHECK_FALSE(c.get("instance/name").value);
  CHECK(c.last_failure_transient());  // no answer (a timeout)
  CHECK_FALSE(c.get("instance/name").value);
  CHECK(c.last_failure_transient());  // 503 three times
  CHECK_FALSE(c.get("instance/name").value);
  CHECK(c.last_failure_transient());  // 429
  CHECK_FALSE(c.get("instance/name").value);
  CHECK_FALSE(c.last_failure_transient());  // 404
  CHECK_FALSE(c.get("instance/name").value);
  CHECK_FALSE(c.last_failure_transient());  // no Metadata-Flavor: someone else answers
}

TEST_CASE("metadata: identity from the documented endpoints") {
  fake_http http;
  http.ok("acme-prod", flavor);
  http.ok("projects/123456789012/zones/us-central1-a", flavor);
  http.ok("sidecar-mig-x7k2", flavor);
  http.ok("4520031799277581759", flavor);
  http.ok("10.128.0.9", flavor);
  http.ok(R"(["peer-sidecar"])", flavor);
  http.ok(R"({"sidecar-cluster":"cache-a"})", flavor);
  metadata_client c(http, opts());
  std::string err;
  auto id = c.fetch_identity("nic1", err);
  REQUIRE_MESSAGE(id, err);
  CHECK(id->project == "acme-prod");
  CHECK(id->zone == "us-central1-a");
  CHECK(id->region == "us-central1");
  CHECK(id->id == "4520031799277581759");
  CHECK(id->ip == "10.128.0.9");
  CHECK(http.calls[4].url.ends_with("instance/network-interfaces/1/ip"));
  CHECK(id->tags == std::vector<std::string>{"peer-sidecar"});
  CHECK(id->attributes.at("sidecar-cluster") == "cache-a");

  fake_http none;
  metadata_client c2(none, opts());
  CHECK_FALSE(c2.fetch_identity("nic0", err));
  CHECK(err.find("project/project-id") != std::string::npos);
  CHECK_FALSE(c2.fetch_identity("eth0", err));
}

TEST_CASE("metadata: token is cached and refreshed before expiry") {
  auto now = steady_clock::time_point(hours(1));
  fake_http http;
  http.ok(R"({"access_token":"t1","expires_in":3599,"token_type":"Bearer"})");  // no flavor: allowed
  http.ok(R"({"access_token":"t2","expires_in":20,"token_type":"Bearer"})");
  http.ok(R"({"access_token":"t3","expires_in":20,"token_type":"Bearer"})");
  metadata_client c(http, opts(&now));
  CHECK(c.bearer_token() == "t1");
  now += seconds(3000);
  CHECK(c.bearer_token() == "t1");  // 599 s left, outside the 300 s margin
  now += seconds(300);
  CHECK(c.bearer_token() == "t2");  // inside the margin
  now += seconds(9);
  CHECK(c.bearer_token() == "t2");  // short token: refreshed at half its life
  now += seconds(2);
  CHECK(c.bearer_token() == "t3");
  CHECK(c.bearer_token(true) == "t3");  // the failed forced refresh keeps the valid token
  CHECK(http.calls[0].url.ends_with("instance/service-accounts/default/token"));
}

TEST_CASE("metadata: preemption watch uses wait_for_change and last_etag") {
  fake_http http;
  http.ok("FALSE", {{"metadata-flavor", "Google"}, {"etag", "aaaaaaaaaaaaaaaa"}});
  http.ok("TRUE", {{"metadata-flavor", "Google"}, {"etag", "bbbbbbbbbbbbbbbb"}});
  metadata_client c(http, opts());
  auto s = c.wait_for_preempted("0", 30);
  CHECK_FALSE(s.preempted);
  CHECK(s.etag == "aaaaaaaaaaaaaaaa");
  CHECK(http.calls[0].url.ends_with("instance/preempted?wait_for_change=true&timeout_sec=30&last_etag=0"));
  CHECK(http.calls[0].timeout == seconds(40));
  auto s2 = c.wait_for_preempted(s.etag, 30);
  CHECK(s2.preempted);
  CHECK(http.calls[1].url.ends_with("last_etag=aaaaaaaaaaaaaaaa"));
}
