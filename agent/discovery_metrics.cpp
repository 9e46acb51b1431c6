#include "agent/discovery_metrics.hpp"

#include <cmath>
#include <cstdio>

namespace agent {
namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

/// A label value escaped as the format requires (\\, \", \n).
std::string escaped(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

std::string render_discovery_metrics(const discovery_stats& d) {
  if (d.provider.empty()) return {};
  std::string out;
  family(out, "cachecluster_discovery_info", "gauge",
         "Always 1; the provider label names the discovery source.");
  out += "cachecluster_discovery_info{provider=\"" + escaped(d.provider) + "\"} 1\n";
  family(out, "cachecluster_discovery_polls_total", "counter",
         "Discovery listings by result: ok, error (peers kept), rate_limited.");
  out += "cachecluster_discovery_polls_total{result=\"ok\"} " + std::to_string(d.polls_ok) + "\n";
  out += "cachecluster_discovery_polls_total{result=\"error\"} " +
         std::to_string(d.polls_failed - d.polls_rate_limited) + "\n";
  out += "cachecluster_discovery_polls_total{result=\"rate_limited\"} " +
         std::to_string(d.polls_rate_limited) + "\n";
  family(out, "cachecluster_discovery_api_calls_total", "counter",
         "Discovery API requests by method and HTTP status code (0: no answer).");
  for (const auto& [key, n] : d.api_calls)
    out += "cachecluster_discovery_api_calls_total{method=\"" + escaped(key.first) + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  family(out, "cachecluster_discovery_last_success_timestamp_seconds", "gauge",
         "Unix time of the last discovery listing that completed; 0 = never.");
  out += "cachecluster_discovery_last_success_timestamp_seconds " +
         number(d.last_success_unix.value_or(0)) + "\n";
  family(out, "cachecluster_discovery_candidates", "gauge",
         "Candidate peers in the last completed discovery listing.");
  out += "cachecluster_discovery_candidates " + std::to_string(d.candidates) + "\n";
  if (d.seconds_since_new_candidate) {
    family(out, "cachecluster_discovery_seconds_since_new_candidate", "gauge",
           "Seconds since a discovery listing held a candidate no earlier listing had.");
    out += "cachecluster_discovery_seconds_since_new_candidate " +
           number(*d.seconds_since_new_candidate) + "\n";
  }
  return out;
}

std::string not_ready_reason(const discovery_stats& d) {
  if (!d.last_error.empty()) return "discovery (" + d.provider + ") failed: " + d.last_error;
  if (d.provider.empty() || d.provider == "static") return "no seed has answered a join yet";
  return "waiting for the first " + d.provider + " discovery listing";
}

}  // namespace agent
