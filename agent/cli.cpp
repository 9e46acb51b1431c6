#include "agent/cli.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <regex>
#include <sstream>
#include <utility>
#include <variant>

#include "agent/config_schema.hpp"
#include "agent/ini.hpp"
#include "peerlib/protocol.hpp"
#include "peerlib/request.hpp"

namespace agent::cli {
namespace {

/// The agent answers members at once; join and leave last as long as its own timeouts
/// ([cluster] leave_timeout, the TCP timeout), so those wait without limit.
constexpr std::chrono::milliseconds members_timeout = std::chrono::seconds(30);

int no_agent(const std::string& socket, const std::string& why, std::ostream& err) {
  err << "cachecluster: cannot reach the agent at " << socket << ": " << why
      << " (is `cachecluster agent` running? --socket or CACHECLUSTER_SOCKET picks another "
         "path)\n";
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

/// `pattern` anchored at both ends, as Serf compiles its member filters ("^" + p + "$").
std::optional<std::regex> whole_match(const std::string& pattern, const std::string& what,
                                      std::string* error) {
  try {
    return std::regex("^(?:" + pattern + ")$", std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    if (error) *error = what + " " + pattern + ": not a regular expression (" + e.what() + ")";
    return std::nullopt;
  }
}

}  // namespace

std::string find_socket(const std::optional<std::string>& flag, const char* env,
                        const std::filesystem::path& config, std::ostream& err) {
  if (flag) return *flag;
  if (env != nullptr && *env != '\0') return env;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(config, ec)) return default_socket;
  std::ifstream in(config, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    err << "note: cannot read " << config.string() << "; using " << default_socket << "\n";
    return default_socket;
  }
  try {
    // Only [publish] socket matters here: the rest of the file is the agent's business.
    auto ini = ini_file::parse(text.str(), config.string(), case_sensitive_sections);
    if (auto v = ini.get("publish", "socket"); v && !v->empty()) return *v;
  } catch (const ini_error& e) {
    err << "note: " << e.what() << "; using " << default_socket << "\n";
  }
  return default_socket;
}

std::optional<peerlib::members_document> filter_members(peerlib::members_document doc,
                                                        const member_filter& f,
                                                        std::string* error) {
  std::optional<std::regex> name;
  if (!f.name.empty() && !(name = whole_match(f.name, "--name", error))) return std::nullopt;
  std::vector<std::pair<std::string, std::regex>> tags;
  for (const auto& t : f.tags) {
    const auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      if (error) *error = "--tag " + t + ": must be KEY=VALUE (VALUE a regular expression)";
      return std::nullopt;
    }
    auto re = whole_match(t.substr(eq + 1), "--tag " + t.substr(0, eq) + "=", error);
    if (!re) return std::nullopt;
    tags.emplace_back(t.substr(0, eq), std::move(*re));
  }
  auto keep = [&](const peerlib::member& m) {
    if (f.status && m.state != *f.status) return false;
    if (name && !std::regex_match(m.name, *name)) return false;
    for (const auto& [key, re] : tags) {
      auto it = m.tags.find(key);
      if (it == m.tags.end() || !std::regex_match(it->second, re)) return false;
    }
    return true;
  };
  doc.members.erase(std::remove_if(doc.members.begin(), doc.members.end(),
                                   [&](const peerlib::member& m) { return !keep(m); }),
                    doc.members.end());
  return doc;
}

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

int members(const std::string& socket, bool as_json, const member_filter& f, std::ostream& out,
            std::ostream& err) {
  std::string why;
  if (!filter_members({}, f, &why)) {  // a bad filter fails before the agent is asked
    err << "cachecluster members: " << why << "\n";
    return 2;
  }
  int rc = 0;
  auto reply = ask(socket, {peerlib::request_op::members}, members_timeout, err, rc);
  if (!reply) return rc;
  const auto doc = filter_members(std::get<peerlib::members_document>(*reply), f, nullptr);
  out << (as_json ? format_members_json(*doc, std::nullopt) : format_members(*doc, std::nullopt));
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
    err << "cachecluster: the agent closed the connection (stopped or restarted?)\n";
    return 1;
  }
  return report_failure(socket, r, err);
}

int join(const std::string& socket, const std::vector<std::string>& addresses, std::ostream& out,
         std::ostream& err) {
  int rc = 0;
  auto reply = ask(socket, {peerlib::request_op::join, addresses}, peerlib::no_timeout, err, rc);
  return print_result(reply, rc, out, err);
}

int print_keys(const peerlib::keys_result& r, std::ostream& out, std::ostream& err) {
  using peerlib::keys_action;
  // serf's command/keys.go: "==> " progress lines, then "failed: | node | message" rows.
  static const char* const doing[] = {"Asking all members for installed keys...",
                                      "Installing key on all members...",
                                      "Changing primary key on all members...",
                                      "Removing key on all members..."};
  static const char* const done[] = {"Keys gathered, listing cluster keys...",
                                     "Successfully installed key!",
                                     "Successfully changed primary key!",
                                     "Successfully removed key!"};
  static const char* const failed[] = {"Failed to gather member keys", "Error installing key",
                                       "Error changing primary key", "Error removing key"};
  const auto i = static_cast<std::size_t>(r.action);
  out << "==> " << doing[i] << "\n";
  if (r.members > 0 || r.responses > 0)
    out << "==> " << r.responses << "/" << r.members << " members answered\n";
  if (!r.notes.empty())
    for (const auto& [node, note] : r.notes) out << "note: " << node << ": " << note << "\n";
  if (r.action == keys_action::list && !r.keys.empty()) {
    if (r.ok) out << "==> " << done[i] << "\n";
    out << "\n";
    std::size_t width = 0;
    for (const auto& [key, n] : r.keys) width = std::max(width, key.size());
    for (const auto& [key, n] : r.keys) {
      out << key << std::string(width - key.size() + 2, ' ') << "[" << n << "/" << r.members << "]";
      auto p = r.primary_keys.find(key);
      if (p != r.primary_keys.end()) out << "  primary on " << p->second;
      out << "\n";
    }
  } else if (r.ok) {
    out << "==> " << done[i] << "\n";
  }
  if (r.ok) return 0;
  std::size_t width = 0;
  for (const auto& [node, why] : r.failures) width = std::max(width, node.size());
  for (const auto& [node, why] : r.failures)
    err << "failed: " << node << std::string(width - node.size() + 2, ' ') << why << "\n";
  if (!r.failures.empty()) err << "\n";
  err << failed[i] << ": " << r.message << "\n";
  return 1;
}

int keys(const std::string& socket, peerlib::keys_action action, const std::string& key,
         std::optional<std::chrono::milliseconds> timeout, std::ostream& out, std::ostream& err) {
  int rc = 0;
  std::optional<std::uint64_t> ms;
  if (timeout) ms = static_cast<std::uint64_t>(std::max<std::int64_t>(timeout->count(), 1));
  // The agent answers once every member did or its query timed out; allow for that.
  const auto wait = timeout ? *timeout + std::chrono::seconds(30) : std::chrono::milliseconds(
                                                                        std::chrono::minutes(5));
  auto reply = ask(socket, peerlib::request::keys_request(action, key, ms), wait, err, rc);
  if (!reply) return rc;
  return print_keys(std::get<peerlib::keys_result>(*reply), out, err);
}

int leave(const std::string& socket, std::ostream& out, std::ostream& err) {
  int rc = 0;
  auto reply = ask(socket, {peerlib::request_op::leave}, peerlib::no_timeout, err, rc);
  return print_result(reply, rc, out, err);
}

}  // namespace agent::cli
