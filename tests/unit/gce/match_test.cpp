#include "gce/match.hpp"

#include <doctest/doctest.h>

using namespace gce;

namespace {

instance vm() {
  instance in;
  in.name = "sidecar-mig-x7k2";
  in.status = "RUNNING";
  in.interfaces = {{"nic0", "10.128.0.7", ""}, {"nic1", "192.168.10.4", ""}};
  in.tags = {"peer-sidecar", "http-server"};
  in.metadata = {{"sidecar-cluster", "cache-a"}, {"empty-flag", ""}};
  in.labels = {{"app", "cache"}, {"env", "prod"}};
  return in;
}

}  // namespace

TEST_CASE("match: every listed tag, meta pair and label must be present") {
  match_rules r;
  CHECK(matches(vm(), r));
  r.tags = {"peer-sidecar"};
  CHECK(matches(vm(), r));
  r.tags = {"peer-sidecar", "missing"};
  CHECK_FALSE(matches(vm(), r));
  r.tags = {};
  r.meta = {{"sidecar-cluster", "cache-a"}};
  CHECK(matches(vm(), r));
  r.meta = {{"sidecar-cluster", "cache-b"}};
  CHECK_FALSE(matches(vm(), r));
  r.meta = {{"empty-flag", ""}};
  CHECK(matches(vm(), r));  // an item without value matches an empty value
  r.meta = {{"absent", ""}};
  CHECK_FALSE(matches(vm(), r));
  r.meta = {};
  r.labels = {{"app", "cache"}};
  CHECK(matches(vm(), r));
  r.labels = {{"app", "web"}};
  CHECK_FALSE(matches(vm(), r));
}

TEST_CASE("match: status defaults to RUNNING; unknown statuses are not peers") {
  match_rules r;
  auto in = vm();
  in.status = "STOPPING";
  CHECK_FALSE(matches(in, r));
  in.status = "SOME_FUTURE_STATUS";
  CHECK_FALSE(matches(in, r));
  in.status = "";
  CHECK_FALSE(matches(in, r));
  r.statuses = {"running", "pending_stop"};  // config values are case-insensitive
  in.status = "PENDING_STOP";
  CHECK(matches(in, r));
  r.statuses = {};
  in.status = "TERMINATED";
  CHECK(matches(in, r));
}

TEST_CASE("match: the address is the named NIC, or the only one") {
  auto in = vm();
  CHECK(peer_ip(in, "nic0") == "10.128.0.7");
  CHECK(peer_ip(in, "nic1") == "192.168.10.4");
  CHECK_FALSE(peer_ip(in, "nic2"));
  match_rules r;
  r.network_interface = "nic2";
  CHECK_FALSE(matches(in, r));  // no address, no peer
  in.interfaces = {{"nic3", "10.0.0.3", ""}};
  CHECK(peer_ip(in, "nic0") == "10.0.0.3");  // gce-cache-cluster: a single NIC is used whatever its name
  in.interfaces = {{"nic0", "", ""}};
  CHECK_FALSE(peer_ip(in, "nic0"));
}

TEST_CASE("match: server filter covers status and labels only") {
  match_rules r;
  CHECK(server_filter(r) == R"(status = "RUNNING")");
  r.labels = {{"app", "cache"}};
  r.tags = {"peer"};
  r.meta = {{"k", "v"}};
  CHECK(server_filter(r) == R"((status = "RUNNING") AND (labels.app = "cache"))");
  r.statuses = {"running", "PENDING_STOP"};
  CHECK(server_filter(r) ==
        R"((status = "RUNNING" OR status = "PENDING_STOP") AND (labels.app = "cache"))");
  r.statuses = {};
  r.labels = {};
  CHECK(server_filter(r).empty());
}
