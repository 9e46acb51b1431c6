#include "agent/http_handler.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "agent/status.hpp"
#include "peerlib/protocol.hpp"
#include "swim/address.hpp"
#include "swim/member.hpp"
#include "swim/tags.hpp"
#include "swim/wire.hpp"

using agent::handle_http;
using agent::render_members_json;
using agent::render_metrics;
using agent::to_members_document;

namespace {

swim::member make_member(std::string name, swim::address addr, swim::member_state st,
                         std::uint32_t inc, swim::bytes meta = {}) {
  swim::member m;
  m.name = std::move(name);
  m.addr = addr;
  m.state = st;
  m.incarnation = inc;
  m.meta = std::move(meta);
  m.vsn = {1, 5, 2, 2, 5, 4};
  return m;
}

// A status with one member per state (two alive besides self) and distinct counters.
agent::status sample_status() {
  agent::status s;
  s.node_name = "cache-1";
  s.version = "1.2.3";
  s.ready = true;
  s.local_mode = false;
  s.uptime_seconds = 12.5;
  s.snapshot_version = 42;
  s.health_score = 2;
  s.queued_broadcasts = 3;
  s.queued_membership = 2;
  s.queued_user = 1;
  s.dropped_membership = 5;
  s.dropped_user = 6;
  s.members = {
      make_member("cache-3", swim::address::v4(10, 0, 0, 3, 7946), swim::member_state::suspect, 4),
      make_member("cache-1", swim::address::v4(10, 0, 0, 1, 7946), swim::member_state::alive, 1,
                  swim::encode_tags({{"role", "cache"}, {"zone", "us-central1-a"}})),
      make_member("cache-2", swim::address::v4(10, 0, 0, 2, 7947), swim::member_state::alive, 9),
      make_member("cache-4", swim::address::v4(10, 0, 0, 4, 7946), swim::member_state::dead, 2),
      make_member("cache-5", swim::address::v4(10, 0, 0, 5, 7946), swim::member_state::left, 7),
      make_member("cache-0", swim::address::v4(10, 0, 0, 9, 7946), swim::member_state::alive, 3),
  };
  auto& n = s.node;
  n.packets_in = 101;
  n.packets_out = 102;
  n.bytes_in = 103;
  n.bytes_out = 104;
  n.streams_in = 105;
  n.streams_out = 106;
  n.probes = 107;
  n.probe_failures = 108;
  n.indirect_probes = 109;
  n.tcp_fallback_pings = 110;
  n.suspicions_raised = 111;
  n.refutations = 112;
  n.deaths_declared = 113;
  n.push_pulls = 114;
  n.joins = 115;
  n.push_pull_failures = 116;
  n.broadcasts_queued = 117;
  n.conflicts = 118;
  n.ignored_pings = 119;
  n.incarnation_saturated = 120;
  n.top_accusations_ignored = 121;
  n.confirmations_ignored = 122;
  n.address_checks = 123;
  n.push_pull_new_members_refused = 124;
  n.members_refused_table_full = 125;
  n.repair_push_pulls = 126;
  n.drops[static_cast<std::size_t>(swim::wire::error::bad_crc)] = 7;
  n.drops[static_cast<std::size_t>(swim::wire::error::truncated)] = 3;
  auto& d = s.driver;
  d.inbound_streams = 201;
  d.inbound_streams_rejected = 202;
  d.stream_timeouts = 203;
  d.stream_connect_failures = 204;
  d.udp_send_errors = 205;
  d.stream_drops[static_cast<std::size_t>(swim::wire::error::too_large)] = 2;
  auto& a = s.agent;
  a.publishes = 301;
  a.subscribers = 4;
  a.subscribers_total = 302;
  a.snapshots_skipped = 303;
  a.control_requests = 304;
  a.control_errors = 305;
  a.control_refused = 306;
  a.control_sessions = 5;
  a.control_sessions_rejected = 307;
  auto& q = s.serf;
  q.events = 501;
  q.queries = 502;
  q.queries_relayed = 503;
  q.duplicates = 504;
  q.too_old = 505;
  q.filtered = 506;
  q.acks_sent = 507;
  q.responses_sent = 508;
  q.key_changes = 509;
  q.response_relays_sent = 510;
  q.relays_forwarded = 511;
  q.queries_issued = 512;
  q.responses_received = 513;
  q.malformed = 514;
  s.flaps["cache-4"] = agent::flap_record{3, true};
  s.flaps["cache-3"] = agent::flap_record{0, true, true};
  s.flaps["cache-2"] = agent::flap_record{1, false};
  s.flaps_total = 401;
  s.members_suppressed = 2;
  s.members_grey = 1;
  s.grey_holds_total = 7;
  return s;
}

// ---- a small checker for the Prometheus text format 0.0.4 ----

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  auto first = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  };
  auto rest = [&](char c) { return first(c) || (c >= '0' && c <= '9'); };
  if (!first(n[0])) return false;
  for (char c : n.substr(1)) {
    if (!rest(c)) return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) {
  return valid_metric_name(n) && n.find(':') == std::string_view::npos;
}

