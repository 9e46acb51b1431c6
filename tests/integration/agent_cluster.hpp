#pragma once
// Real `cachecluster agent` processes on loopback for the integration and
// interop tests. Each agent gets its own IP (gossip on port 7946, as on VMs,
// HTTP on 9101), a Unix socket and a log file in the test's temp dir. Every
// child is SIGKILLed and reaped when its `agent_proc` goes out of scope, so a
// failing check never leaves agents behind.

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

#ifndef CACHECLUSTER_BINARY
#define CACHECLUSTER_BINARY ""
#endif

namespace integ {

using namespace std::chrono_literals;
using nlohmann::json;
using test_support::process;

/// Generous: a loaded 2-core CI machine must never flake on these.
inline constexpr auto timeout = std::chrono::milliseconds(30s);

inline constexpr std::uint16_t gossip_port = 7946;
inline constexpr std::uint16_t http_port = 9101;

/// The cachecluster binary under test.
inline const std::string& binary() {
  static const std::string path = test_support::find_binary(CACHECLUSTER_BINARY);
  return path;
}

/// One agent's identity and files.
struct agent_spec {
  std::string name;
  std::string ip;                 ///< gossip and HTTP address
  std::vector<std::string> join;  ///< --join seeds (ip:port)
  std::string profile;            ///< --profile, "" for the default (heartbeat)
  std::string config;             ///< --config file, "" for none
  std::string socket;             ///< --socket path, "" for <dir>/<name>.sock
  bool pass_name = true;          ///< --node name; false: the agent picks its name
};

/// A running (or exited) agent.
class agent_proc {
 public:
  agent_proc(const test_support::temp_dir& dir, agent_spec spec)
      : spec_(std::move(spec)),
        socket_(spec_.socket.empty() ? (dir / (spec_.name + ".sock")).string() : spec_.socket) {
    proc_ = std::make_unique<process>(argv(), dir / (spec_.name + ".log"));
  }

  /// The command line this agent runs with.
  std::vector<std::string> argv() const {
    std::vector<std::string> a = {binary(), "agent", "--bind", gossip_addr(), "--socket", socket_,
                                  "--http", spec_.ip + ":" + std::to_string(http_port),
                                  "--log-level", "debug"};
    if (spec_.pass_name) a.insert(a.end(), {"--node", spec_.name});
    for (const auto& j : spec_.join) a.insert(a.end(), {"--join", j});
    if (!spec_.profile.empty()) a.insert(a.end(), {"--profile", spec_.profile});
    if (!spec_.config.empty()) a.insert(a.end(), {"--config", spec_.config});
    return a;
  }

  const std::string& name() const { return spec_.name; }
  const std::string& ip() const { return spec_.ip; }
  const std::string& socket() const { return socket_; }
  std::string gossip_addr() const { return spec_.ip + ":" + std::to_string(gossip_port); }
  process& proc() { return *proc_; }
  std::string log() const { return proc_->log(); }

  /// `cachecluster <args...> --socket <ours>`.
  test_support::cli_result cli(std::vector<std::string> args) const {
    std::vector<std::string> a = {binary()};
    a.insert(a.end(), args.begin(), args.end());
    a.insert(a.end(), {"--socket", socket_});
    return test_support::run_cli(a);
  }

  /// `members --json` parsed: name -> state; nullopt when the agent does not answer.
  std::optional<std::map<std::string, std::string>> states() const {
    auto r = cli({"members", "--json"});
    if (r.exit != 0) return std::nullopt;
    json j = json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("members")) return std::nullopt;
    std::map<std::string, std::string> out;
    for (const auto& m : j["members"]) out[m.value("name", "")] = m.value("state", "");
    return out;
  }

