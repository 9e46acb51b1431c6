// Cluster-wide key rotation with real Serf (docs/wire.md §9.6): a mixed pool of two
// `serf agent -keyring-file` and two cachecluster agents with [encrypt] keyring_file, on
// 127.0.2.61-.69. A key is rotated first from the Serf side (`serf keys -install/-use/-remove`)
// and then from ours (`cachecluster keys install/use/remove`), while `serf event`s and
// probes flow. Every member must report the new ring on both sides, nobody may be suspected
// or failed during the rotation, an agent holding only a removed key must stay out, and
// `serf reachability` must count our agents. The timeline is printed with MESSAGE.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>

#include "integration/agent_cluster.hpp"
#include "interop/serf_binary.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

using clock_type = std::chrono::steady_clock;

std::string ip(int i) { return "127.0.2." + std::to_string(60 + i); }

/// Traffic on the new ring after each rotation, watched for suspicion.
constexpr auto settle = std::chrono::seconds(5);

void write_keyring(const std::filesystem::path& p, const std::vector<std::string>& keys) {
  json j = keys;
  test_support::write_file(p, j.dump());
}

/// The keys in a keyring file (Serf's and ours: a JSON array of base64 strings).
std::vector<std::string> read_keyring(const std::filesystem::path& p) {
  json j = json::parse(test_support::read_file(p), nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& k : j)
      if (k.is_string()) out.push_back(k.get<std::string>());
  return out;
}

/// A `serf agent` with a keyring file.
class keyed_serf {
 public:
  keyed_serf(const temp_dir& dir, const std::string& name, const std::string& addr_ip,
             const std::vector<std::string>& keys, const std::string& join = "")
      : ip_(addr_ip), keyring_(dir / (name + ".keyring")) {
    write_keyring(keyring_, keys);
    std::vector<std::string> a = {interop::serf_binary(),           "agent",
                                  "-node=" + name,      "-bind=" + ip_ + ":7946",
                                  "-rpc-addr=" + rpc(), "-keyring-file=" + keyring_.string(),
                                  "-log-level=debug"};
    if (!join.empty()) a.push_back("-join=" + join);
    proc_ = std::make_unique<process>(a, dir / (name + ".log"));
  }
  std::string rpc() const { return ip_ + ":7373"; }
  std::string addr() const { return ip_ + ":7946"; }
  const std::filesystem::path& keyring() const { return keyring_; }

  /// `serf COMMAND -rpc-addr=... ARGS...` (Go's flags stop at the first positional).
  test_support::cli_result run(std::vector<std::string> args) const {
    std::vector<std::string> a = {interop::serf_binary(), args.at(0), "-rpc-addr=" + rpc()};
    a.insert(a.end(), args.begin() + 1, args.end());
    return test_support::run_cli(a, std::chrono::seconds(60));
  }
  /// name -> status from `serf members -format=json`; nullopt when serf does not answer.
  std::optional<std::map<std::string, std::string>> statuses() const {
    auto r = run({"members", "-format=json"});
    if (r.exit != 0) return std::nullopt;
    json j = json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("members")) return std::nullopt;
    std::map<std::string, std::string> out;
    for (const auto& m : j["members"]) out[m.value("name", "")] = m.value("status", "");
    return out;
  }
  bool sees_alive(const std::vector<std::string>& names) const {
    auto s = statuses();
    if (!s) return false;
    for (const auto& n : names)
      if (!s->count(n) || s->at(n) != "alive") return false;
    return true;
  }
  std::string log_tail() const {
    std::string log = proc_->log();
    if (log.size() > 4000) log = "..." + log.substr(log.size() - 4000);
    return "--- serf " + ip_ + " log tail:\n" + log;
  }

 private:
  std::string ip_;
  std::filesystem::path keyring_;
  std::unique_ptr<process> proc_;
};