/// One sample: name, labels (unescaped) and value.
struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

/// A parsed exposition; `errors` lists every line that breaks the format.
struct exposition {
  std::map<std::string, std::string> types;  ///< family name -> type
  std::set<std::string> helps;               ///< family names with # HELP
  std::vector<sample> samples;
  std::vector<std::string> errors;

  /// The value of `name` with exactly `labels`, if present.
  std::optional<double> value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
};

// Parse `{k="v",...}` starting at text[i] == '{'; advances i past '}'.
bool parse_labels(std::string_view text, std::size_t& i, std::map<std::string, std::string>& out) {
  ++i;  // '{'
  while (i < text.size() && text[i] != '}') {
    auto eq = text.find('=', i);
    if (eq == std::string_view::npos) return false;
    std::string name(text.substr(i, eq - i));
    if (!valid_label_name(name)) return false;
    i = eq + 1;
    if (i >= text.size() || text[i] != '"') return false;
    ++i;
    std::string value;
    for (;;) {
      if (i >= text.size()) return false;
      char c = text[i++];
      if (c == '"') break;
      if (c == '\n') return false;
      if (c == '\\') {
        if (i >= text.size()) return false;
        char e = text[i++];
        if (e == '\\') {
          value += '\\';
        } else if (e == '"') {
          value += '"';
        } else if (e == 'n') {
          value += '\n';
        } else {
          return false;
        }
      } else {
        value += c;
      }
    }
    if (!out.emplace(std::move(name), std::move(value)).second) return false;  // duplicate label
    if (i < text.size() && text[i] == ',') ++i;
  }
  if (i >= text.size()) return false;
  ++i;  // '}'
  return true;
}

std::optional<double> parse_value(std::string_view v) {
  if (v == "+Inf") return std::numeric_limits<double>::infinity();
  if (v == "-Inf") return -std::numeric_limits<double>::infinity();
  if (v == "NaN") return std::numeric_limits<double>::quiet_NaN();
  std::istringstream in{std::string(v)};
  double d = 0;
  in >> d;
  if (!in || !in.eof()) return std::nullopt;
  return d;
}

exposition parse_exposition(std::string_view text) {
  exposition e;
  if (!text.empty() && text.back() != '\n') e.errors.push_back("no final line feed");
  std::set<std::string> finished;  // families whose block has ended
  std::string current;             // family of the previous line
  auto enter = [&](const std::string& family, std::string_view line) {
    if (family != current) {
      if (finished.count(family)) e.errors.push_back("family split: " + std::string(line));
      if (!current.empty()) finished.insert(current);
      current = family;
    }
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      std::string name(rest.substr(0, sp));
      if (!valid_metric_name(name) || sp == std::string_view::npos) {
        e.errors.push_back("bad comment: " + std::string(line));
        continue;
      }
      enter(name, line);
      if (line[2] == 'H') {
        if (e.types.count(name)) e.errors.push_back("HELP after TYPE: " + name);
        if (!e.helps.insert(name).second) e.errors.push_back("second HELP: " + name);
      } else {
        std::string type(rest.substr(sp + 1));
        static const std::set<std::string> known{"counter", "gauge", "histogram", "summary",
                                                 "untyped"};
        if (!known.count(type)) e.errors.push_back("bad type: " + std::string(line));
        if (!e.types.emplace(name, type).second) e.errors.push_back("second TYPE: " + name);
      }
      continue;
    }
    if (line[0] == '#') continue;  // other comments are allowed
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    sample s;
    s.name = std::string(line.substr(0, i));
    if (!valid_metric_name(s.name)) {
      e.errors.push_back("bad name: " + std::string(line));
      continue;
    }
    if (i < line.size() && line[i] == '{' && !parse_labels(line, i, s.labels)) {
      e.errors.push_back("bad labels: " + std::string(line));
      continue;
    }
    if (i >= line.size() || line[i] != ' ') {
      e.errors.push_back("no value: " + std::string(line));
      continue;
    }
    auto v = parse_value(line.substr(i + 1));
    if (!v) {
      e.errors.push_back("bad value: " + std::string(line));
      continue;
    }
    s.value = *v;
    if (!e.types.count(s.name)) e.errors.push_back("sample before its TYPE: " + s.name);
    enter(s.name, line);
    e.samples.push_back(std::move(s));
  }
  for (const auto& [name, type] : e.types) {
    if (!e.helps.count(name)) e.errors.push_back("no HELP: " + name);
  }
  return e;
}

