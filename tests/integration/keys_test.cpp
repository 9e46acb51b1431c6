// `cachecluster keys` between cachecluster agents only, on 127.0.10.x: a three-agent keyed
// pool rotates its key (install, use, remove) through one agent's control socket, every
// agent's keyring file follows, a failing step exits 1 naming each member, a holder of the
// removed key cannot join, and the keys op is refused to a uid that is neither root nor the
// agent's (that part needs root and util-linux's setpriv; without them it says so and passes).
// The mixed pool with real Serf is tests/interop/serf_keys_test.cpp.

#include <unistd.h>

#include <thread>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "integration/agent_cluster.hpp"

using namespace integ;
using test_support::temp_dir;

namespace {

std::string ip(int i) { return "127.0.10." + std::to_string(i); }

const std::string k1 = "AAECAwQFBgcICQoLDA0ODw==";
const std::string k2 = "kZyQP8/oO2d4hDYCH3Z9ZHYGLA5hzd7yLCrGA3mH9BA=";

std::unique_ptr<agent_proc> keyed(const temp_dir& dir, const std::string& name, int i,
                                  const std::string& join, const std::vector<std::string>& keys) {
  auto ring = dir / (name + ".keyring");
  test_support::write_file(ring, json(keys).dump());
  auto cfg = dir / (name + ".ini");
  test_support::write_file(cfg, "[encrypt]\nkeyring_file = " + ring.string() + "\n");
  agent_spec s{name, ip(i), {}, "", cfg.string(), ""};
  if (!join.empty()) s.join = {join};
  return std::make_unique<agent_proc>(dir, s);
}

std::vector<std::string> ring_of(const temp_dir& dir, const std::string& name) {
  json j = json::parse(test_support::read_file(dir / (name + ".keyring")), nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& k : j) out.push_back(k.get<std::string>());
  return out;
}

bool has(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("keys: three agents rotate their key through one control socket") {
  temp_dir dir("keys");
  auto a = keyed(dir, "a", 1, "", {k1});
  require_up(*a);
  auto b = keyed(dir, "b", 2, a->gossip_addr(), {k1});
  auto c = keyed(dir, "c", 3, a->gossip_addr(), {k1});
  for (const auto* x : {a.get(), b.get(), c.get()}) {
    bool ok = wait_until_all_alive(*x, {"a", "b", "c"});
    INFO(describe(*x));
    REQUIRE(ok);
  }

  auto step = [&](std::vector<std::string> args) {
    auto r = b->cli(args);
    INFO(r.out << r.err << describe(*a));
    CHECK(r.exit == 0);
    CHECK(has(r.out, "==> 3/3 members answered"));
    return r;
  };
  step({"keys", "install", k2});
  for (const auto& n : {"a", "b", "c"}) CHECK(ring_of(dir, n) == std::vector<std::string>{k1, k2});
  step({"keys", "use", k2});
  for (const auto& n : {"a", "b", "c"}) CHECK(ring_of(dir, n) == std::vector<std::string>{k2, k1});
  auto list = step({"keys", "list"});
  // Columns: the key padded to the longest, then [holders/members] and the primary count.
  CHECK(has(list.out, k1 + std::string(k2.size() - k1.size() + 2, ' ') + "[3/3]\n"));
  CHECK(has(list.out, k2 + "  [3/3]  primary on 3\n"));
  step({"keys", "--timeout", "5s", "remove", k1});
  for (const auto& n : {"a", "b", "c"}) CHECK(ring_of(dir, n) == std::vector<std::string>{k2});

  // The primary cannot be removed: every member says so, and the command exits 1.
  {
    auto r = b->cli({"keys", "remove", k2});
    INFO(r.out << r.err);
    CHECK(r.exit == 1);
    for (const auto& n : {"a", "b", "c"}) CHECK(has(r.err, std::string("failed: ") + n));
    CHECK(has(r.err, "Error removing key: 3/3 members reported failure"));
  }
  // A key that is not base64 never leaves the agent.
  {
    auto r = b->cli({"keys", "install", "not-a-key"});
    CHECK(r.exit == 1);
    CHECK(has(r.err, "Error installing key: bad key"));
  }

  // Nobody was suspected while the keys changed, and a holder of the removed key stays out.
  for (const auto* x : {a.get(), b.get(), c.get()}) CHECK(sees_all(*x, {"a", "b", "c"}, "alive"));
  auto old = keyed(dir, "old", 4, a->gossip_addr(), {k1});
  std::this_thread::sleep_for(4s);
  for (const auto* x : {a.get(), b.get(), c.get()}) {
    auto st = x->states();
    REQUIRE(st.has_value());
    CHECK(st->count("old") == 0);
  }
}

TEST_CASE("keys: the op needs root or the agent's uid") {
  if (::geteuid() != 0 ||
      test_support::run_cli({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "true"})
              .exit != 0) {
    MESSAGE("skipped: needs root and setpriv to run the CLI as another uid");
    return;
  }
  temp_dir dir("keys-auth");
  auto a = keyed(dir, "a", 5, "", {k1});
  require_up(*a);
  // Let nobody:nogroup reach the socket (mode 0660) through the 0700 temp dir.
  REQUIRE(::chmod(dir.path().c_str(), 0711) == 0);
  REQUIRE(::chown(a->socket().c_str(), static_cast<uid_t>(-1), 65534) == 0);
  auto r = test_support::run_cli({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  binary(), "keys", "install", k2, "--socket", a->socket()});
  INFO(r.out << r.err);
  CHECK(r.exit == 1);
  CHECK(has(r.err, "keys needs root"));
  CHECK(ring_of(dir, "a") == std::vector<std::string>{k1});
  // The same group may still list members.
  auto m = test_support::run_cli({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  binary(), "members", "--socket", a->socket()});
  CHECK(m.exit == 0);
}
