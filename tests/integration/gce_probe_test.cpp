// `cachecluster check-config --probe` against gce-emulator on 127.0.13.1, as a VM at
// 127.0.13.10 (the emulator's metadata server knows VMs by source address): a VM that may
// list instances sees its peers; scopes without Compute access are caught at the metadata
// server; a token without a Compute scope and a service account
// without compute.instances.list each get a 403 that the probe turns into the fix; a
// metadata server that does not answer is reported as "not on GCE".

#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>

#include "integration/agent_cluster.hpp"

#ifndef GCE_EMULATOR_BINARY
#define GCE_EMULATOR_BINARY ""
#endif

using namespace integ;
using test_support::temp_dir;

namespace {

constexpr const char* emu_ip = "127.0.13.1";

/// gce-emulator with three VMs tagged cache-node (ours is vm-10 at 127.0.13.10).
struct probe_emulator {
  temp_dir dir{"gce-probe"};
  std::uint16_t port = 0;
  std::unique_ptr<process> proc;

  /// `scopes`: our VM's service-account scopes (the emulator's default: cloud-platform).
  explicit probe_emulator(const json& scopes = nullptr) {
    json vms = json::array();
    for (int i : {10, 11, 12})
      vms.push_back({{"name", "vm-" + std::to_string(i)}, {"zone", "us-central1-a"},
                     {"networkIP", "127.0.13." + std::to_string(i)}, {"tags", {"cache-node"}},
                     {"status", "RUNNING"}});
    if (!scopes.is_null()) vms[0]["scopes"] = scopes;
    json doc = {{"project", "cache-project"}, {"zones", {"us-central1-a"}}, {"instances", vms}};
    test_support::write_file(dir / "instances.json", doc.dump());
    for (std::uint16_t p = 18900; p < 19100 && port == 0; ++p)
      if (test_support::port_free(emu_ip, p)) port = p;
    REQUIRE(port != 0);
    proc = std::make_unique<process>(
        std::vector<std::string>{test_support::find_binary(GCE_EMULATOR_BINARY), "--instances",
                                 (dir / "instances.json").string(), "--listen", host()},
        dir / "emulator.log");
    REQUIRE(test_support::wait_until(
        [&] { return test_support::http_get(emu_ip, port, "/admin/stats").status == 200; },
        timeout));
  }
  ~probe_emulator() {
    proc->signal(SIGTERM);
    proc->wait_exit(5s);
  }

  std::string host() const { return std::string(emu_ip) + ":" + std::to_string(port); }

  /// The probe of VM vm-10 with GCE discovery on this emulator, metadata server at `md_host`.
  test_support::cli_result probe(const std::string& md_host) {
    const auto ini = dir / "cachecluster.ini";
    test_support::write_file(ini, "[cluster]\nbind = 127.0.13.10\n[match]\ntags = cache-node\n"
                                  "[gce]\napi_endpoint = http://" + host() +
                                      "/compute/v1/\nzones = us-central1-a\n");
    ::setenv("GCE_METADATA_HOST", md_host.c_str(), 1);
    auto r = test_support::run_cli({binary(), "check-config", "--probe", "--config", ini.string()});
    ::unsetenv("GCE_METADATA_HOST");
    return r;
  }

  /// Make every Compute API call fail with 403 and this errors[].reason.
  void refuse(const std::string& reason) {
    const std::string body = R"({"status":403,"count":-1,"reason":")" + reason + "\"}";
    REQUIRE(test_support::http_request(emu_ip, port, "POST", "/admin/faults", body).status == 200);
  }
};

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("probe: a VM with the scope and the role reaches the metadata server and lists peers") {
  probe_emulator emu;
  auto r = emu.probe(emu.host());
  INFO(r.out, r.err);
  CHECK(r.exit == 0);
  CHECK(has(r.out, "probe: discovery gce"));
  CHECK(has(r.out, "instance vm-10 in us-central1-a (project cache-project), ip 127.0.13.10"));
  CHECK(has(r.out, "probe: service account emulated@cache-project.iam.gserviceaccount.com"));
  CHECK(has(r.out, "probe: scopes: https://www.googleapis.com/auth/cloud-platform\n"));
  CHECK(has(r.out, "probe: access token: ok"));
  CHECK(has(r.out, "probe: Compute API: 2 candidate peer(s)"));
  CHECK(has(r.out, "probe: OK"));
}

TEST_CASE("probe: a VM whose scopes lack Compute access is told so before any API call") {
  probe_emulator emu(json{"https://www.googleapis.com/auth/devstorage.read_only",
                          "https://www.googleapis.com/auth/logging.write"});
  auto r = emu.probe(emu.host());
  INFO(r.out, r.err);
  CHECK(r.exit == 1);
  CHECK(has(r.out, "probe: scopes: https://www.googleapis.com/auth/devstorage.read_only, "
                   "https://www.googleapis.com/auth/logging.write: FAILED: none gives Compute "
                   "read access"));
  CHECK(has(r.out, "fix: create the instance template with --scopes=compute-ro"));
  CHECK_FALSE(has(r.out, "Compute API"));
  CHECK(has(r.out, "probe: FAILED"));
}

TEST_CASE("probe: a 403 for a missing scope names the compute-ro scope") {
  probe_emulator emu;
  emu.refuse("insufficientPermissions");
  auto r = emu.probe(emu.host());
  INFO(r.out, r.err);
  CHECK(r.exit == 1);
  CHECK(has(r.out, "probe: Compute API: FAILED: "));
  CHECK(has(r.out, "403 (insufficientPermissions): Request had insufficient authentication scopes"));
  CHECK(has(r.out, "fix: create the instance template with --scopes=compute-ro"));
  CHECK_FALSE(has(r.out, "roles/compute.viewer --"));
  CHECK(has(r.out, "probe: FAILED"));
}

TEST_CASE("probe: a 403 for a missing permission names the role and the account to grant it to") {
  probe_emulator emu;
  emu.refuse("forbidden");
  auto r = emu.probe(emu.host());
  INFO(r.out, r.err);
  CHECK(r.exit == 1);
  CHECK(has(r.out, "Required 'compute.instances.list' permission for 'projects/cache-project'"));
  CHECK(has(r.out, "fix: gcloud projects add-iam-policy-binding cache-project "
                   "--member=serviceAccount:emulated@cache-project.iam.gserviceaccount.com "
                   "--role=roles/compute.viewer"));
  CHECK(has(r.out, "probe: FAILED"));
}

TEST_CASE("probe: no metadata server means not on GCE, with the static alternative") {
  probe_emulator emu;
  // A port nothing listens on: the emulator's, once it has stopped.
  const std::string gone = emu.host();
  emu.proc->signal(SIGTERM);
  REQUIRE(emu.proc->wait_exit(timeout));
  auto r = emu.probe(gone);
  INFO(r.out, r.err);
  CHECK(r.exit == 1);
  CHECK(has(r.out, "probe: metadata server http://" + gone + "/computeMetadata/v1/: FAILED"));
  CHECK(has(r.out, "[cluster] discovery = static"));
  CHECK_FALSE(has(r.out, "Compute API"));
}
