// The HTTP endpoint's answers. Everything here is a pure function of a status
// snapshot, so it is tested without sockets; http_server only moves bytes.
// /metrics is rendered by agent/metrics.cpp.

#include "agent/http_handler.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/discovery_metrics.hpp"
#include "agent/metrics.hpp"
#include "swim/member.hpp"
#include "swim/tags.hpp"

namespace agent {
namespace {

constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view json_content_type = "application/json";

// Strip the query: `/metrics?x=1` is `/metrics`. A fragment never reaches a
// server, but a sloppy client might send one.
std::string_view path_of(std::string_view target) {
  auto end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

http_response text(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

http_response handle_http(std::string_view method, std::string_view target, const status& s) {
  // Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET.
  if (method != "GET" && method != "HEAD") {
    return text(405, "method not allowed: use GET or HEAD\n");
  }
  auto path = path_of(target);
  if (path == "/health") return text(200, "ok\n");
  if (path == "/ready")
    return s.ready ? text(200, "ready\n") : text(503, "not ready: " + not_ready_reason(s.discovery) + "\n");
  if (path == "/metrics") {
    http_response r = text(200, render_metrics(s));
    r.content_type = metrics_content_type;
    return r;
  }
  if (path == "/v1/members") {
    http_response r = text(200, render_members_json(s));
    r.content_type = json_content_type;
    return r;
  }
  return text(404, "not found\n");
}

peerlib::members_document to_members_document(const status& s) {
  std::vector<const swim::member*> sorted;
  sorted.reserve(s.members.size());
  for (const auto& mem : s.members) sorted.push_back(&mem);
  std::sort(sorted.begin(), sorted.end(),
            [](const swim::member* x, const swim::member* y) { return x->name < y->name; });

  peerlib::members_document doc;
  doc.node = s.node_name;
  doc.members.reserve(sorted.size());
  for (const auto* mem : sorted) {
    peerlib::member m;
    m.name = mem->name;
    m.address = mem->addr.ip_string();
    m.port = mem->addr.port;
    m.state = swim::to_string(mem->state);
    m.incarnation = mem->incarnation;
    // Invalid msgpack after the tag magic byte: show no tags rather than fail the page.
    if (auto decoded = swim::decode_tags(mem->meta)) m.tags = std::move(*decoded);
    m.protocol.assign(mem->vsn.begin(), mem->vsn.end());
    if (auto it = s.flaps.find(mem->name); it != s.flaps.end()) {
      m.flaps = it->second.flaps;
      m.suppressed = it->second.suppressed;
      m.grey = it->second.grey;
    }
    doc.members.push_back(std::move(m));
  }
  return doc;
}

std::string render_members_json(const status& s) {
  // One encoder for HTTP and the socket; it replaces bytes that are not UTF-8 (names and
  // tags come off the network) with U+FFFD instead of throwing.
  return peerlib::protocol::encode_members(to_members_document(s)) + "\n";
}

}  // namespace agent