std::string error_list(const exposition& e) {
  std::string out;
  for (const auto& err : e.errors) out += err + "\n";
  return out;
}

}  // namespace

// ---- routing ----

TEST_CASE("http_handler: /health answers ok to GET and HEAD") {
  auto s = sample_status();
  for (auto method : {"GET", "HEAD"}) {
    auto r = handle_http(method, "/health", s);
    CHECK(r.status == 200);
    CHECK(r.body == "ok\n");
    CHECK(r.content_type == "text/plain; charset=utf-8");
  }
  // Health does not depend on readiness.
  s.ready = false;
  CHECK(handle_http("GET", "/health", s).status == 200);
}

TEST_CASE("http_handler: /ready is 200 once ready and 503 before") {
  auto s = sample_status();
  s.ready = true;
  auto r = handle_http("GET", "/ready", s);
  CHECK(r.status == 200);
  CHECK(r.body == "ready\n");
  s.ready = false;
  r = handle_http("GET", "/ready", s);
  CHECK(r.status == 503);
  CHECK(r.body == "not ready: no seed has answered a join yet\n");
  // With discovery, the body says why: the last error, else what it waits for.
  s.discovery.provider = "gce";
  CHECK(handle_http("GET", "/ready", s).body ==
        "not ready: waiting for the first gce discovery listing\n");
  s.discovery.last_error = "Compute API returned 403 (forbidden): Required 'compute.instances.list' "
                           "permission; the service account needs compute.instances.list";
  r = handle_http("GET", "/ready", s);
  CHECK(r.status == 503);
  CHECK(r.body == "not ready: discovery (gce) failed: " + s.discovery.last_error + "\n");
}

TEST_CASE("http_handler: methods other than GET and HEAD get 405") {
  auto s = sample_status();
  for (auto method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", ""}) {
    CAPTURE(method);
    auto r = handle_http(method, "/health", s);
    CHECK(r.status == 405);
    CHECK(r.body.find("GET") != std::string::npos);
    CHECK(r.body.find("HEAD") != std::string::npos);
  }
  // 405 wins over 404: the method is checked first.
  CHECK(handle_http("POST", "/nope", s).status == 405);
}

TEST_CASE("http_handler: unknown paths get 404") {
  auto s = sample_status();
  for (auto target :
       {"/", "/nope", "/health/", "/metricsx", "/v1/members/x", "/v1", "health", "", "/HEALTH"}) {
    CAPTURE(target);
    auto r = handle_http("GET", target, s);
    CHECK(r.status == 404);
    CHECK(r.body == "not found\n");
  }
}

TEST_CASE("http_handler: query strings are ignored") {
  auto s = sample_status();
  CHECK(handle_http("GET", "/health?verbose=1", s).body == "ok\n");
  CHECK(handle_http("GET", "/ready?", s).status == 200);
  auto m = handle_http("GET", "/metrics?x=1&y=2", s);
  CHECK(m.status == 200);
  CHECK(m.body == render_metrics(s));
  auto j = handle_http("GET", "/v1/members?pretty", s);
  CHECK(j.status == 200);
  CHECK(j.body == render_members_json(s));
  CHECK(handle_http("GET", "/nope?health", s).status == 404);
}

TEST_CASE("http_handler: content types of /metrics and /v1/members") {
  auto s = sample_status();
  CHECK(handle_http("GET", "/metrics", s).content_type ==
        "text/plain; version=0.0.4; charset=utf-8");
  CHECK(handle_http("GET", "/v1/members", s).content_type == "application/json");
}

// ---- /metrics ----

