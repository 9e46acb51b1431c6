// Agents that find each other through gce-emulator (metadata server + Compute
// API) on 127.0.6.1, one emulated VM per loopback address 127.0.6.10+. Each
// agent binds its VM's address, which is how the emulator's metadata server
// tells the VMs apart; GCE_METADATA_HOST and [gce] api_endpoint point at the
// emulator, so nothing leaves loopback. Every wait is a generous timeout, never
// a speed assertion; the budget case counts calls, not seconds.

#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "integration/agent_cluster.hpp"

#ifndef GCE_EMULATOR_BINARY
#define GCE_EMULATOR_BINARY ""
#endif

using namespace integ;
using test_support::temp_dir;

namespace {

constexpr const char* emulator_ip = "127.0.6.1";
constexpr const char* tag = "cache-node";

std::string vm_ip(int i) { return "127.0.6." + std::to_string(i); }

/// One emulated VM as the emulator's instances JSON (and admin API) take it.
json vm(const std::string& name, const std::string& ip, const std::string& zone,
        const std::string& vm_tag = tag) {
  return json{{"name", name},   {"zone", zone},          {"networkIP", ip},
              {"tags", {vm_tag}}, {"status", "RUNNING"}, {"labels", {{"app", "cache"}}}};
}

/// gce-emulator on a free port of 127.0.6.1, serving `instances`.
struct emulator {
  temp_dir dir{"gce-agent"};
  std::uint16_t port = 0;
  std::unique_ptr<process> proc;

  explicit emulator(const json& instances) {
    json doc = {{"project", "cache-project"},
                {"zones", {"us-central1-a", "us-central1-b"}},
                {"instances", instances}};
    test_support::write_file(dir / "instances.json", doc.dump());
    for (std::uint16_t p = 18600; p < 18900 && port == 0; ++p)
      if (test_support::port_free(emulator_ip, p)) port = p;
    REQUIRE(port != 0);
    proc = std::make_unique<process>(
        std::vector<std::string>{test_support::find_binary(GCE_EMULATOR_BINARY), "--instances",
                                 (dir / "instances.json").string(), "--listen", host()},
        dir / "emulator.log");
    REQUIRE(test_support::wait_until(
        [&] { return test_support::http_get(emulator_ip, port, "/admin/stats").status == 200; },
        timeout));
    // The agents this test spawns inherit it: their metadata server is the emulator.
    ::setenv("GCE_METADATA_HOST", host().c_str(), 1);
  }
  ~emulator() {
    ::unsetenv("GCE_METADATA_HOST");
    proc->signal(SIGTERM);
    proc->wait_exit(5s);
  }

  std::string host() const { return std::string(emulator_ip) + ":" + std::to_string(port); }
  std::string api() const { return "http://" + host() + "/compute/v1/"; }

  /// A request to the admin API; returns the status code (0 when it failed).
  int admin(const std::string& method, const std::string& path, const std::string& body = "") {
    return test_support::http_request(emulator_ip, port, method, path, body).status;
  }

