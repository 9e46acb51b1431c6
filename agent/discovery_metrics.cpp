#include "agent/discovery_metrics.hpp"

#include <cstdint>
#include <string>

#include "agent/exposition.hpp"

namespace agent {

void write_discovery_metrics(exposition& m, const discovery_stats& d) {
  if (d.provider.empty()) return;
  m.family("cachecluster_discovery_info", "gauge",
           "Always 1; the provider label names the discovery source.");
  m.sample("cachecluster_discovery_info", {{"provider", d.provider}}, std::uint64_t{1});
  m.family("cachecluster_discovery_polls_total", "counter",
           "Discovery listings by result: ok, error (peers kept), rate_limited.");
  m.sample("cachecluster_discovery_polls_total", {{"result", "ok"}}, d.polls_ok);
  m.sample("cachecluster_discovery_polls_total", {{"result", "error"}},
           d.polls_failed - d.polls_rate_limited);
  m.sample("cachecluster_discovery_polls_total", {{"result", "rate_limited"}},
           d.polls_rate_limited);
  m.family("cachecluster_discovery_api_calls_total", "counter",
           "Discovery API requests by method and HTTP status code (0: no answer).");
  for (const auto& [key, n] : d.api_calls) {
    const std::string code = std::to_string(key.second);
    m.sample("cachecluster_discovery_api_calls_total", {{"method", key.first}, {"code", code}}, n);
  }
  m.gauge("cachecluster_discovery_last_success_timestamp_seconds",
          "Unix time of the last discovery listing that completed; 0 = never.",
          static_cast<double>(d.last_success_unix.value_or(0)));
  m.gauge("cachecluster_discovery_candidates",
          "Candidate peers in the last completed discovery listing.",
          static_cast<std::uint64_t>(d.candidates));
  if (d.seconds_since_new_candidate) {
    m.gauge("cachecluster_discovery_seconds_since_new_candidate",
            "Seconds since a discovery listing held a candidate no earlier listing had.",
            static_cast<double>(*d.seconds_since_new_candidate));
  }
}

std::string not_ready_reason(const discovery_stats& d) {
  if (!d.last_error.empty()) return "discovery (" + d.provider + ") failed: " + d.last_error;
  if (d.provider.empty() || d.provider == "static") return "no seed has answered a join yet";
  return "waiting for the first " + d.provider + " discovery listing";
}

}  // namespace agent