TEST_CASE("http_handler: /metrics parses as the text format, HELP and TYPE for every family") {
  auto s = sample_status();
  auto text = render_metrics(s);
  auto e = parse_exposition(text);
  CHECK_MESSAGE(e.errors.empty(), error_list(e));
  CHECK(!e.samples.empty());

  for (const auto& smp : e.samples) {
    CAPTURE(smp.name);
    CHECK(smp.name.starts_with("cachecluster_"));
    CHECK(e.helps.count(smp.name) == 1);
    REQUIRE(e.types.count(smp.name) == 1);
    if (e.types.at(smp.name) == "counter") CHECK(smp.name.ends_with("_total"));
  }

  // Every family the documentation lists, with its type.
  const std::map<std::string, std::string> expected{
      {"cachecluster_build_info", "gauge"},
      {"cachecluster_node_info", "gauge"},
      {"cachecluster_ready", "gauge"},
      {"cachecluster_local_mode", "gauge"},
      {"cachecluster_leaving", "gauge"},
      {"cachecluster_uptime_seconds", "gauge"},
      {"cachecluster_members_cache_down", "gauge"},
      {"cachecluster_members", "gauge"},
      {"cachecluster_health_score", "gauge"},
      {"cachecluster_member_flaps_total", "counter"},
      {"cachecluster_members_suppressed", "gauge"},
      {"cachecluster_members_grey", "gauge"},
      {"cachecluster_grey_holds_total", "counter"},
      {"cachecluster_probes_total", "counter"},
      {"cachecluster_probe_failures_total", "counter"},
      {"cachecluster_indirect_probes_total", "counter"},
      {"cachecluster_tcp_fallback_pings_total", "counter"},
      {"cachecluster_suspicions_raised_total", "counter"},
      {"cachecluster_refutations_total", "counter"},
      {"cachecluster_deaths_declared_total", "counter"},
      {"cachecluster_deaths_held_total", "counter"},
      {"cachecluster_deaths_refused_total", "counter"},
      {"cachecluster_suspicion_history_cleared_total", "counter"},
      {"cachecluster_deaths_by_refusal_total", "counter"},
      {"cachecluster_connections_refused_total", "counter"},
      {"cachecluster_suspicions_withheld_total", "counter"},
      {"cachecluster_accusations_discounted_total", "counter"},
      {"cachecluster_deaths_of_discounted_total", "counter"},
      {"cachecluster_suspicions_verified_total", "counter"},
      {"cachecluster_suspicions_passed_on_total", "counter"},
      {"cachecluster_accusations_ignored_total", "counter"},
      {"cachecluster_successor_watches_total", "counter"},
      {"cachecluster_refutations_sent_direct_total", "counter"},
      {"cachecluster_stale_accusations_answered_total", "counter"},
      {"cachecluster_accusations_in_acks_total", "counter"},
      {"cachecluster_conflicts_total", "counter"},
      {"cachecluster_ignored_pings_total", "counter"},
      {"cachecluster_push_pulls_total", "counter"},
      {"cachecluster_push_pull_failures_total", "counter"},
      {"cachecluster_joins_total", "counter"},
      {"cachecluster_repair_push_pulls_total", "counter"},
      {"cachecluster_incarnation_saturated_total", "counter"},
      {"cachecluster_top_accusations_ignored_total", "counter"},
      {"cachecluster_confirmations_ignored_total", "counter"},
      {"cachecluster_address_checks_total", "counter"},
      {"cachecluster_push_pull_new_members_refused_total", "counter"},
      {"cachecluster_members_refused_table_full_total", "counter"},
      {"cachecluster_gossip_packets_received_total", "counter"},
      {"cachecluster_gossip_packets_sent_total", "counter"},
      {"cachecluster_gossip_received_bytes_total", "counter"},
      {"cachecluster_gossip_sent_bytes_total", "counter"},
      {"cachecluster_streams_received_total", "counter"},
      {"cachecluster_streams_sent_total", "counter"},
      {"cachecluster_broadcasts_queued_total", "counter"},
      {"cachecluster_broadcast_queue_depth", "gauge"},
      {"cachecluster_broadcast_queue_class_depth", "gauge"},
      {"cachecluster_broadcasts_dropped_total", "counter"},
      {"cachecluster_dropped_packets_total", "counter"},
      {"cachecluster_inbound_streams_total", "counter"},
      {"cachecluster_inbound_streams_rejected_total", "counter"},
      {"cachecluster_stream_timeouts_total", "counter"},
      {"cachecluster_stream_connect_failures_total", "counter"},
      {"cachecluster_udp_send_errors_total", "counter"},
      {"cachecluster_icmp_port_unreachable_total", "counter"},
      {"cachecluster_icmp_errors_ignored_total", "counter"},
      {"cachecluster_dropped_stream_frames_total", "counter"},
      {"cachecluster_subscribers", "gauge"},
      {"cachecluster_subscribers_connected_total", "counter"},
      {"cachecluster_publishes_total", "counter"},
      {"cachecluster_snapshots_skipped_total", "counter"},
      {"cachecluster_snapshot_version", "gauge"},
      {"cachecluster_control_requests_total", "counter"},
      {"cachecluster_control_errors_total", "counter"},
      {"cachecluster_control_refused_total", "counter"},
      {"cachecluster_control_sessions", "gauge"},
      {"cachecluster_control_sessions_rejected_total", "counter"},
      {"cachecluster_serf_events_total", "counter"},
      {"cachecluster_serf_queries_total", "counter"},
      {"cachecluster_serf_queries_relayed_total", "counter"},
      {"cachecluster_serf_duplicates_total", "counter"},
      {"cachecluster_serf_too_old_total", "counter"},
      {"cachecluster_serf_queries_filtered_total", "counter"},
      {"cachecluster_serf_query_acks_sent_total", "counter"},
      {"cachecluster_serf_key_responses_sent_total", "counter"},
      {"cachecluster_serf_key_changes_total", "counter"},
      {"cachecluster_serf_response_relays_sent_total", "counter"},
      {"cachecluster_serf_relays_forwarded_total", "counter"},
      {"cachecluster_serf_key_queries_issued_total", "counter"},
      {"cachecluster_serf_key_responses_received_total", "counter"},
      {"cachecluster_serf_malformed_total", "counter"},
      {"cachecluster_hook_runs_total", "counter"},
      {"cachecluster_hook_coalesced_total", "counter"},
  };
  CHECK(e.types == expected);
}

