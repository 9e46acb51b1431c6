// Interop with real Serf: a mixed pool of two `serf agent`s and two
// cachecluster agents on 127.0.2.x. Each side must list the other's members
// with their tags, detect the other's crashes, see graceful leaves as left, and
// serve as the seed the other joins through. Serf runs memberlist's LAN
// timings, so a crash can take tens of seconds to be declared: the timeouts
// below are generous on purpose.

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "integration/agent_cluster.hpp"
#include "interop/serf_binary.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

/// Serf's LAN suspicion with few confirmers can take its maximum (about 24 s), plus probing.
constexpr auto serf_timeout = std::chrono::milliseconds(90s);

/// A member as `serf members -format=json` shows it.
struct serf_member {
  std::string status;  ///< alive, failed, left, leaving
  std::map<std::string, std::string> tags;
};

/// A running `serf agent`.
class serf_proc {
 public:
  serf_proc(const temp_dir& dir, const std::string& name, const std::string& ip,
            const std::string& join = "", const std::string& encrypt_key = "")
      : ip_(ip) {
    std::vector<std::string> a = {interop::serf_binary(), "agent", "-node=" + name,
                                  "-bind=" + ip + ":7946", "-rpc-addr=" + rpc(), "-tag",
                                  "role=x", "-log-level=debug"};
    if (!join.empty()) a.push_back("-join=" + join);
    if (!encrypt_key.empty()) a.push_back("-encrypt=" + encrypt_key);
    proc_ = std::make_unique<process>(a, dir / (name + ".log"));
  }

  std::string rpc() const { return ip_ + ":7373"; }
  std::string addr() const { return ip_ + ":7946"; }
  process& proc() { return *proc_; }

  /// `serf members -format=json`: name -> member; nullopt when serf does not answer.
  std::optional<std::map<std::string, serf_member>> members() const {
    auto r = test_support::run_cli({interop::serf_binary(), "members", "-format=json", "-rpc-addr=" + rpc()});
    if (r.exit != 0) return std::nullopt;
    json j = json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("members")) return std::nullopt;
    std::map<std::string, serf_member> out;
    for (const auto& m : j["members"]) {
      serf_member sm;
      sm.status = m.value("status", "");
      if (m.contains("tags") && m["tags"].is_object())
        for (const auto& [k, v] : m["tags"].items()) sm.tags[k] = v.is_string() ? v.get<std::string>() : v.dump();
      out[m.value("name", "")] = sm;
    }
    return out;
  }

  /// True when serf lists `name` with `status`.
  bool sees(const std::string& name, const std::string& status) const {
    auto m = members();
    if (!m) return false;
    auto it = m->find(name);
    return it != m->end() && it->second.status == status;
  }

  /// `serf members` text plus the log tail, for failure messages.
  std::string describe() const {
    auto r = test_support::run_cli({interop::serf_binary(), "members", "-rpc-addr=" + rpc()});
    std::string log = proc_->log();
    if (log.size() > 3000) log = "..." + log.substr(log.size() - 3000);
    return "--- serf " + ip_ + " members:\n" + r.out + r.err + "--- log tail:\n" + log;
  }

 private:
  std::string ip_;
  std::unique_ptr<process> proc_;
};

/// A cachecluster agent with `[tags] role = cache` from a config file.
std::unique_ptr<agent_proc> start_cc(const temp_dir& dir, const std::string& name,
                                     const std::string& ip, const std::string& join,
                                     const std::string& profile, const std::string& extra = "") {
  auto cfg = dir / (name + ".ini");
  test_support::write_file(
      cfg, "[cache]\nport = 9080\n[tags]\nrole = cache\nshard = " + name + "\n" + extra);
  agent_spec s{name, ip, {}, profile, cfg.string(), ""};
  if (!join.empty()) s.join = {join};
  return std::make_unique<agent_proc>(dir, s);
}

