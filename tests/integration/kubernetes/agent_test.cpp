// Agents discovering each other as pods through kubernetes-emulator on 127.0.7.1:
// each "pod" is an agent on its own 127.0.7.x, found by label selector, first by a
// list, then by the watch (a pod added later is joined without a re-list), a watch
// that is told 410 Gone re-lists, and a 403 shows in /ready and /metrics until the
// RBAC is fixed. Nothing leaves loopback.

#include <doctest/doctest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "integration/agent_cluster.hpp"

#ifndef KUBERNETES_EMULATOR_BINARY
#define KUBERNETES_EMULATOR_BINARY ""
#endif

using namespace integ;
using test_support::temp_dir;

namespace {

constexpr const char* emulator_ip = "127.0.7.1";
constexpr const char* token = "k8s-test-token";

std::string pod_ip(int i) { return "127.0.7." + std::to_string(10 + i); }
std::string pod_name(int i) { return "cache-" + std::to_string(i); }

json pod(int i, bool ready = true) {
  return json{{"name", pod_name(i)}, {"ip", pod_ip(i)}, {"node", "node-a"}, {"ready", ready},
              {"labels", {{"app", "cache"}}}, {"ports", {{"gossip", gossip_port}}}};
}

/// kubernetes-emulator on a free port of 127.0.7.1.
struct emulator {
  temp_dir dir{"k8s-agent"};
  std::uint16_t port = 0;
  std::unique_ptr<process> proc;

  explicit emulator(const json& pods) {
    json doc = {{"token", token}, {"namespace", "cache"},
                {"nodes", {{"node-a", {{"topology.kubernetes.io/zone", "europe-west1-b"}}}}},
                {"pods", pods}};
    test_support::write_file(dir / "fixture.json", doc.dump());
    test_support::write_file(dir / "token", std::string(token) + "\n");
    for (std::uint16_t p = 18950; p < 19250 && port == 0; ++p)
      if (test_support::port_free(emulator_ip, p)) port = p;
    REQUIRE(port != 0);
    proc = std::make_unique<process>(
        std::vector<std::string>{test_support::find_binary(KUBERNETES_EMULATOR_BINARY), "--fixture",
                                 (dir / "fixture.json").string(), "--listen",
                                 std::string(emulator_ip) + ":" + std::to_string(port)},
        dir / "emulator.log");
    REQUIRE(test_support::wait_until([&] { return stats().is_object(); }, timeout));
  }
  ~emulator() {
    proc->signal(SIGTERM);
    proc->wait_exit(5s);
  }

  int admin(const std::string& method, const std::string& path, const std::string& body = "{}") {
    return test_support::http_request(emulator_ip, port, method, path, body).status;
  }
  json stats() {
    auto r = test_support::http_get(emulator_ip, port, "/admin/stats");
    return r.status == 200 ? json::parse(r.body, nullptr, false) : json(nullptr);
  }
  long calls(const std::string& kind) {
    json s = stats();
    return s.is_object() ? s["calls"].value(kind, 0L) : -1;
  }

  /// The config of every pod's agent ([node] name comes from --node: the pod name).
  std::filesystem::path config(const std::string& discovery = "kubernetes") {
    const auto path = dir / ("agent-" + discovery + ".ini");
    test_support::write_file(
        path, "[cluster]\ndiscovery = " + discovery + "\n[kubernetes]\napi_server = http://" +
                  std::string(emulator_ip) + ":" + std::to_string(port) + "\ntoken_file = " +
                  (dir / "token").string() + "\nnamespace = cache\nlabel_selector = app=cache\n" +
                  "port_name = gossip\n");
    return path;
  }
};

std::unique_ptr<agent_proc> start(const temp_dir& dir, int i, const std::filesystem::path& config) {
  return std::make_unique<agent_proc>(dir, agent_spec{pod_name(i), pod_ip(i), {}, "", config.string(), ""});
}

std::string ready_body(const agent_proc& a) { return a.http("/ready").body; }

}  // namespace