TEST_CASE("http_handler: /metrics values come from the right fields") {
  auto s = sample_status();
  auto e = parse_exposition(render_metrics(s));
  REQUIRE_MESSAGE(e.errors.empty(), error_list(e));

  const std::vector<std::pair<std::string, double>> scalar{
      {"cachecluster_ready", 1},
      {"cachecluster_local_mode", 0},
      {"cachecluster_leaving", 0},
      {"cachecluster_uptime_seconds", 12.5},
      {"cachecluster_health_score", 2},
      {"cachecluster_member_flaps_total", 401},
      {"cachecluster_members_suppressed", 2},
      {"cachecluster_members_grey", 1},
      {"cachecluster_grey_holds_total", 7},
      {"cachecluster_gossip_packets_received_total", 101},
      {"cachecluster_gossip_packets_sent_total", 102},
      {"cachecluster_gossip_received_bytes_total", 103},
      {"cachecluster_gossip_sent_bytes_total", 104},
      {"cachecluster_streams_received_total", 105},
      {"cachecluster_streams_sent_total", 106},
      {"cachecluster_probes_total", 107},
      {"cachecluster_probe_failures_total", 108},
      {"cachecluster_indirect_probes_total", 109},
      {"cachecluster_tcp_fallback_pings_total", 110},
      {"cachecluster_suspicions_raised_total", 111},
      {"cachecluster_refutations_total", 112},
      {"cachecluster_deaths_declared_total", 113},
      {"cachecluster_push_pulls_total", 114},
      {"cachecluster_joins_total", 115},
      {"cachecluster_push_pull_failures_total", 116},
      {"cachecluster_broadcasts_queued_total", 117},
      {"cachecluster_conflicts_total", 118},
      {"cachecluster_ignored_pings_total", 119},
      {"cachecluster_incarnation_saturated_total", 120},
      {"cachecluster_top_accusations_ignored_total", 121},
      {"cachecluster_confirmations_ignored_total", 122},
      {"cachecluster_address_checks_total", 123},
      {"cachecluster_push_pull_new_members_refused_total", 124},
      {"cachecluster_members_refused_table_full_total", 125},
      {"cachecluster_repair_push_pulls_total", 126},
      {"cachecluster_broadcast_queue_depth", 3},
      {"cachecluster_inbound_streams_total", 201},
      {"cachecluster_inbound_streams_rejected_total", 202},
      {"cachecluster_stream_timeouts_total", 203},
      {"cachecluster_stream_connect_failures_total", 204},
      {"cachecluster_udp_send_errors_total", 205},
      {"cachecluster_publishes_total", 301},
      {"cachecluster_subscribers", 4},
      {"cachecluster_subscribers_connected_total", 302},
      {"cachecluster_snapshots_skipped_total", 303},
      {"cachecluster_control_requests_total", 304},
      {"cachecluster_control_errors_total", 305},
      {"cachecluster_control_refused_total", 306},
      {"cachecluster_control_sessions", 5},
      {"cachecluster_control_sessions_rejected_total", 307},
      {"cachecluster_serf_events_total", 501},
      {"cachecluster_serf_queries_total", 502},
      {"cachecluster_serf_queries_relayed_total", 503},
      {"cachecluster_serf_duplicates_total", 504},
      {"cachecluster_serf_too_old_total", 505},
      {"cachecluster_serf_queries_filtered_total", 506},
      {"cachecluster_serf_query_acks_sent_total", 507},
      {"cachecluster_serf_key_responses_sent_total", 508},
      {"cachecluster_serf_key_changes_total", 509},
      {"cachecluster_serf_response_relays_sent_total", 510},
      {"cachecluster_serf_relays_forwarded_total", 511},
      {"cachecluster_serf_key_queries_issued_total", 512},
      {"cachecluster_serf_key_responses_received_total", 513},
      {"cachecluster_serf_malformed_total", 514},
      {"cachecluster_snapshot_version", 42},
  };
  for (const auto& [name, want] : scalar) {
    CAPTURE(name);
    auto got = e.value(name);
    REQUIRE(got);
    CHECK(*got == doctest::Approx(want));
  }

  CHECK(e.value("cachecluster_build_info", {{"version", "1.2.3"}}) == 1.0);
  CHECK(e.value("cachecluster_node_info", {{"node", "cache-1"}}) == 1.0);

  s.ready = false;
  s.local_mode = true;
  s.leaving = true;
  auto e2 = parse_exposition(render_metrics(s));
  CHECK(e2.value("cachecluster_ready") == 0.0);
  CHECK(e2.value("cachecluster_local_mode") == 1.0);
  CHECK(e2.value("cachecluster_leaving") == 1.0);
}