  /// `members --json` parsed, whole document (null when the agent does not answer).
  json members_doc() const {
    auto r = cli({"members", "--json"});
    if (r.exit != 0) return nullptr;
    json j = json::parse(r.out, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
  }

  /// GET from this agent's HTTP endpoint.
  test_support::http_result http(const std::string& path) const {
    return test_support::http_get(spec_.ip, http_port, path);
  }

  /// True once the agent answers on its socket (it has bound everything).
  bool wait_up() const {
    return test_support::wait_until([&] { return states().has_value(); }, timeout);
  }

 private:
  agent_spec spec_;
  std::string socket_;
  std::unique_ptr<process> proc_;
};

/// The agent's log tail and how its process ended, for a failed start.
inline std::string describe_brief(const agent_proc& a) {
  std::string log = a.log();
  if (log.size() > 4000) log = "..." + log.substr(log.size() - 4000);
  return "--- " + a.name() + " log tail:\n" + log;
}

/// Fail the test (with the agent's log) unless it comes up within the timeout.
inline void require_up(const agent_proc& a) {
  bool up = a.wait_up();
  INFO(describe_brief(a));
  REQUIRE(up);
}

/// True when every name in `names` has state `state` in `a`'s view.
inline bool sees_all(const agent_proc& a, const std::vector<std::string>& names,
                     const std::string& state) {
  auto s = a.states();
  if (!s) return false;
  for (const auto& n : names) {
    auto it = s->find(n);
    if (it == s->end() || it->second != state) return false;
  }
  return true;
}

/// Wait (up to `timeout`) until `a` lists every name in `names` alive.
inline bool wait_until_all_alive(const agent_proc& a, const std::vector<std::string>& names) {
  return test_support::wait_until([&] { return sees_all(a, names, "alive"); }, timeout);
}

/// True when `name` is gone from `a`'s live view: `state` (dead or left), or
/// already forgotten (memberlist reaps dead members after a while).
inline bool sees_gone(const agent_proc& a, const std::string& name, const std::string& state) {
  auto s = a.states();
  if (!s) return false;
  auto it = s->find(name);
  return it == s->end() || it->second == state;
}

/// Exactly `n` members alive in `a`'s view.
inline bool alive_count_is(const agent_proc& a, std::size_t n) {
  auto s = a.states();
  if (!s) return false;
  std::size_t alive = 0;
  for (const auto& [name, st] : *s) alive += st == "alive";
  return alive == n;
}

/// Everything a failing check should print about an agent.
inline std::string describe(const agent_proc& a) {
  auto r = a.cli({"members"});
  std::string log = a.log();
  if (log.size() > 4000) log = "..." + log.substr(log.size() - 4000);
  return "--- " + a.name() + " members (exit " + std::to_string(r.exit) + "):\n" + r.out + r.err +
         "--- " + a.name() + " log tail:\n" + log;
}

/// Exit code of a reaped process status, or -1 (still running / killed by a signal).
inline int exit_code(std::optional<int> st) {
  return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
}

/// A metric sample's value from a /metrics body (exact series text, e.g.
/// `cachecluster_dropped_packets_total{reason="bad_crc"}`); -1 when absent.
inline double metric(const std::string& body, const std::string& series) {
  std::size_t pos = 0;
  while ((pos = body.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || body[pos - 1] == '\n') return std::stod(body.substr(pos + series.size() + 1));
    pos += series.size();
  }
  return -1;
}

/// Sum of every sample of a family (all label sets), e.g. `cachecluster_dropped_packets_total`.
inline double metric_sum(const std::string& body, const std::string& family) {
  double sum = 0;
  std::size_t pos = 0;
  while ((pos = body.find(family, pos)) != std::string::npos) {
    bool line_start = pos == 0 || body[pos - 1] == '\n';
    std::size_t after = pos + family.size();
    if (line_start && after < body.size() && (body[after] == '{' || body[after] == ' ')) {
      auto sp = body.find(' ', body[after] == '{' ? body.find('}', after) : after);
      sum += std::stod(body.substr(sp + 1));
    }
    pos = after;
  }
  return sum;
}

}  // namespace integ