std::unique_ptr<agent_proc> keyed_cc(const temp_dir& dir, const std::string& name,
                                     const std::string& addr_ip, const std::string& join,
                                     const std::vector<std::string>& keys) {
  auto ring = dir / (name + ".keyring");
  write_keyring(ring, keys);
  auto cfg = dir / (name + ".ini");
  test_support::write_file(
      cfg, "[tags]\nrole = cache\n[encrypt]\nkeyring_file = " + ring.string() + "\n");
  agent_spec s{name, addr_ip, {}, "", cfg.string(), ""};
  if (!join.empty()) s.join = {join};
  return std::make_unique<agent_proc>(dir, s);
}

/// True when a `serf keys -list` or `cachecluster keys list` output shows `key` on all `n`
/// members and none of `gone`.
bool lists_only(const std::string& out, const std::string& key, int n,
                const std::vector<std::string>& gone) {
  bool found = false;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    for (const auto& g : gone)
      if (line.find(g) != std::string::npos) return false;
    if (line.find(key) != std::string::npos &&
        line.find("[" + std::to_string(n) + "/" + std::to_string(n) + "]") != std::string::npos)
      found = true;
  }
  return found;
}

/// Polls every member's view of every other during the rotation and remembers any member
/// seen in a state other than alive (ours: suspect/dead/left; Serf's: failed/left/leaving).
class state_monitor {
 public:
  state_monitor(std::vector<const keyed_serf*> serfs, std::vector<const agent_proc*> ccs,
                std::vector<std::string> names)
      : serfs_(std::move(serfs)), ccs_(std::move(ccs)), names_(std::move(names)) {
    thread_ = std::thread([this] { run(); });
  }
  ~state_monitor() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> incidents() {
    std::lock_guard<std::mutex> l(mu_);
    return incidents_;
  }
  int polls() const { return polls_; }

 private:
  void note(const std::string& who, const std::string& name, const std::string& state) {
    std::lock_guard<std::mutex> l(mu_);
    if (incidents_.size() < 50) incidents_.push_back(who + " saw " + name + " " + state);
  }
  void run() {
    while (!stop_) {
      for (const auto* s : serfs_)
        if (auto st = s->statuses())
          for (const auto& n : names_)
            if (st->count(n) && st->at(n) != "alive") note("serf " + s->rpc(), n, st->at(n));
      for (const auto* c : ccs_)
        if (auto st = c->states())
          for (const auto& n : names_)
            if (st->count(n) && st->at(n) != "alive") note(c->name(), n, st->at(n));
      polls_++;
      std::this_thread::sleep_for(200ms);
    }
  }
  std::vector<const keyed_serf*> serfs_;
  std::vector<const agent_proc*> ccs_;
  std::vector<std::string> names_;
  std::atomic<bool> stop_{false};
  std::atomic<int> polls_{0};
  std::mutex mu_;
  std::vector<std::string> incidents_;
  std::thread thread_;
};

/// Seconds since `t0`, two decimals.
std::string since(clock_type::time_point t0, clock_type::time_point t = clock_type::now()) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", std::chrono::duration<double>(t - t0).count());
  return buf;
}

}  // namespace