TEST_CASE("http_handler: members by state count every state, self included") {
  auto s = sample_status();
  auto e = parse_exposition(render_metrics(s));
  CHECK(e.value("cachecluster_members", {{"state", "alive"}}) == 3.0);
  CHECK(e.value("cachecluster_broadcast_queue_class_depth", {{"class", "membership"}}) == 2.0);
  CHECK(e.value("cachecluster_broadcast_queue_class_depth", {{"class", "user"}}) == 1.0);
  CHECK(e.value("cachecluster_broadcasts_dropped_total", {{"class", "membership"}}) == 5.0);
  CHECK(e.value("cachecluster_broadcasts_dropped_total", {{"class", "user"}}) == 6.0);
  CHECK(e.value("cachecluster_members", {{"state", "suspect"}}) == 1.0);
  CHECK(e.value("cachecluster_members", {{"state", "dead"}}) == 1.0);
  CHECK(e.value("cachecluster_members", {{"state", "left"}}) == 1.0);

  // Absent states still have a series (at 0), so dashboards need no `or vector(0)`.
  s.members.resize(1);
  auto e2 = parse_exposition(render_metrics(s));
  CHECK(e2.value("cachecluster_members", {{"state", "alive"}}) == 0.0);  // cache-3 is suspect
  CHECK(e2.value("cachecluster_members", {{"state", "suspect"}}) == 1.0);
  CHECK(e2.value("cachecluster_members", {{"state", "dead"}}) == 0.0);
  CHECK(e2.value("cachecluster_members", {{"state", "left"}}) == 0.0);
}

TEST_CASE("http_handler: drop reasons, one series per wire::error except ok") {
  auto s = sample_status();
  auto e = parse_exposition(render_metrics(s));
  REQUIRE_MESSAGE(e.errors.empty(), error_list(e));

  std::size_t packet_series = 0, frame_series = 0;
  for (const auto& smp : e.samples) {
    if (smp.name == "cachecluster_dropped_packets_total") ++packet_series;
    if (smp.name == "cachecluster_dropped_stream_frames_total") ++frame_series;
  }
  const std::size_t reasons = static_cast<std::size_t>(swim::wire::error::count_) - 1;
  CHECK(packet_series == reasons);
  CHECK(frame_series == reasons);

  for (std::size_t i = 1; i < static_cast<std::size_t>(swim::wire::error::count_); ++i) {
    std::string reason(swim::wire::to_string(static_cast<swim::wire::error>(i)));
    CAPTURE(reason);
    auto pk = e.value("cachecluster_dropped_packets_total", {{"reason", reason}});
    auto fr = e.value("cachecluster_dropped_stream_frames_total", {{"reason", reason}});
    REQUIRE(pk);
    REQUIRE(fr);
    CHECK(*pk == static_cast<double>(s.node.drops[i]));
    CHECK(*fr == static_cast<double>(s.driver.stream_drops[i]));
  }
  CHECK(e.value("cachecluster_dropped_packets_total", {{"reason", "bad_crc"}}) == 7.0);
  CHECK(e.value("cachecluster_dropped_packets_total", {{"reason", "truncated"}}) == 3.0);
  CHECK(e.value("cachecluster_dropped_stream_frames_total", {{"reason", "too_large"}}) == 2.0);
  CHECK(!e.value("cachecluster_dropped_packets_total", {{"reason", "ok"}}));
}

