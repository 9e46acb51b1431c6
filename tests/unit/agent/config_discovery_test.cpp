// [cluster] discovery, [gce] instance_group, [dns] and [kubernetes]: defaults, values, what
// is refused, and which source "auto" picks.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "agent/config.hpp"
#include "agent/discovery_runner.hpp"
#include "config_text.hpp"

using namespace std::chrono_literals;
using agent::discovery_mode;

using config_text::contains;
using config_text::error_of;
using config_text::load;

TEST_CASE("config: discovery defaults") {
  auto c = load("").cfg;
  CHECK(c.cluster.discovery == discovery_mode::automatic);
  CHECK(c.gce.instance_group.empty());
  CHECK(c.dns.name.empty());
  CHECK(c.dns.interval == 10s);
  CHECK(c.kubernetes.api_server.empty());
  CHECK(c.kubernetes.label_selector.empty());
  CHECK(c.kubernetes.require_ready);
}

TEST_CASE("config: every discovery key loads") {
  auto c = load(
                "[cluster]\ndiscovery = kubernetes\n"
                "[gce]\ninstance_group = cache-mig\nregion = us-central1\n"
                "[dns]\nname = _gossip._udp.cache.ns.svc.cluster.local.\ninterval = 30s\n"
                "[kubernetes]\napi_server = http://127.0.0.1:8001/\ntoken_file = /var/run/t\n"
                "ca_file = /var/run/ca.crt\nnamespace = cache-ns\nlabel_selector = app=cache,tier!=web\n"
                "port_name = gossip\nrequire_ready = false\n")
               .cfg;
  CHECK(c.cluster.discovery == discovery_mode::kubernetes);
  CHECK(c.gce.instance_group == "cache-mig");
  CHECK(c.dns.name == "_gossip._udp.cache.ns.svc.cluster.local");
  CHECK(c.dns.interval == 30s);
  CHECK(c.kubernetes.api_server == "http://127.0.0.1:8001");
  CHECK(c.kubernetes.token_file == "/var/run/t");
  CHECK(c.kubernetes.ca_file == "/var/run/ca.crt");
  CHECK(c.kubernetes.namespace_name == "cache-ns");
  CHECK(c.kubernetes.label_selector == "app=cache,tier!=web");
  CHECK(c.kubernetes.port_name == "gossip");
  CHECK_FALSE(c.kubernetes.require_ready);
  CHECK(agent::to_string(c.cluster.discovery) == "kubernetes");
  CHECK(agent::to_string(discovery_mode::dns) == "dns");
}

TEST_CASE("config: bad discovery values are refused with the key named") {
  CHECK(contains(error_of("[cluster]\ndiscovery = consul\n"),
                 "must be one of auto, gce, static, kubernetes, dns"));
  CHECK(contains(error_of("[gce]\ninstance_group = Cache_MIG\n"), "[gce] instance_group"));
  CHECK(contains(error_of("[gce]\ninstance_group = mig\nzones = us-central1-a,us-central1-b\n"),
                 "not [gce] zones"));
  CHECK(contains(error_of("[dns]\nname = bad name\n"), "[dns] name"));
  CHECK(contains(error_of("[dns]\ninterval = 100ms\n"), "[dns] interval"));
  CHECK(contains(error_of("[kubernetes]\napi_server = ftp://x\n"), "[kubernetes] api_server"));
  CHECK(contains(error_of("[kubernetes]\ntoken_file = relative\n"), "must be an absolute path"));
  CHECK(contains(error_of("[kubernetes]\nnamespace = Bad_NS\n"), "[kubernetes] namespace"));
  CHECK(contains(error_of("[kubernetes]\nport_name = a-very-long-port-name\n"), "port_name"));
  CHECK(contains(error_of("[kubernetes]\nrequire_ready = maybe\n"), "true or false"));
  CHECK(contains(error_of("[cluster]\ndiscovery = dns\n"), "[dns] name: not set"));
  CHECK(contains(error_of("[cluster]\ndiscovery = kubernetes\n"), "[kubernetes] label_selector: not set"));
}

TEST_CASE("config: a plain http:// Kubernetes API server off loopback draws a warning") {
  auto w = load("[kubernetes]\napi_server = http://10.0.0.1:8080\nlabel_selector = app=c\n").warnings;
  bool found = false;
  for (const auto& s : w) found = found || contains(s, "[kubernetes] api_server");
  CHECK(found);
  for (const auto& s : load("[kubernetes]\napi_server = http://127.0.0.1:8080\n").warnings)
    CHECK_FALSE(contains(s, "[kubernetes] api_server"));
}

TEST_CASE("config: auto picks static with seeds, then kubernetes, dns, gce, else static") {
  ::unsetenv("GCE_METADATA_HOST");
  ::unsetenv("GCE_METADATA_ROOT");
  auto mode = [](const std::string& text) { return agent::effective_discovery(load(text).cfg); };
  CHECK(mode("") == discovery_mode::static_);
  CHECK(mode("[cluster]\njoin = 10.0.0.1\n[dns]\nname = x.local\n") == discovery_mode::static_);
  CHECK(mode("[kubernetes]\nlabel_selector = app=c\n[dns]\nname = x.local\n") ==
        discovery_mode::kubernetes);
  CHECK(mode("[dns]\nname = x.local\n[gce]\nregion = us-central1\n") == discovery_mode::dns);
  CHECK(mode("[gce]\ninstance_group = mig\n") == discovery_mode::gce);
  // An explicit choice wins over the seeds.
  CHECK(mode("[cluster]\ndiscovery = dns\njoin = 10.0.0.1\n[dns]\nname = x.local\n") ==
        discovery_mode::dns);
}

TEST_CASE("config: [gce] startup_timeout bounds the start-up wait for the metadata server") {
  CHECK(load("").cfg.gce.startup_timeout == 5min);
  CHECK(load("[gce]\nstartup_timeout = 90s\n").cfg.gce.startup_timeout == 90s);
  CHECK(load("[gce]\nstartup_timeout = 0s\n").cfg.gce.startup_timeout == 0s);  // one attempt
  CHECK(load("[gce]\nstartup_timeout = 60m\n").cfg.gce.startup_timeout == 60min);
  CHECK(contains(error_of("[gce]\nstartup_timeout = 61m\n"),
                 "[gce] startup_timeout = \"61m\": must be between 0ms and 60m"));
  CHECK(contains(error_of("[gce]\nstartup_timeout = soon\n"), "[gce] startup_timeout"));
}

TEST_CASE("config: [kubernetes] startup_timeout bounds the start-up retries of this pod's read") {
  CHECK(load("").cfg.kubernetes.startup_timeout == 1min);
  CHECK(load("[kubernetes]\nstartup_timeout = 20s\n").cfg.kubernetes.startup_timeout == 20s);
  CHECK(load("[kubernetes]\nstartup_timeout = 0s\n").cfg.kubernetes.startup_timeout == 0s);
  CHECK(contains(error_of("[kubernetes]\nstartup_timeout = 61m\n"),
                 "[kubernetes] startup_timeout = \"61m\": must be between 0ms and 60m"));
}