TEST_CASE(
    "interop: keys rotate across serf and cachecluster, from either side, without suspicion") {
  REQUIRE_MESSAGE(!interop::serf_binary().empty(),
                  "serf not found (set SERF_BIN or run scripts/install-deps.sh)");
  const std::string k1 = "AAECAwQFBgcICQoLDA0ODw==";
  const std::string k2 = "kZyQP8/oO2d4hDYCH3Z9ZHYGLA5hzd7yLCrGA3mH9BA=";
  const std::string k3 = "8xHh3U6VCfzf7yN4rbGW2pqkgyh2EqsXfwe0X+9CbDw=";
  temp_dir dir("interop-keys");

  keyed_serf s1(dir, "s1", ip(1), {k1});
  REQUIRE(test_support::wait_until([&] { return s1.statuses().has_value(); }, timeout));
  auto c1 = keyed_cc(dir, "c1", ip(3), s1.addr(), {k1});
  require_up(*c1);
  keyed_serf s2(dir, "s2", ip(2), {k1}, c1->gossip_addr());
  auto c2 = keyed_cc(dir, "c2", ip(4), s2.addr(), {k1});
  require_up(*c2);
  const std::vector<std::string> all = {"s1", "s2", "c1", "c2"};
  for (const auto* s : {&s1, &s2}) {
    bool ok = test_support::wait_until([&] { return s->sees_alive(all); }, timeout);
    INFO(s->log_tail() << describe(*c1) << describe(*c2));
    REQUIRE(ok);
  }
  for (const auto* c : {c1.get(), c2.get()}) {
    bool ok = wait_until_all_alive(*c, all);
    INFO(describe(*c));
    REQUIRE(ok);
  }

  // `serf reachability` asks every member for an ack (_serf_ping): ours answer.
  {
    auto r = s1.run({"reachability", "-verbose"});
    INFO(r.out << r.err << describe(*c1));
    CHECK(r.exit == 0);
    CHECK(r.out.find("Ack from 'c1'") != std::string::npos);
    CHECK(r.out.find("Ack from 'c2'") != std::string::npos);
    CHECK(r.out.find("Successfully contacted all live nodes") != std::string::npos);
  }

  // Traffic while the keys rotate: a user event from s2 every 300 ms, and probes.
  std::atomic<bool> stop_events{false};
  std::atomic<int> events_sent{0};
  std::thread events([&] {
    while (!stop_events) {
      if (s2.run({"event", "tick", std::to_string(events_sent.load())}).exit == 0) events_sent++;
      std::this_thread::sleep_for(300ms);
    }
  });
  state_monitor monitor({&s1, &s2}, {c1.get(), c2.get()}, all);
  std::ostringstream timeline;
  const auto t0 = clock_type::now();

  // ---- 1. From the Serf side: install k2, use it, remove k1. ----
  auto serf_step = [&](const std::string& what, const std::string& flag) {
    const auto start = clock_type::now();
    auto r = s1.run({"keys", flag});
    timeline << "  serf keys " << flag.substr(0, flag.find('=')) << ": issued at "
             << since(t0, start) << " s, done at " << since(t0) << " s (exit " << r.exit << ")\n";
    INFO(what << "\n" << r.out << r.err << s1.log_tail() << describe(*c1) << describe(*c2));
    CHECK(r.exit == 0);
  };
  serf_step("install k2", "-install=" + k2);
  serf_step("use k2", "-use=" + k2);
  serf_step("remove k1", "-remove=" + k1);
  {
    bool ok = test_support::wait_until(
        [&] {
          return lists_only(s2.run({"keys", "-list"}).out, k2, 4, {k1}) &&
                 lists_only(c2->cli({"keys", "list"}).out, k2, 4, {k1});
        },
        timeout);
    timeline << "  every member lists only k2 (serf keys -list, cachecluster keys list) at "
             << since(t0) << " s\n";
    auto sl = s2.run({"keys", "-list"});
    auto cl = c2->cli({"keys", "list"});
    INFO(sl.out << sl.err << cl.out << cl.err);
    CHECK(ok);
    CHECK(cl.exit == 0);
    CHECK(cl.out.find("4/4 members answered") != std::string::npos);
  }
  CHECK(read_keyring(dir / "c1.keyring") == std::vector<std::string>{k2});
  CHECK(read_keyring(dir / "c2.keyring") == std::vector<std::string>{k2});
  // The steps ran back to back, as a script would; now gossip on the new ring for a while.
  std::this_thread::sleep_for(settle);

  // ---- 2. From our side: install k3, use it, remove k2. ----
  const auto t1 = clock_type::now();
  auto cc_step = [&](const std::string& what, std::vector<std::string> args) {
    const auto start = clock_type::now();
    auto r = c1->cli(args);
    timeline << "  cachecluster keys " << args[1] << ": issued at " << since(t0, start)
             << " s, done at " << since(t0) << " s (exit " << r.exit << ")\n";
    INFO(what << "\n" << r.out << r.err << describe(*c1) << s1.log_tail());
    CHECK(r.exit == 0);
    CHECK(r.out.find("4/4 members answered") != std::string::npos);
    return r;
  };
  cc_step("install k3", {"keys", "install", k3});
  cc_step("use k3", {"keys", "use", k3});
  cc_step("remove k2", {"keys", "remove", k2});
  {
    bool ok = test_support::wait_until(
        [&] {
          return lists_only(s1.run({"keys", "-list"}).out, k3, 4, {k1, k2}) &&
                 lists_only(c2->cli({"keys", "list"}).out, k3, 4, {k1, k2}) &&
                 lists_only(c1->cli({"keys", "list"}).out, k3, 4, {k1, k2});
        },
        timeout);
    timeline << "  every member lists only k3 at " << since(t0) << " s (" << since(t1)
             << " s after our install)\n";
    auto sl = s1.run({"keys", "-list"});
    auto cl = c1->cli({"keys", "list"});
    INFO(sl.out << sl.err << cl.out << cl.err);
    CHECK(ok);
    CHECK(cl.out.find("primary on 4") != std::string::npos);
    MESSAGE("after both rotations, `cachecluster keys list` at c1:\n"
            << cl.out << "`serf keys -list` at s1:\n"
            << sl.out);
  }
  CHECK(read_keyring(dir / "c1.keyring") == std::vector<std::string>{k3});
  CHECK(read_keyring(dir / "c2.keyring") == std::vector<std::string>{k3});
  CHECK(read_keyring(s1.keyring()) == std::vector<std::string>{k3});
  CHECK(read_keyring(s2.keyring()) == std::vector<std::string>{k3});
  std::this_thread::sleep_for(settle);

  // A failing operation is reported per member and exits 1: the primary cannot be removed.
  {
    auto r = c1->cli({"keys", "remove", k3});
    INFO(r.out << r.err);
    CHECK(r.exit == 1);
    CHECK(r.err.find("failed: s1") != std::string::npos);
    CHECK(r.err.find("failed: c2") != std::string::npos);
    CHECK(r.err.find("4/4 members reported failure") != std::string::npos);
  }

  stop_events = true;
  events.join();
  monitor.stop();
  {
    auto inc = monitor.incidents();
    std::string all_inc;
    for (const auto& i : inc) all_inc += i + "\n";
    INFO(all_inc);
    CHECK(inc.empty());
    CHECK(monitor.polls() > 20);
  }
  CHECK(events_sent > 0);
  // Our agents applied Serf's key queries and gossiped Serf's events on (debug log).
  for (const auto* c : {c1.get(), c2.get()}) {
    auto log = c->log();
    CHECK(log.find("serf query _serf_install-key from s1: applied") != std::string::npos);
    CHECK(log.find("serf event tick") != std::string::npos);
    auto m = c->http("/metrics");
    REQUIRE(m.status == 200);
    INFO(m.body);
    CHECK(metric_sum(m.body, "cachecluster_serf_events_total") >= 1);
    CHECK(metric_sum(m.body, "cachecluster_serf_query_acks_sent_total") >= 1);  // reachability
    CHECK(metric_sum(m.body, "cachecluster_serf_key_changes_total") == 6);
    CHECK(metric_sum(m.body, "cachecluster_serf_malformed_total") == 0);
  }
  {
    auto m = c1->http("/metrics");
    CHECK(metric_sum(m.body, "cachecluster_serf_key_queries_issued_total") >=
          6);  // 3 steps, lists, a refused remove
  }

  // ---- 3. Holders of a removed key stay out, on both sides. ----
  auto old_cc = keyed_cc(dir, "old-cc", ip(5), s1.addr(), {k2});
  keyed_serf old_serf(dir, "old-serf", ip(6), {k1}, c2->gossip_addr());
  std::this_thread::sleep_for(8s);
  for (const auto* s : {&s1, &s2}) {
    auto st = s->statuses();
    REQUIRE(st.has_value());
    CHECK(st->count("old-cc") == 0);
    CHECK(st->count("old-serf") == 0);
  }
  for (const auto* c : {c1.get(), c2.get()}) {
    auto st = c->states();
    REQUIRE(st.has_value());
    CHECK(st->count("old-cc") == 0);
    CHECK(st->count("old-serf") == 0);
  }
  {
    auto r = s2.run({"reachability"});
    INFO(r.out << r.err);
    CHECK(r.exit == 0);
  }

  MESSAGE("key rotation timeline (t = 0 at the first serf keys command; "
          << events_sent.load() << " serf events sent, " << monitor.polls() << " state polls):\n"
          << timeline.str());
}