TEST_CASE("http_handler: label values are escaped (quote, backslash, line feed)") {
  auto s = sample_status();
  s.node_name = "we\"ird\\node\nname";
  s.version = "1.0 \"beta\"";
  auto text = render_metrics(s);
  CHECK(text.find(R"(cachecluster_node_info{node="we\"ird\\node\nname"} 1)") != std::string::npos);
  auto e = parse_exposition(text);
  CHECK_MESSAGE(e.errors.empty(), error_list(e));
  CHECK(e.value("cachecluster_node_info", {{"node", s.node_name}}) == 1.0);
  CHECK(e.value("cachecluster_build_info", {{"version", s.version}}) == 1.0);
}

TEST_CASE("http_handler: the checker rejects what the format forbids") {
  // Guard the guard: a checker that accepts anything proves nothing.
  CHECK(parse_exposition("# HELP a x\n# TYPE a gauge\na 1\n").errors.empty());
  CHECK(!parse_exposition("a 1\n").errors.empty());                  // no TYPE
  CHECK(!parse_exposition("# TYPE a gauge\na 1\n").errors.empty());  // no HELP
  CHECK(!parse_exposition("# HELP a x\n# TYPE a gauge\na{b=\"c} 1\n").errors.empty());
  CHECK(!parse_exposition("# HELP a x\n# TYPE a gauge\na one\n").errors.empty());
  CHECK(!parse_exposition("# HELP 1a x\n# TYPE 1a gauge\n1a 1\n").errors.empty());
  CHECK(!parse_exposition("# HELP a x\n# TYPE a gauge\na 1").errors.empty());  // no final LF
  CHECK(!parse_exposition("# HELP a x\n# TYPE a gauge\na 1\n# HELP b y\n# TYPE b gauge\nb 1\na 2\n")
             .errors.empty());  // family split
}

// ---- /v1/members ----