TEST_CASE("kubernetes: pods find each other by label selector, list then watch") {
  temp_dir dir("k8s");
  emulator emu(json::array({pod(1), pod(2)}));
  const auto cfg = emu.config();
  auto a1 = start(dir, 1, cfg);
  auto a2 = start(dir, 2, cfg);
  require_up(*a1);
  require_up(*a2);
  {
    INFO(describe_brief(*a1));
    REQUIRE(wait_until_all_alive(*a1, {pod_name(1), pod_name(2)}));
  }
  // The zone comes from the pod's node; discovery shows in /metrics.
  auto m = a1->http("/metrics").body;
  CHECK(metric(m, "cachecluster_discovery_info{provider=\"kubernetes\"}") == 1);
  CHECK(metric(m, "cachecluster_discovery_api_calls_total{method=\"pods.list\",code=\"200\"}") >= 1);
  CHECK(metric(m, "cachecluster_ready") == 1);
  CHECK(a1->members_doc().dump().find("europe-west1-b") != std::string::npos);

  // A third agent runs with static discovery (it joins nobody by itself); once its pod
  // appears in the API, the others' watch brings it in without a re-list.
  const long lists = emu.calls("pods.list");
  auto a3 = start(dir, 3, emu.config("static"));
  require_up(*a3);
  REQUIRE(emu.admin("POST", "/admin/pods", pod(3).dump()) == 200);
  {
    INFO(describe_brief(*a1));
    CHECK(wait_until_all_alive(*a3, {pod_name(1), pod_name(2), pod_name(3)}));
  }
  CHECK(emu.calls("pods.list") == lists);  // found through the watch

  // Watches that are told 410 Gone (history compacted) re-list, then watch again.
  REQUIRE(emu.admin("POST", "/admin/compact") == 200);  // also ends the open watches
  CHECK(test_support::wait_until([&] { return emu.calls("pods.list") >= lists + 2; }, timeout));
  CHECK(test_support::wait_until([&] { return emu.stats().value("watches_open", 0) >= 2; }, timeout));
}

TEST_CASE("kubernetes: a 403 keeps the agent not ready, says why, and heals once allowed") {
  temp_dir dir("k8s");
  emulator emu(json::array({pod(1), pod(2)}));
  REQUIRE(emu.admin("POST", "/admin/faults", R"({"status":403,"count":-1})") == 200);
  auto a1 = start(dir, 1, emu.config());
  require_up(*a1);
  CHECK(test_support::wait_until(
      [&] { return ready_body(*a1).find("Kubernetes API returned 403") != std::string::npos; }, timeout));
  auto r = a1->http("/ready");
  CHECK(r.status == 503);
  CHECK(r.body.find("get, list and watch on pods in namespace cache") != std::string::npos);
  CHECK(metric(a1->http("/metrics").body,
               "cachecluster_discovery_api_calls_total{method=\"pods.list\",code=\"403\"}") >= 1);

  // The RBAC is fixed: the next retry (back-off 1 s doubling) lists, and the agent is ready.
  REQUIRE(emu.admin("POST", "/admin/faults", R"({"clear":true})") == 200);
  auto a2 = start(dir, 2, emu.config());
  require_up(*a2);
  CHECK(test_support::wait_until([&] { return a1->http("/ready").status == 200; }, timeout));
  // ...and its own retry lists the pods (no later than the 1-2-4 s back-off).
  CHECK(test_support::wait_until(
      [&] {
        return metric(a1->http("/metrics").body,
                      "cachecluster_discovery_api_calls_total{method=\"pods.list\",code=\"200\"}") >= 1;
      },
      timeout));
  INFO(describe_brief(*a1));
  CHECK(wait_until_all_alive(*a1, {pod_name(1), pod_name(2)}));
}

TEST_CASE("kubernetes: this pod's read at start-up is retried while the API server fails, not when it refuses") {
  temp_dir dir("k8s");
  // An emulator whose next pods requests get `fault` (this pod's read, pods.get, comes first),
  // and one agent started against it; the agent stops before its emulator.
  auto boot = [&](int i, const std::string& fault) {
    auto emu = std::make_unique<emulator>(json::array({pod(i)}));
    REQUIRE(emu->admin("POST", "/admin/faults", fault) == 200);
    auto a = start(dir, i, emu->config());
    require_up(*a);
    return std::make_pair(std::move(emu), std::move(a));
  };
  {
    // Three 503s: retried (each retry logged at warn) until the agent has its IP and zone.
    auto [emu, a] = boot(1, R"({"status":503,"count":3})");
    INFO(a->log());
    CHECK(emu->calls("pods.get") >= 4);
    CHECK(a->log().find("Kubernetes API server: ") != std::string::npos);
    CHECK(a->log().find("this pod cache-1 (ip " + pod_ip(1) + ", zone europe-west1-b)") !=
          std::string::npos);
    CHECK(a->members_doc().dump().find("europe-west1-b") != std::string::npos);
  }
  {
    // A 404 is an answer: read once, a warning, and the agent runs without it.
    auto [emu, a] = boot(2, R"({"status":404,"count":1})");
    INFO(a->log());
    CHECK(emu->calls("pods.get") == 1);
    CHECK(a->log().find("cannot read this pod (cache-2)") != std::string::npos);
    CHECK(a->log().find("Kubernetes API server: ") == std::string::npos);
  }
}
