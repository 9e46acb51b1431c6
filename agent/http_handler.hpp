#pragma once
// The HTTP endpoint's logic as a pure function (like Asio's request_handler):
// method and target in, status and body out. http_server does the sockets.
//
//   GET /health      200 "ok" while the agent runs
//   GET /ready       200 once join or discovery completed, else 503
//   GET /metrics     Prometheus text format 0.0.4
//   GET /v1/members  JSON: every known member

#include <string>
#include <string_view>

#include "agent/metrics.hpp"
#include "agent/status.hpp"
#include "peerlib/protocol.hpp"

namespace agent {

/// A response ready to send.
struct http_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

/// Answer one request. Unknown paths give 404, other methods than GET/HEAD give 405.
http_response handle_http(std::string_view method, std::string_view target, const status& s);

/// The members document of `s`: every member sorted by name, tags decoded from meta.
peerlib::members_document to_members_document(const status& s);

/// GET /v1/members: protocol::encode_members(to_members_document(s)) and a newline. The
/// socket's members reply is the same line without the newline (docs/http.md, docs/protocol.md).
std::string render_members_json(const status& s);

}  // namespace agent