  /// Compute API requests the emulator has received (refused ones included).
  long compute_total() {
    auto r = test_support::http_get(emulator_ip, port, "/admin/stats");
    json j = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j.value("compute_total", -1L);
  }
};

/// The agent config every VM runs: GCE discovery of `cache-node` VMs on the emulator.
std::string gce_config(const emulator& emu, const std::string& extra_gce = "") {
  return "[cluster]\ndiscovery = gce\n[match]\ntags = " + std::string(tag) +
         "\n[gce]\napi_endpoint = " + emu.api() + "\nzones = us-central1-a, us-central1-b\n" +
         extra_gce;
}

using agents = std::vector<std::unique_ptr<agent_proc>>;

/// Start the agent of VM `name` at `ip` with the config file `config`.
std::unique_ptr<agent_proc> start_agent(const temp_dir& dir, const std::string& name,
                                        const std::string& ip,
                                        const std::filesystem::path& config) {
  return std::make_unique<agent_proc>(dir, agent_spec{name, ip, {}, "", config.string(), ""});
}

std::string describe_all(const agents& as) {
  std::string s;
  for (const auto& a : as) s += describe(*a);
  return s;
}

/// Names of the members `a` lists in `state`.
std::set<std::string> in_state(const agent_proc& a, const std::string& state) {
  std::set<std::string> out;
  if (auto s = a.states())
    for (const auto& [name, st] : *s)
      if (st == state) out.insert(name);
  return out;
}

/// Wait until every agent lists exactly `names` alive (no more, no fewer).
void require_exactly_alive(const agents& as, const std::set<std::string>& names,
                           std::chrono::milliseconds limit = timeout * 2) {
  for (const auto& a : as) {
    bool ok = test_support::wait_until([&] { return in_state(*a, "alive") == names; }, limit);
    INFO(describe_all(as));
    REQUIRE(ok);
  }
}

/// The first snapshot the agent's control socket sends a subscriber.
json first_snapshot(const agent_proc& a) {
  test_support::unix_client sub(a.socket());
  if (!sub.ok() || !sub.send_line(R"({"op":"subscribe"})")) return nullptr;
  auto line = sub.read_line(timeout);
  if (!line) return nullptr;
  json j = json::parse(*line, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

/// A 0/1 gauge from the agent's /metrics; -1 when it does not answer.
double gauge(const agent_proc& a, const std::string& series) {
  auto r = a.http("/metrics");
  return r.status == 200 ? metric(r.body, series) : -1;
}

}  // namespace

TEST_CASE("gce agents: five tagged VMs find each other; the untagged VM never appears") {
  // cache-1..5 (127.0.6.10-14) in two zones; batch-1 (127.0.6.15) lacks the tag. An agent runs
  // on batch-1 too, without discovery: were its address ever a candidate, the others would
  // join it and list it.
  json vms = json::array();
  for (int i = 1; i <= 5; ++i)
    vms.push_back(vm("cache-" + std::to_string(i), vm_ip(9 + i),
                     i % 2 == 1 ? "us-central1-a" : "us-central1-b"));
  vms.push_back(vm("batch-1", vm_ip(15), "us-central1-a", "batch"));
  emulator emu(vms);
  temp_dir dir("gce-a1");
  auto config = dir / "gce.ini";
  test_support::write_file(config, gce_config(emu));
  auto static_config = dir / "static.ini";
  test_support::write_file(static_config, "[cluster]\ndiscovery = static\n");

  auto batch = start_agent(dir, "batch-1", vm_ip(15), static_config);
  require_up(*batch);
  agents as;
  std::set<std::string> names;
  for (int i = 1; i <= 5; ++i) {
    names.insert("cache-" + std::to_string(i));
    as.push_back(start_agent(dir, "cache-" + std::to_string(i), vm_ip(9 + i), config));
  }
  for (const auto& a : as) require_up(*a);
  require_exactly_alive(as, names);

  for (const auto& a : as) {
    INFO(describe(*a));
    CHECK(a->http("/ready").status == 200);
    CHECK(gauge(*a, "cachecluster_local_mode") == 0);
    auto s = a->states();
    REQUIRE(s);
    CHECK(s->count("batch-1") == 0);
    // Snapshots carry each peer's zone, as the metadata server reported it.
    json snap = first_snapshot(*a);
    REQUIRE(snap.is_object());
    CHECK(snap["self"].value("zone", "") ==
          (a->name() == "cache-1" || a->name() == "cache-3" || a->name() == "cache-5"
               ? "us-central1-a"
               : "us-central1-b"));
    for (const auto& p : snap["peers"]) {
      const int i = std::stoi(p.value("name", "cache-0").substr(6));
      CHECK(p.value("zone", "") == (i % 2 == 1 ? "us-central1-a" : "us-central1-b"));
    }
  }
  // Still alone: nobody ever joined the untagged VM.
  CHECK(in_state(*batch, "alive") == std::set<std::string>{"batch-1"});
}

TEST_CASE("gce agents: scale out by one VM, then scale in by one") {
  json vms = json::array();
  for (int i = 1; i <= 5; ++i)
    vms.push_back(vm("cache-" + std::to_string(i), vm_ip(19 + i), "us-central1-a"));
  emulator emu(vms);
  temp_dir dir("gce-a2");
  auto config = dir / "gce.ini";
  test_support::write_file(config, gce_config(emu));
  agents as;
  std::set<std::string> names;
  for (int i = 1; i <= 5; ++i) {
    names.insert("cache-" + std::to_string(i));
    as.push_back(start_agent(dir, "cache-" + std::to_string(i), vm_ip(19 + i), config));
  }
  for (const auto& a : as) require_up(*a);
  require_exactly_alive(as, names);

  // Scale out: the group creates cache-6, whose agent finds the others through the API.
  REQUIRE(emu.admin("POST", "/admin/instances", vm("cache-6", vm_ip(25), "us-central1-b").dump()) ==
          200);
  as.push_back(start_agent(dir, "cache-6", vm_ip(25), config));
  require_up(*as.back());
  names.insert("cache-6");
  require_exactly_alive(as, names);
  CHECK(as.back()->http("/ready").status == 200);

  // Scale in: the group deletes cache-2 and its agent gets SIGTERM on shutdown.
  REQUIRE(emu.admin("DELETE", "/admin/instances/cache-2") == 200);
  auto& leaver = *as[1];
  REQUIRE(leaver.proc().signal(SIGTERM));
  auto st = leaver.proc().wait_exit(timeout);
  CHECK(exit_code(st) == 0);
  for (const auto& a : as) {
    if (a.get() == &leaver) continue;
    bool ok = test_support::wait_until([&] { return sees_gone(*a, "cache-2", "left"); }, timeout);
    INFO(describe(*a));
    CHECK(ok);
  }
}

TEST_CASE("gce agents: a failing Compute API keeps the cluster; a new agent waits in local mode") {
  json vms = json::array();
  for (int i = 1; i <= 6; ++i)
    vms.push_back(vm("cache-" + std::to_string(i), vm_ip(29 + i), "us-central1-a"));
  emulator emu(vms);
  temp_dir dir("gce-a3");
  // A short floor and a large budget: the running agents poll every ~2 s, so they do meet
  // the failures during the fault windows below.
  auto config = dir / "gce.ini";
  test_support::write_file(config,
                           gce_config(emu, "api_calls_per_minute = 600\nmin_poll_interval = 2s\n"));
  agents as;
  std::set<std::string> names;
  for (int i = 1; i <= 5; ++i) {
    names.insert("cache-" + std::to_string(i));
    as.push_back(start_agent(dir, "cache-" + std::to_string(i), vm_ip(29 + i), config));
  }
  for (const auto& a : as) require_up(*a);
  require_exactly_alive(as, names);

  // Every Compute call fails with 503 until cleared; the metadata server still works, so a
  // new agent starts (identity, token) but cannot discover anyone.
  REQUIRE(emu.admin("POST", "/admin/faults",
                    R"({"status":503,"count":-1,"target":"compute"})") == 200);
  const long before = emu.compute_total();
  auto newcomer = start_agent(dir, "cache-6", vm_ip(35), config);
  require_up(*newcomer);

  // The running agents keep every peer through failing polls (a failed discovery is not an
  // empty one), and the newcomer stays not ready, publishing only itself.
  auto cluster_unchanged = [&] {
    for (const auto& a : as) {
      INFO(describe(*a));
      CHECK(in_state(*a, "alive") == names);
    }
    INFO(describe(*newcomer));
    CHECK(newcomer->http("/ready").status == 503);
    CHECK(gauge(*newcomer, "cachecluster_local_mode") == 1);
    CHECK(in_state(*newcomer, "alive") == std::set<std::string>{"cache-6"});
  };
  std::this_thread::sleep_for(8s);
  cluster_unchanged();
  // The polls did reach the API (and failed): this was not a quiet window.
  CHECK(emu.compute_total() > before);

  // Then a rate limit (403 rateLimitExceeded): same outcome.
  REQUIRE(emu.admin("POST", "/admin/faults", R"({"clear":true})") == 200);
  REQUIRE(emu.admin("POST", "/admin/faults", R"({"rate_limit":true,"seconds":600})") == 200);
  const long before_limit = emu.compute_total();
  std::this_thread::sleep_for(8s);
  cluster_unchanged();
  INFO("compute calls during the rate limit: " << emu.compute_total() - before_limit);

  // Faults cleared: within the back-off (failures double the delay; a rate limit waits for
  // the next quota minute plus up to 20 s) some poll succeeds and the newcomer joins.
  REQUIRE(emu.admin("POST", "/admin/faults", R"({"clear":true})") == 200);
  as.push_back(std::move(newcomer));
  names.insert("cache-6");
  require_exactly_alive(as, names, std::chrono::milliseconds(4min));
  CHECK(as.back()->http("/ready").status == 200);
  CHECK(gauge(*as.back(), "cachecluster_local_mode") == 0);
}

TEST_CASE("gce agents: a preempted VM's agent leaves at once and exits 0") {
  json vms = json::array();
  for (int i = 1; i <= 4; ++i)
    vms.push_back(vm("cache-" + std::to_string(i), vm_ip(39 + i), "us-central1-a"));
  emulator emu(vms);
  temp_dir dir("gce-a4");
  auto config = dir / "gce.ini";
  test_support::write_file(config, gce_config(emu));
  agents as;
  std::set<std::string> names;
  for (int i = 1; i <= 4; ++i) {
    names.insert("cache-" + std::to_string(i));
    as.push_back(start_agent(dir, "cache-" + std::to_string(i), vm_ip(39 + i), config));
  }
  for (const auto& a : as) require_up(*a);
  require_exactly_alive(as, names);

  REQUIRE(emu.admin("POST", "/admin/instances/cache-3/preempt") == 200);
  auto& preempted = *as[2];
  auto st = preempted.proc().wait_exit(timeout);
  INFO(describe_brief(preempted));
  REQUIRE(st.has_value());
  CHECK(exit_code(st) == 0);
  for (const auto& a : as) {
    if (a.get() == &preempted) continue;
    bool ok = test_support::wait_until([&] { return sees_gone(*a, "cache-3", "left"); }, timeout);
    INFO(describe(*a));
    CHECK(ok);
    CHECK(in_state(*a, "alive") == std::set<std::string>{"cache-1", "cache-2", "cache-4"});
  }
}

TEST_CASE("gce agents: a metadata server that fails the first requests is retried at start-up") {
  json vms = json::array();
  for (int i = 1; i <= 2; ++i)
    vms.push_back(vm("cache-" + std::to_string(i), vm_ip(69 + i), "us-central1-a"));
  emulator emu(vms);
  temp_dir dir("gce-a7");
  auto config = dir / "gce.ini";
  test_support::write_file(config, gce_config(emu));
  // Nine 503s: cache-1's first three identity requests each fail all three of the metadata
  // client's own tries; start-up waits and starts over, and the fourth round gets through.
  REQUIRE(emu.admin("POST", "/admin/faults",
                    R"({"status": 503, "count": 9, "target": "metadata"})") == 200);
  agents as;
  as.push_back(start_agent(dir, "cache-1", vm_ip(70), config));
  require_up(*as[0]);
  {
    INFO(describe_brief(*as[0]));
    CHECK(as[0]->log().find("GCE metadata server: ") != std::string::npos);
    CHECK(as[0]->log().find("HTTP 503; retry 3 in ") != std::string::npos);
    CHECK(as[0]->log().find("ready after 4 attempts") != std::string::npos);
  }
  as.push_back(start_agent(dir, "cache-2", vm_ip(71), config));
  require_up(*as[1]);
  require_exactly_alive(as, {"cache-1", "cache-2"});
  CHECK(as[0]->http("/ready").status == 200);
}

TEST_CASE("gce agents: a metadata server that never answers ends start-up after startup_timeout") {
  emulator emu(json::array({vm("cache-1", vm_ip(75), "us-central1-a")}));
  temp_dir dir("gce-a8");
  auto config = dir / "gce.ini";
  test_support::write_file(config, gce_config(emu, "startup_timeout = 2s\n"));
  // A port nobody listens on: every request is refused.
  std::uint16_t dead = 0;
  for (std::uint16_t p = 18950; p < 19050 && dead == 0; ++p)
    if (test_support::port_free(emulator_ip, p)) dead = p;
  REQUIRE(dead != 0);
  ::setenv("GCE_METADATA_HOST", (std::string(emulator_ip) + ":" + std::to_string(dead)).c_str(), 1);
  auto a = start_agent(dir, "cache-1", vm_ip(75), config);
  auto st = a->proc().wait_exit(timeout);
  INFO(describe_brief(*a));
  REQUIRE(st.has_value());
  CHECK(exit_code(st) != 0);
  const std::string log = a->log();
  CHECK(log.find("GCE metadata server: ") != std::string::npos);
  CHECK(log.find("; retry 1 in ") != std::string::npos);
  CHECK(log.find("gave up after ") != std::string::npos);
  CHECK(log.find("[gce] startup_timeout bounds the wait") != std::string::npos);
  CHECK(log.find("started: gossip") == std::string::npos);  // never got as far as binding
}

TEST_CASE("gce agents: without [node] name each agent takes its instance name, not the host's") {
  // Four agents on one host, as four VMs (127.0.6.50-53), none given --node: each is called by
  // the instance name its metadata server reports, so they do not all claim the host name.
  json vms = json::array();
  for (int i = 1; i <= 4; ++i)
    vms.push_back(vm("vm-" + std::to_string(i), vm_ip(49 + i), "us-central1-a"));
  emulator emu(vms);
  temp_dir dir("gce-a6");
  auto config = dir / "gce.ini";
  test_support::write_file(config, gce_config(emu));
  agents as;
  std::set<std::string> names;
  for (int i = 1; i <= 4; ++i) {
    const std::string name = "vm-" + std::to_string(i);
    names.insert(name);
    as.push_back(std::make_unique<agent_proc>(
        dir, agent_spec{name, vm_ip(49 + i), {}, "", config.string(), "", false}));
  }
  for (const auto& a : as) require_up(*a);
  require_exactly_alive(as, names);
  for (const auto& a : as) {
    INFO(describe(*a));
    json snap = first_snapshot(*a);
    REQUIRE(snap.is_object());
    CHECK(snap["self"].value("name", "") == a->name());
    CHECK(a->log().find("node name: " + a->name() + " (the instance name") != std::string::npos);
  }
}

TEST_CASE("gce agents: twenty agents stay within the cluster's Compute API budget") {
  // B = 60 calls/min for the whole cluster, floor 2 s: with N = 20 and C = 1 each agent polls
  // every N x C x 60 / B = 20 s (jittered 10-30 s), so the cluster makes about 60 calls/min.
  // Were the period not scaled by N (every agent on the 2 s floor), it would be ~600/min.
  constexpr int n = 20;
  constexpr int budget = 60;
  json vms = json::array();
  for (int i = 1; i <= n; ++i)
    vms.push_back(vm("cache-" + std::to_string(i), vm_ip(99 + i), "us-central1-a"));
  emulator emu(vms);
  temp_dir dir("gce-a5");
  auto config = dir / "gce.ini";
  // No zones list: each agent lists its own zone, one call per poll (C = 1).
  test_support::write_file(config, "[cluster]\ndiscovery = gce\n[match]\ntags = cache-node\n"
                                   "[gce]\napi_endpoint = " +
                                       emu.api() + "\napi_calls_per_minute = " +
                                       std::to_string(budget) + "\nmin_poll_interval = 2s\n");
  REQUIRE(emu.admin("POST", "/admin/stats/reset") == 200);
  agents as;
  std::set<std::string> names;
  for (int i = 1; i <= n; ++i) {
    names.insert("cache-" + std::to_string(i));
    as.push_back(start_agent(dir, "cache-" + std::to_string(i), vm_ip(99 + i), config));
  }
  for (const auto& a : as) require_up(*a);
  require_exactly_alive(as, names, std::chrono::milliseconds(2min));

  // Cold start: the first poll of each agent (due within 2 s of its start, possibly after
  // gossip already converged), and a few more from agents that polled while they still saw
  // few live members (a short period).
  std::this_thread::sleep_for(5s);
  const long cold = emu.compute_total();
  MESSAGE("cold start: " << cold << " Compute calls for " << n << " agents");
  CHECK(cold >= n);  // every agent did poll
  CHECK(cold <= 3 * n);

  // Steady state over 75 s.
  constexpr auto window = 75s;
  const long start = emu.compute_total();
  std::this_thread::sleep_for(window);
  const long calls = emu.compute_total() - start;
  const double per_minute = calls * 60.0 / std::chrono::duration<double>(window).count();
  MESSAGE("steady state: " << calls << " Compute calls in 75 s = " << per_minute
                           << "/min (budget " << budget << "/min)");
  CHECK(calls > 0);  // discovery is still polling: a safety net, not switched off
  CHECK(per_minute <= budget * 1.5);
  for (const auto& a : as) CHECK(a->proc().running());
}
