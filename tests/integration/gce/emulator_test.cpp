// The gce clients against the built gce-emulator on 127.0.4.1. Each emulated
// VM is 127.0.4.1x and the clients bind that source address, which is how the
// emulator's metadata server tells them apart. Nothing here leaves loopback.

#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "gce/compute.hpp"
#include "gce/curl_http_client.hpp"
#include "gce/discovery.hpp"
#include "gce/metadata.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr const char* emulator_ip = "127.0.4.1";

constexpr const char* instances_json = R"({
  "project": "acme-prod", "project_number": "123456789012",
  "zones": ["us-central1-a", "us-central1-b", "us-central1-f", "us-east1-b"],
  "instances": [
    {"name": "vm-1", "zone": "us-central1-a", "networkIP": "127.0.4.10", "tags": ["peer"],
     "metadata": {"cluster": "a"}, "labels": {"app": "cache"}},
    {"name": "vm-2", "zone": "us-central1-a", "networkIP": "127.0.4.11", "tags": ["peer", "http"],
     "metadata": {"cluster": "a", "flag": ""}, "labels": {"app": "cache"}},
    {"name": "vm-3", "zone": "us-central1-f", "networkIP": "127.0.4.12", "tags": ["peer"],
     "metadata": {"cluster": "a"}, "labels": {"app": "cache"}},
    {"name": "vm-4", "zone": "us-central1-a", "networkIP": "127.0.4.13", "tags": ["peer"],
     "metadata": {"cluster": "a"}, "labels": {"app": "cache"}, "status": "TERMINATED"},
    {"name": "other", "zone": "us-east1-b", "networkIP": "127.0.4.14", "tags": ["peer"],
     "metadata": {"cluster": "a"}, "labels": {"app": "web"}}
  ]})";

/// The emulator process on a free port of 127.0.4.1.
struct emulator {
  test_support::temp_dir dir{"gce-emu"};
  std::uint16_t port = 0;
  std::unique_ptr<test_support::process> proc;

  emulator() {
    test_support::write_file(dir / "instances.json", instances_json);
    for (std::uint16_t p = 18100; p < 18400 && port == 0; ++p)
      if (test_support::port_free(emulator_ip, p)) port = p;
    REQUIRE(port != 0);
    proc = std::make_unique<test_support::process>(
        std::vector<std::string>{GCE_EMULATOR_BINARY, "--instances", (dir / "instances.json").string(),
                                 "--listen", std::string(emulator_ip) + ":" + std::to_string(port)},
        dir / "emulator.log");
    REQUIRE(test_support::wait_until(
        [&] { return test_support::http_get(emulator_ip, port, "/admin/stats").status == 200; }, 10s));
  }
  ~emulator() {
    if (proc) {
      proc->signal(SIGTERM);
      proc->wait_exit(5s);
    }
  }

  std::string host() const { return std::string(emulator_ip) + ":" + std::to_string(port); }
  std::string api() const { return "http://" + host() + "/compute/v1/"; }

  /// POST/DELETE to the admin API; returns the status code.
  int admin(const std::string& method, const std::string& path, const std::string& body = "") {
    return test_support::http_request(emulator_ip, port, method, path, body).status;
  }

  json stats() {
    auto r = test_support::http_get(emulator_ip, port, "/admin/stats");
    return json::parse(r.body, nullptr, false);
  }
  int calls(const std::string& endpoint) {
    auto s = stats();
    return s["calls"].contains(endpoint) ? s["calls"][endpoint].get<int>() : 0;
  }
};

/// A metadata client (and its transport) speaking as the VM at `ip`.
struct vm_clients {
  gce::curl_http_client md_http;
  gce::curl_http_client api_http;
  gce::metadata_client md;

  vm_clients(const emulator& emu, const std::string& ip)
      : md_http(gce::curl_options{ip, 3s, 64u << 20, true, ""}),
        api_http(gce::curl_options{ip, 3s, 64u << 20, false, ""}),
        md(md_http, [&] {
          gce::metadata_options o;
          o.host = emu.host();
          return o;
        }()) {}

  gce::compute_client compute(const emulator& emu, int max_results = 500) {
    gce::compute_options o;
    o.endpoint = emu.api();
    o.project = "acme-prod";
    o.max_results = max_results;
    o.backoff_base = 10ms;
    o.timeout = 2s;
    o.token = [this](bool refresh) { return md.bearer_token(refresh); };
    return gce::compute_client(api_http, o);
  }
};

}  // namespace

