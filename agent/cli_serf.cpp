#include "agent/cli_serf.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>
#include <variant>

#include "peerlib/request.hpp"

namespace agent::cli {
namespace {

constexpr std::chrono::milliseconds quick_timeout = std::chrono::seconds(30);

/// Print why a request got no usable reply; the exit status.
int failed(const std::string& socket, const peerlib::request_outcome& r, std::ostream& err) {
  if (r.status == peerlib::request_status::unreachable) {
    err << "cachecluster: cannot reach the agent at " << socket << ": " << r.error
        << " (is `cachecluster agent` running? --socket or CACHECLUSTER_SOCKET picks another "
           "path)\n";
  } else if (r.answer && std::holds_alternative<peerlib::error_reply>(*r.answer)) {
    err << "cachecluster: " << std::get<peerlib::error_reply>(*r.answer).message << "\n";
  } else {
    err << "cachecluster: " << (r.error.empty() ? to_string(r.status) : r.error) << "\n";
  }
  return 1;
}

}  // namespace

std::string format_info(const peerlib::info_reply& i) {
  std::string out;
  for (const auto& [section, values] : i.sections) {
    out += section + ":\n";
    for (const auto& [k, v] : values) out += "\t" + k + " = " + v + "\n";
  }
  return out;
}

std::string format_log(const peerlib::log_line& l) {
  return (l.time.empty() ? "" : l.time + " ") + "[" + l.severity + "] " + l.message;
}

int force_leave(const std::string& socket, const std::string& node, std::ostream& out,
                std::ostream& err) {
  peerlib::request req(peerlib::request_op::force_leave);
  req.node = node;
  auto r = peerlib::send_request(socket, req, quick_timeout);
  if (!r || !std::holds_alternative<peerlib::result>(*r.answer)) return failed(socket, r, err);
  const auto& res = std::get<peerlib::result>(*r.answer);
  (res.ok ? out : err) << (res.ok ? "" : "cachecluster: ") << res.message << "\n";
  return res.ok ? 0 : 1;
}

int info(const std::string& socket, bool json, std::ostream& out, std::ostream& err) {
  auto r = peerlib::send_request(socket, {peerlib::request_op::info}, quick_timeout);
  if (!r || !std::holds_alternative<peerlib::info_reply>(*r.answer)) return failed(socket, r, err);
  const auto& i = std::get<peerlib::info_reply>(*r.answer);
  if (json) {
    out << nlohmann::json::parse(peerlib::protocol::encode_info(i)).dump(2) << "\n";
  } else {
    out << format_info(i);
  }
  return 0;
}

int monitor(const std::string& socket, const std::string& level, std::ostream& out,
            std::ostream& err) {
  peerlib::request req(peerlib::request_op::monitor);
  req.log_level = level;
  bool refused = false;
  auto r = peerlib::send_request(socket, req, peerlib::no_timeout,
                                 [&](const peerlib::reply& reply, std::string_view) {
                                   if (const auto* l = std::get_if<peerlib::log_line>(&reply)) {
                                     out << format_log(*l) << std::endl;  // flushed, for pipes
                                     return static_cast<bool>(out);
                                   }
                                   refused = true;  // an error line ends the exchange
                                   return false;
                                 });
  if (refused || r.status != peerlib::request_status::closed) {
    if (r.status == peerlib::request_status::ok && !refused) return 1;  // output failed
    return failed(socket, r, err);
  }
  err << "cachecluster: the agent closed the connection (stopped or restarted?)\n";
  return 1;
}

}  // namespace agent::cli