/// The whole scenario, for one cachecluster timing profile. IPs 127.0.2.<base+1..4>.
void mixed_cluster(const std::string& profile, int base) {
  const std::string serf = interop::serf_binary();
  REQUIRE_MESSAGE(!serf.empty(),
                  "serf not found (set SERF_BIN or run scripts/install-deps.sh to install it)");
  auto ip = [base](int i) { return "127.0.2." + std::to_string(base + i); };
  temp_dir dir("interop");

  // s1 first; c1 joins through s1 (a serf seed); s2 joins through c1 (a
  // cachecluster seed); c2 joins through s2.
  serf_proc s1(dir, "s1", ip(1));
  REQUIRE(test_support::wait_until([&] { return s1.members().has_value(); }, timeout));
  auto c1 = start_cc(dir, "c1", ip(3), s1.addr(), profile);
  {
    bool ok = test_support::wait_until([&] { return s1.sees("c1", "alive"); }, timeout);
    INFO(s1.describe() << describe(*c1));
    REQUIRE(ok);
  }
  require_up(*c1);  // serf gives up when its -join seed does not answer
  serf_proc s2(dir, "s2", ip(2), c1->gossip_addr());
  auto c2 = start_cc(dir, "c2", ip(4), s2.addr(), profile);

  const std::vector<std::string> all = {"s1", "s2", "c1", "c2"};
  for (const auto* s : {&s1, &s2}) {
    bool ok = test_support::wait_until(
        [&] {
          for (const auto& n : all)
            if (!s->sees(n, "alive")) return false;
          return true;
        },
        timeout);
    INFO(s->describe() << describe(*c1) << describe(*c2));
    REQUIRE(ok);
  }
  for (const auto* c : {c1.get(), c2.get()}) {
    bool ok = wait_until_all_alive(*c, all);
    INFO(describe(*c));
    REQUIRE(ok);
  }

  // Serf shows our tags (and the cache port tag); we show Serf's.
  {
    auto m = s1.members();
    REQUIRE(m.has_value());
    CHECK(m->at("c1").tags.at("role") == "cache");
    CHECK(m->at("c2").tags.at("shard") == "c2");
    CHECK(m->at("c2").tags.at("cache_port") == "9080");
    json doc = c1->members_doc();
    REQUIRE(doc.is_object());
    bool found = false;
    for (const auto& mem : doc["members"]) {
      if (mem["name"] != "s2") continue;
      found = true;
      CHECK(mem["tags"]["role"] == "x");
      CHECK(mem["state"] == "alive");
    }
    CHECK(found);
    // The text table, as an operator reads it.
    auto table = c2->cli({"members"});
    CHECK(table.out.find("role=x") != std::string::npos);
  }

  // kill -9 of s2: both cachecluster agents declare it dead.
  REQUIRE(s2.proc().signal(SIGKILL));
  for (const auto* c : {c1.get(), c2.get()}) {
    bool ok = test_support::wait_until([&] { return sees_gone(*c, "s2", "dead"); }, serf_timeout);
    INFO(describe(*c));
    CHECK(ok);
  }

  // kill -9 of c2: serf shows it failed.
  REQUIRE(c2->proc().signal(SIGKILL));
  {
    bool ok = test_support::wait_until([&] { return s1.sees("c2", "failed"); }, serf_timeout);
    INFO(s1.describe());
    CHECK(ok);
  }

  // SIGTERM of c1: it leaves gracefully, exits 0, and serf shows it left.
  REQUIRE(c1->proc().signal(SIGTERM));
  auto st = c1->proc().wait_exit(timeout);
  INFO(c1->log());
  REQUIRE(st.has_value());
  CHECK(exit_code(st) == 0);
  {
    bool ok = test_support::wait_until([&] { return s1.sees("c1", "left"); }, serf_timeout);
    INFO(s1.describe());
    CHECK(ok);
  }

  // A new cachecluster agent joins through s1, and a new serf agent through it.
  auto c3 = start_cc(dir, "c3", ip(5), s1.addr(), profile);
  require_up(*c3);
  serf_proc s3(dir, "s3", ip(6), c3->gossip_addr());
  {
    bool ok = wait_until_all_alive(*c3, {"s1", "s3", "c3"}) &&
              test_support::wait_until([&] { return s3.sees("c3", "alive") && s3.sees("s1", "alive"); },
                                       timeout);
    INFO(describe(*c3) << s3.describe());
    CHECK(ok);
  }
  // A graceful serf leave shows as left to cachecluster.
  REQUIRE(s3.proc().signal(SIGINT));  // serf leaves on SIGINT; SIGTERM just stops it
  CHECK(s3.proc().wait_exit(timeout).has_value());
  {
    bool ok = test_support::wait_until([&] { return sees_gone(*c3, "s3", "left"); }, serf_timeout);
    INFO(describe(*c3));
    CHECK(ok);
  }
}

}  // namespace