TEST_CASE("gce-emulator: metadata identity follows the caller's source address") {
  emulator emu;
  for (auto [ip, name, zone] : {std::tuple{"127.0.4.10", "vm-1", "us-central1-a"},
                                std::tuple{"127.0.4.12", "vm-3", "us-central1-f"}}) {
    vm_clients vm(emu, ip);
    std::string err;
    auto id = vm.md.fetch_identity("nic0", err);
    REQUIRE_MESSAGE(id, err);
    CHECK(id->name == name);
    CHECK(id->ip == ip);
    CHECK(id->zone == zone);
    CHECK(id->region == "us-central1");
    CHECK(id->project == "acme-prod");
    CHECK(id->tags == std::vector<std::string>{"peer"});
    CHECK(id->attributes.at("cluster") == "a");
    CHECK(std::stoull(id->id) > (1ull << 63));  // 64-bit ids survive as strings
  }
  // An address no VM owns gets no identity.
  vm_clients stranger(emu, "127.0.4.99");
  std::string err;
  CHECK_FALSE(stranger.md.fetch_identity("nic0", err));
  // Without the flavor header the server refuses (403).
  auto raw = test_support::http_get(emulator_ip, emu.port, "/computeMetadata/v1/instance/name");
  CHECK(raw.status == 403);
}

TEST_CASE("gce-emulator: pagination with page size 1 and empty pages") {
  emulator emu;
  REQUIRE(emu.admin("POST", "/admin/page_size", R"({"size":1,"empty_pages":true})") == 200);
  vm_clients vm(emu, "127.0.4.10");
  auto c = vm.compute(emu);
  emu.admin("POST", "/admin/stats/reset");
  auto r = c.list("us-central1-a", R"(status = "RUNNING")");
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.instances.size() == 2);   // vm-4 is TERMINATED, filtered by the server
  CHECK(r.pages == 4);              // empty, vm-1, empty, vm-2
  CHECK(emu.calls("compute.list") == 4);

  auto agg = c.aggregated_list(R"((labels.app = "cache") AND (status = "RUNNING"))");
  REQUIRE_MESSAGE(agg.ok(), agg.error);
  CHECK(agg.instances.size() == 3);
  CHECK(emu.calls("compute.aggregated") == 6);

  auto region = c.list_region("us-central1", "");
  REQUIRE(region.ok());
  CHECK(region.instances.size() == 4);  // the us-east1 VM is dropped
}

TEST_CASE("gce-emulator: faults: 5xx retried, rate limit, malformed JSON, slow replies") {
  emulator emu;
  vm_clients vm(emu, "127.0.4.10");
  auto c = vm.compute(emu);

  REQUIRE(emu.admin("POST", "/admin/faults", R"({"status":503,"count":2})") == 200);
  emu.admin("POST", "/admin/stats/reset");
  auto r = c.list("us-central1-a", "");
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.calls == 3);
  CHECK(emu.calls("compute.list") == 3);

  REQUIRE(emu.admin("POST", "/admin/faults", R"({"rate_limit":true,"seconds":30})") == 200);
  const auto before = std::chrono::system_clock::now();
  auto rl = c.list("us-central1-a", "");
  CHECK_FALSE(rl.ok());
  CHECK(rl.calls == 1);  // no retry inside a quota window
  REQUIRE(rl.rate_limited_until);
  CHECK(*rl.rate_limited_until > before);
  CHECK(*rl.rate_limited_until <= before + 61s);
  REQUIRE(emu.admin("POST", "/admin/faults", R"({"clear":true})") == 200);

  REQUIRE(emu.admin("POST", "/admin/faults", R"({"malformed":true})") == 200);
  auto bad = c.list("us-central1-a", "");
  CHECK_FALSE(bad.ok());
  CHECK(bad.error.find("malformed") != std::string::npos);
  CHECK(c.list("us-central1-a", "").ok());  // count 1: the next call is clean

  // A reply slower than the client timeout counts as a timeout and is retried.
  REQUIRE(emu.admin("POST", "/admin/faults", R"({"delay_ms":2500,"count":1})") == 200);
  auto slow = c.list("us-central1-a", "");
  CHECK_MESSAGE(slow.ok(), slow.error);
  CHECK(slow.calls == 2);

  // Per-minute quota of 2: five calls cannot all fit, even across a minute boundary.
  REQUIRE(emu.admin("POST", "/admin/faults", R"({"quota_per_minute":2})") == 200);
  int refused = 0;
  for (int i = 0; i < 5; ++i) refused += c.list("us-central1-a", "").rate_limited_until ? 1 : 0;
  CHECK(refused >= 1);

  // Bad admin input is a 400, and the emulator keeps serving.
  CHECK(emu.admin("POST", "/admin/faults", "{not json") == 400);
  CHECK(emu.admin("POST", "/admin/faults", R"({"status":"x"})") == 400);
  CHECK(emu.admin("POST", "/admin/page_size", R"({"size":0})") == 400);
  CHECK(emu.admin("DELETE", "/admin/instances/nope") == 404);
  CHECK(emu.admin("POST", "/admin/instances", R"({"name":5})") == 400);
  CHECK(emu.stats().is_object());
}