TEST_CASE("http_handler: /v1/members lists every member sorted by name") {
  auto s = sample_status();
  auto body = render_members_json(s);
  CHECK(body.find("\"node\":\"cache-1\"") != std::string::npos);
  std::size_t last = 0;
  for (auto name : {"cache-0", "cache-1", "cache-2", "cache-3", "cache-4", "cache-5"}) {
    CAPTURE(name);
    auto at = body.find("\"name\":\"" + std::string(name) + "\"");
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  CHECK(body.back() == '\n');
}

TEST_CASE("http_handler: /v1/members fields of one member") {
  agent::status s;
  s.node_name = "a";
  s.members = {make_member("a", swim::address::v4(192, 168, 1, 20, 7947),
                           swim::member_state::suspect, 17, swim::encode_tags({{"role", "web"}}))};
  auto body = render_members_json(s);
  CHECK(body.find("\"address\":\"192.168.1.20\"") != std::string::npos);
  CHECK(body.find("\"port\":7947") != std::string::npos);
  CHECK(body.find("\"state\":\"suspect\"") != std::string::npos);
  CHECK(body.find("\"incarnation\":17") != std::string::npos);
  CHECK(body.find("\"role\":\"web\"") != std::string::npos);
  // protocol: [PMin, PMax, PCur, DMin, DMax, DCur].
  CHECK(body.find("\"protocol\":[1,5,2,2,5,4]") != std::string::npos);
  // The whole document, keys in the documented order.
  CHECK(body ==
        R"({"node":"a","members":[{"name":"a","address":"192.168.1.20","port":7947,)"
        R"("state":"suspect","incarnation":17,"tags":{"role":"web"},"protocol":[1,5,2,2,5,4],)"
        R"("flaps":0,"suppressed":false,"grey":false}]})"
        "\n");
}

TEST_CASE("http_handler: /v1/members carries each member's flap count and suppressed flag") {
  auto s = sample_status();
  auto d = to_members_document(s);
  REQUIRE(d.members.size() == 6);
  CHECK(d.members[4].name == "cache-4");
  CHECK(d.members[4].flaps == 3);
  CHECK(d.members[4].suppressed);
  CHECK(d.members[2].flaps == 1);
  CHECK_FALSE(d.members[2].suppressed);
  CHECK(d.members[0].flaps == 0);  // never flapped: no record
  CHECK_FALSE(d.members[0].suppressed);
  CHECK_FALSE(d.members[4].grey);
  CHECK(d.members[3].name == "cache-3");  // held as grey without a single failure
  CHECK(d.members[3].suppressed);
  CHECK(d.members[3].grey);
  auto body = render_members_json(s);
  CHECK(body.find(R"("name":"cache-4")") < body.find(R"("flaps":3,"suppressed":true)"));
}

TEST_CASE("http_handler: /v1/members IPv6 address and legacy role meta") {
  agent::status s;
  s.node_name = "v6";
  auto addr = swim::address::parse("[2001:db8::7]:7946", 7946);
  REQUIRE(addr);
  // Serf's legacy form: meta without the 0xFF magic is the role itself.
  s.members = {make_member("v6", *addr, swim::member_state::alive, 1,
                           swim::bytes{'w', 'o', 'r', 'k', 'e', 'r'})};
  auto body = render_members_json(s);
  CHECK(body.find("\"address\":\"2001:db8::7\"") != std::string::npos);
  CHECK(body.find("\"role\":\"worker\"") != std::string::npos);
}

TEST_CASE("http_handler: /v1/members escapes tag values and survives invalid meta") {
  agent::status s;
  s.node_name = "n";
  s.members = {
      make_member("n", swim::address::v4(10, 0, 0, 1, 7946), swim::member_state::alive, 1,
                  swim::encode_tags({{"note", "say \"hi\"\\path\nnext"}})),
      // Tag magic followed by garbage: no tags rather than an error.
      make_member("o", swim::address::v4(10, 0, 0, 2, 7946), swim::member_state::alive, 1,
                  swim::bytes{0xff, 0xc1}),
      // A name that is not UTF-8 still yields a document.
      make_member("p\xff", swim::address::v4(10, 0, 0, 3, 7946), swim::member_state::alive, 1),
  };
  std::string body;
  REQUIRE_NOTHROW(body = render_members_json(s));
  CHECK(body.find(R"("note":"say \"hi\"\\path\nnext")") != std::string::npos);
  CHECK(body.find("\"tags\":{}") != std::string::npos);
  CHECK(body.find("\"name\":\"p\xef\xbf\xbd\"") != std::string::npos);  // U+FFFD
}

TEST_CASE("http_handler: /v1/members with no members") {
  agent::status s;
  s.node_name = "lonely";
  auto body = render_members_json(s);
  CHECK(body.find("\"members\":[]") != std::string::npos);
}

TEST_CASE("http_handler: the members document holds every member, sorted, no swim types") {
  auto s = sample_status();
  auto d = to_members_document(s);
  CHECK(d.node == "cache-1");
  REQUIRE(d.members.size() == 6);
  std::vector<std::string> names;
  for (const auto& m : d.members) names.push_back(m.name);
  CHECK(names == std::vector<std::string>{"cache-0", "cache-1", "cache-2", "cache-3", "cache-4",
                                          "cache-5"});
  const auto& one = d.members[1];
  CHECK(one.address == "10.0.0.1");
  CHECK(one.port == 7946);
  CHECK(one.state == "alive");
  CHECK(one.incarnation == 1);
  CHECK(one.tags ==
        std::map<std::string, std::string>{{"role", "cache"}, {"zone", "us-central1-a"}});
  CHECK(one.protocol == std::vector<std::uint8_t>{1, 5, 2, 2, 5, 4});
  CHECK(d.members[2].port == 7947);
  CHECK(d.members[3].state == "suspect");
  CHECK(d.members[4].state == "dead");
  CHECK(d.members[5].state == "left");
  CHECK(d.members[5].incarnation == 7);
  // Serf's legacy reading of meta without the tag header: all of it is the role, here "".
  CHECK(d.members[5].tags == std::map<std::string, std::string>{{"role", ""}});
}

TEST_CASE("http_handler: /v1/members is peerlib's members line, and it decodes back") {
  auto s = sample_status();
  auto body = render_members_json(s);
  REQUIRE(body.size() > 1);
  CHECK(body == peerlib::protocol::encode_members(to_members_document(s)) + "\n");
  // The socket's members reply is the body without its newline: one line that peerlib reads.
  std::string line = body.substr(0, body.size() - 1);
  CHECK(line.find('\n') == std::string::npos);
  std::string err;
  auto back = peerlib::protocol::decode_members(line, &err);
  REQUIRE_MESSAGE(back, err);
  CHECK(*back == to_members_document(s));
}

TEST_CASE("http_handler: the members document of IPv6 members and undecodable meta") {
  agent::status s;
  s.node_name = "v6";
  auto addr = swim::address::parse("[2001:db8::7]:7000", 7946);
  REQUIRE(addr);
  s.members = {make_member("v6", *addr, swim::member_state::alive, 2, swim::bytes{0xff, 0xc1})};
  auto d = to_members_document(s);
  REQUIRE(d.members.size() == 1);
  CHECK(d.members[0].address == "2001:db8::7");  // no brackets: the port is its own key
  CHECK(d.members[0].port == 7000);
  CHECK(d.members[0].tags.empty());
}
