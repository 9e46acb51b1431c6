#include "agent/discovery_metrics.hpp"

#include <doctest/doctest.h>

#include "agent/exposition.hpp"

using namespace agent;

namespace {

std::string render_discovery_metrics(const discovery_stats& d) {
  exposition m;
  write_discovery_metrics(m, d);
  return m.take();
}

}  // namespace

TEST_CASE("discovery_metrics: nothing without discovery") {
  CHECK(render_discovery_metrics(discovery_stats{}).empty());
}

TEST_CASE("discovery_metrics: polls by result, API calls by method and code, last listing") {
  discovery_stats d;
  d.provider = "gce";
  d.polls_ok = 7;
  d.polls_failed = 3;
  d.polls_rate_limited = 1;
  d.api_calls[{"instances.list", 200}] = 7;
  d.api_calls[{"instances.list", 403}] = 3;
  d.api_calls[{"instanceGroupManagers.listManagedInstances", 0}] = 1;
  d.last_success_unix = 1'700'000'000.25;
  d.candidates = 4;
  const std::string m = render_discovery_metrics(d);
  for (const char* line : {
           "# TYPE cachecluster_discovery_polls_total counter\n",
           "cachecluster_discovery_info{provider=\"gce\"} 1\n",
           "cachecluster_discovery_polls_total{result=\"ok\"} 7\n",
           "cachecluster_discovery_polls_total{result=\"error\"} 2\n",
           "cachecluster_discovery_polls_total{result=\"rate_limited\"} 1\n",
           "cachecluster_discovery_api_calls_total{method=\"instances.list\",code=\"200\"} 7\n",
           "cachecluster_discovery_api_calls_total{method=\"instances.list\",code=\"403\"} 3\n",
           "cachecluster_discovery_api_calls_total{method=\"instanceGroupManagers.listManagedInstances\",code=\"0\"} 1\n",
           "cachecluster_discovery_last_success_timestamp_seconds 1700000000.25\n",
           "cachecluster_discovery_candidates 4\n",
       }) {
    CAPTURE(line);
    CHECK(m.find(line) != std::string::npos);
  }
  // No new candidate seen yet: the gauge is absent rather than a made-up value.
  CHECK(m.find("seconds_since_new_candidate") == std::string::npos);
  d.seconds_since_new_candidate = 12.5;
  CHECK(render_discovery_metrics(d).find("cachecluster_discovery_seconds_since_new_candidate 12.5\n") !=
        std::string::npos);
  // Every family has HELP and TYPE.
  std::size_t help = 0, type = 0;
  for (std::size_t at = 0; (at = m.find("# HELP ", at)) != std::string::npos; ++at) ++help;
  for (std::size_t at = 0; (at = m.find("# TYPE ", at)) != std::string::npos; ++at) ++type;
  CHECK(help == 5);
  CHECK(type == 5);
}

TEST_CASE("discovery_metrics: the not-ready reason") {
  discovery_stats d;
  CHECK(not_ready_reason(d) == "no seed has answered a join yet");
  d.provider = "kubernetes";
  CHECK(not_ready_reason(d) == "waiting for the first kubernetes discovery listing");
  d.last_error = "Kubernetes API returned 403";
  CHECK(not_ready_reason(d) == "discovery (kubernetes) failed: Kubernetes API returned 403");
}