TEST_CASE("gce-emulator: expired or revoked tokens are refreshed after a 401") {
  emulator emu;
  vm_clients vm(emu, "127.0.4.11");
  auto c = vm.compute(emu);
  REQUIRE(c.list("us-central1-a", "").ok());
  REQUIRE(emu.admin("POST", "/admin/tokens", R"({"revoke":true})") == 200);
  auto r = c.list("us-central1-a", "");
  CHECK_MESSAGE(r.ok(), r.error);
  CHECK(r.calls == 2);
  CHECK(emu.calls("metadata.token") == 2);
}

TEST_CASE("gce-emulator: preemption wakes the watcher") {
  emulator emu;
  vm_clients vm(emu, "127.0.4.12");
  // An unchanged value returns after timeout_sec with the same ETag.
  auto first = vm.md.wait_for_preempted("0", 1);
  REQUIRE(first.error.empty());
  CHECK_FALSE(first.preempted);
  auto again = vm.md.wait_for_preempted(first.etag, 1);
  CHECK_FALSE(again.preempted);
  CHECK(again.etag == first.etag);

  std::atomic<bool> preempted{false};
  std::atomic<bool> stop{false};
  std::thread watcher([&] { preempted = gce::wait_until_preempted(vm.md, [&] { return stop.load(); }, 30); });
  std::this_thread::sleep_for(300ms);
  REQUIRE(emu.admin("POST", "/admin/instances/vm-3/preempt") == 200);
  CHECK(test_support::wait_until([&] { return preempted.load(); }, 10s));
  stop = true;
  vm.md_http.cancel();
  watcher.join();
  CHECK(preempted.load());
}

TEST_CASE("gce-emulator: gce_provider discovers, follows scale out and in, within budget") {
  emulator emu;
  gce::gce_settings s;
  s.metadata_host = emu.host();
  s.api_endpoint = emu.api();
  s.local_address = "127.0.4.10";
  s.port = 7946;
  s.rules.tags = {"peer"};
  s.rules.meta = {{"cluster", "a"}};
  s.rules.labels = {{"app", "cache"}};
  s.compute.backoff_base = 10ms;
  std::string err;
  auto p = gce::gce_provider::create(s, err);
  REQUIRE_MESSAGE(p, err);
  CHECK(p->self().name == "vm-1");
  CHECK(p->settings().zones == std::vector<std::string>{"us-central1-a"});
  CHECK(p->filter() == R"((status = "RUNNING") AND (labels.app = "cache"))");

  emu.admin("POST", "/admin/stats/reset");
  auto r = p->discover();
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.addresses == std::vector<std::string>{"127.0.4.11:7946"});  // self excluded
  CHECK(r.api_calls == 1);
  CHECK(emu.calls("compute") == 1);

  REQUIRE(emu.admin("POST", "/admin/instances",
                    R"({"name":"vm-5","zone":"us-central1-a","networkIP":"127.0.4.15","tags":["peer"],
                        "metadata":{"cluster":"a"},"labels":{"app":"cache"}})") == 200);
  REQUIRE(emu.admin("POST", "/admin/instances",
                    R"({"name":"vm-6","zone":"us-central1-a","networkIP":"127.0.4.16","tags":["other"],
                        "metadata":{"cluster":"a"},"labels":{"app":"cache"}})") == 200);
  r = p->discover();
  CHECK(r.addresses == std::vector<std::string>{"127.0.4.11:7946", "127.0.4.15:7946"});
  REQUIRE(emu.admin("DELETE", "/admin/instances/vm-2") == 200);
  r = p->discover();
  CHECK(r.addresses == std::vector<std::string>{"127.0.4.15:7946"});

  // A failure never comes back as an empty peer list.
  emu.admin("POST", "/admin/faults", R"({"status":500,"count":10})");
  r = p->discover();
  CHECK_FALSE(r.ok());
  CHECK(r.addresses.empty());
  emu.admin("POST", "/admin/faults", R"({"clear":true})");

  // Region mode: one aggregated call covers every zone of the region.
  s.region = "us-central1";
  auto regional = gce::gce_provider::create(s, err);
  REQUIRE_MESSAGE(regional, err);
  emu.admin("POST", "/admin/stats/reset");
  r = regional->discover();
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.addresses == std::vector<std::string>{"127.0.4.12:7946", "127.0.4.15:7946"});
  CHECK(emu.calls("compute.aggregated") == 1);
  CHECK(emu.calls("compute.list") == 0);
}