TEST_CASE("interop: serf and cachecluster (lan profile) share a pool") { mixed_cluster("lan", 0); }

TEST_CASE("interop: serf and cachecluster (default heartbeat profile) share a pool") {
  mixed_cluster("", 10);
}

// Gossip encryption against `serf agent -encrypt`: a keyed mixed pool forms (each side joins
// through the other), and agents holding no key or another key stay out of it on both sides.
TEST_CASE("interop: serf -encrypt and cachecluster [encrypt] key share a pool; others stay out") {
  const std::string serf = interop::serf_binary();
  REQUIRE_MESSAGE(!serf.empty(), "serf not found (set SERF_BIN or run scripts/install-deps.sh)");
  auto ip = [](int i) { return "127.0.2." + std::to_string(40 + i); };
  const std::string key = "AAECAwQFBgcICQoLDA0ODw==";
  const std::string other = "kZyQP8/oO2d4hDYCH3Z9ZHYGLA5hzd7yLCrGA3mH9BA=";
  temp_dir dir("interop-enc");
  serf_proc s1(dir, "s1", ip(1), "", key);
  REQUIRE(test_support::wait_until([&] { return s1.members().has_value(); }, timeout));
  auto c1 = start_cc(dir, "c1", ip(3), s1.addr(), "", "[encrypt]\nkey = " + key + "\n");
  require_up(*c1);
  serf_proc s2(dir, "s2", ip(2), c1->gossip_addr(), key);
  auto c2 = start_cc(dir, "c2", ip(4), s2.addr(), "", "[encrypt]\nkey = " + key + "\n");
  const std::vector<std::string> all = {"s1", "s2", "c1", "c2"};
  {
    bool ok = test_support::wait_until(
        [&] {
          for (const auto& n : all)
            if (!s1.sees(n, "alive") || !s2.sees(n, "alive")) return false;
          return true;
        },
        timeout);
    INFO(s1.describe() << s2.describe() << describe(*c1) << describe(*c2));
    REQUIRE(ok);
  }
  for (const auto* c : {c1.get(), c2.get()}) {
    bool ok = wait_until_all_alive(*c, all);
    INFO(describe(*c));
    REQUIRE(ok);
  }

  // No key, or another key: the join fails and nobody lists the outsider.
  auto plain = start_cc(dir, "plain", ip(5), s1.addr(), "");
  auto wrong = start_cc(dir, "wrong", ip(6), c1->gossip_addr(), "", "[encrypt]\nkey = " + other + "\n");
  serf_proc s3(dir, "s3", ip(7), c2->gossip_addr(), other);
  std::this_thread::sleep_for(8s);  // several probe periods and join retries
  for (const auto* s : {&s1, &s2}) {
    auto m = s->members();
    REQUIRE(m.has_value());
    CHECK(m->count("plain") == 0);
    CHECK(m->count("wrong") == 0);
    CHECK(m->count("s3") == 0);
  }
  for (const auto* c : {c1.get(), c2.get()}) {
    json doc = c->members_doc();
    REQUIRE(doc.is_object());
    for (const auto& mem : doc["members"]) {
      CHECK(mem["name"] != "plain");
      CHECK(mem["name"] != "wrong");
      CHECK(mem["name"] != "s3");
    }
  }
  // The wrong key's join push-pull to c1 is counted by reason in /metrics.
  auto metrics = c1->http("/metrics");
  REQUIRE(metrics.status == 200);
  double refused = 0;
  std::istringstream lines(metrics.body);
  for (std::string line; std::getline(lines, line);)
    if (line.find("reason=\"decrypt_failed\"") != std::string::npos && line.front() != '#')
      refused += std::stod(line.substr(line.rfind(' ') + 1));
  INFO(metrics.body);
  CHECK(refused >= 1);
}
