#include "agent/cli.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>
#include <utility>
#include <variant>

#include "peerlib/protocol.hpp"
#include "peerlib/request.hpp"

namespace agent::cli {
namespace {

/// The agent answers members at once; join and leave last as long as its own timeouts
/// ([cluster] leave_timeout, the TCP timeout), so those wait without limit.
constexpr std::chrono::milliseconds members_timeout = std::chrono::seconds(30);

int no_agent(const std::string& socket, const std::string& why, std::ostream& err) {
  err << "cachecluster: cannot reach the agent at " << socket << ": " << why
      << " (is `cachecluster agent` running? --socket picks another path)\n";
  return 1;
}

/// Report a request that got no usable reply; the exit status.
int report_failure(const std::string& socket, const peerlib::request_outcome& r,
                   std::ostream& err) {
  switch (r.status) {
    case peerlib::request_status::unreachable:
      return no_agent(socket, r.error, err);
    case peerlib::request_status::bad_reply:
      err << "cachecluster: unexpected reply (" << r.error << "): " << r.line << "\n";
      return 1;
    default:
      err << "cachecluster: " << r.error << "\n";
      return 1;
  }
}

/// Send one request; the reply, or nullopt after reporting why there is none (and an
/// error line from the agent) with the exit status in `rc`.
std::optional<peerlib::reply> ask(const std::string& socket, const peerlib::request& req,
                                  std::chrono::milliseconds timeout, std::ostream& err, int& rc) {
  auto r = peerlib::send_request(socket, req, timeout);
  if (!r) {
    rc = report_failure(socket, r, err);
    return std::nullopt;
  }
  if (auto* e = std::get_if<peerlib::error_reply>(&*r.answer)) {
    err << "cachecluster: " << e->message << "\n";
    rc = 1;
    return std::nullopt;
  }
  return std::move(r.answer);
}

/// Print a join or leave result: the message on `out` (0) or on `err` (1).
int print_result(const std::optional<peerlib::reply>& reply, int rc, std::ostream& out,
                 std::ostream& err) {
  if (!reply) return rc;
  const auto& r = std::get<peerlib::result>(*reply);
  if (r.ok) {
    out << r.message << "\n";
    return 0;
  }
  err << "cachecluster: " << r.message << "\n";
  return 1;
}

/// The members of `doc` in state `status` (all of them without one).
peerlib::members_document filtered(peerlib::members_document doc,
                                   const std::optional<std::string>& status) {
  if (status)
    doc.members.erase(std::remove_if(doc.members.begin(), doc.members.end(),
                                     [&](const peerlib::member& m) { return m.state != *status; }),
                      doc.members.end());
  return doc;
}

}  // namespace

std::string format_members(const peerlib::members_document& doc,
                           const std::optional<std::string>& status) {
  std::vector<std::array<std::string, 4>> rows;
  for (const auto& m : filtered(doc, status).members) {
    std::string addr = m.address;
    if (addr.find(':') != std::string::npos) addr = "[" + addr + "]";
    addr += ":" + std::to_string(m.port);
    std::string tags;
    for (const auto& [k, v] : m.tags) tags += (tags.empty() ? "" : ",") + k + "=" + v;
    rows.push_back({m.name, addr, m.state, tags});
  }
  std::array<std::size_t, 3> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < 3; ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < 3; ++i) out += r[i] + std::string(width[i] - r[i].size() + 2, ' ');
    out += r[3];
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  return out;
}

std::string format_members(const std::string& members_json,
                           const std::optional<std::string>& status, std::string* error) {
  std::string why;
  auto doc = peerlib::protocol::decode_members(members_json, &why);
  if (!doc) {
    if (error) *error = "unexpected members document: " + why;
    return {};
  }
  return format_members(*doc, status);
}

std::string format_members_json(const peerlib::members_document& doc,
                                const std::optional<std::string>& status) {
  // Indented with keys sorted, for people and scripts; the agent's line is compact.
  auto j = nlohmann::json::parse(peerlib::protocol::encode_members(filtered(doc, status)));
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

int members(const std::string& socket, bool as_json, const std::optional<std::string>& status,
            std::ostream& out, std::ostream& err) {
  int rc = 0;
  auto reply = ask(socket, {peerlib::request_op::members}, members_timeout, err, rc);
  if (!reply) return rc;
  const auto& doc = std::get<peerlib::members_document>(*reply);
  out << (as_json ? format_members_json(doc, status) : format_members(doc, status));
  return 0;
}

int watch(const std::string& socket, std::ostream& out, std::ostream& err) {
  // Every line as the agent sent it, flushed at once for pipes.
  auto r = peerlib::send_request(socket, {peerlib::request_op::subscribe}, peerlib::no_timeout,
                                 [&out](const peerlib::reply&, std::string_view line) {
                                   out << line << std::endl;
                                   return true;
                                 });
  if (r.status == peerlib::request_status::closed) {
    err << "cachecluster: the agent closed the connection\n";
    return 0;
  }
  return report_failure(socket, r, err);
}

int join(const std::string& socket, const std::vector<std::string>& addresses, std::ostream& out,
         std::ostream& err) {
  int rc = 0;
  auto reply = ask(socket, {peerlib::request_op::join, addresses}, peerlib::no_timeout, err, rc);
  return print_result(reply, rc, out, err);
}

int leave(const std::string& socket, std::ostream& out, std::ostream& err) {
  int rc = 0;
  auto reply = ask(socket, {peerlib::request_op::leave}, peerlib::no_timeout, err, rc);
  return print_result(reply, rc, out, err);
}

}  // namespace agent::cli