TEST_CASE("gce-emulator: start-up fails with an actionable error off a metadata server") {
  emulator emu;
  gce::gce_settings s;
  s.metadata_host = "127.0.4.1:1";  // nothing listens there
  s.local_address = "127.0.4.10";
  s.metadata.max_attempts = 1;
  s.metadata.timeout = 1s;
  std::string err;
  CHECK_FALSE(gce::gce_provider::create(s, err));
  CHECK(err.find("metadata server") != std::string::npos);

  gce::static_provider st({"10.0.0.2:7946", "10.0.0.1:7946", "10.0.0.2:7946"});
  auto r = st.discover();
  CHECK(r.ok());
  CHECK(r.addresses == std::vector<std::string>{"10.0.0.1:7946", "10.0.0.2:7946"});
}

TEST_CASE("gce-emulator: a managed instance group over libcurl: POST listManagedInstances, then IPs") {
  emulator emu;
  for (const char* j : {
           R"({"name":"mig-a","zone":"us-central1-a","networkIP":"127.0.4.20","group":"cache"})",
           R"({"name":"mig-b","zone":"us-central1-a","networkIP":"127.0.4.21","group":"cache"})",
           R"({"name":"mig-c","zone":"us-central1-f","networkIP":"127.0.4.22","group":"cache"})",
           R"({"name":"mig-d","zone":"us-central1-a","networkIP":"127.0.4.23","group":"cache",
               "status":"STOPPING","current_action":"DELETING"})"})
    REQUIRE(emu.admin("POST", "/admin/instances", j) == 200);
  gce::gce_settings s;
  s.metadata_host = emu.host();
  s.api_endpoint = emu.api();
  s.local_address = "127.0.4.20";  // speaks as mig-a
  s.instance_group = "cache";
  std::string err;
  auto zonal = gce::gce_provider::create(s, err);
  REQUIRE_MESSAGE(zonal, err);
  emu.admin("POST", "/admin/stats/reset");
  auto r = zonal->discover();
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.addresses == std::vector<std::string>{"127.0.4.21:7946"});  // self, other zone, deleting out
  CHECK(emu.calls("compute.managed") == 1);
  CHECK(emu.calls("compute.list") == 1);
  CHECK(r.call_log == std::vector<gce::api_call>{{"instanceGroupManagers.listManagedInstances", 200},
                                                 {"instances.list", 200}});

  s.region = "us-central1";
  auto regional = gce::gce_provider::create(s, err);
  REQUIRE_MESSAGE(regional, err);
  r = regional->discover();
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.addresses == std::vector<std::string>{"127.0.4.21:7946", "127.0.4.22:7946"});

  // Scale-in: mig-b starts being deleted and leaves the candidates at the next poll.
  REQUIRE(emu.admin("POST", "/admin/instances",
                    R"({"name":"mig-b","zone":"us-central1-a","networkIP":"127.0.4.21","group":"cache",
                        "current_action":"DELETING"})") == 200);
  r = regional->discover();
  CHECK(r.addresses == std::vector<std::string>{"127.0.4.22:7946"});
}
