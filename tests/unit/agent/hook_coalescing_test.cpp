// [hooks] on_change: one run at a time, coalesced to the latest snapshot, and
// the environment naming what changed since the previous run.
#include <doctest/doctest.h>

#include "agent/change_hook.hpp"
#include "agent/latest_only.hpp"

using namespace agent;

namespace {

peerlib::snapshot snap(std::uint64_t version, std::vector<std::string> names) {
  peerlib::snapshot s;
  s.version = version;
  for (auto& n : names) {
    peerlib::peer p;
    p.name = n;
    p.address = "10.0.0.1";
    s.peers.push_back(p);
  }
  return s;
}

std::string env(const std::vector<std::pair<std::string, std::string>>& e, const std::string& k) {
  for (const auto& [key, v] : e)
    if (key == k) return v;
  FAIL("no " << k);
  return {};
}

}  // namespace

TEST_CASE("latest_only: a burst while a job runs gives one more job, with the latest") {
  latest_only<int> q;
  CHECK(q.submit(1) == 1);  // idle: start now
  CHECK(q.running());
  for (int i = 2; i <= 10; ++i) CHECK_FALSE(q.submit(i));
  CHECK(q.coalesced() == 8);  // 2..9 were replaced
  CHECK(q.finished() == 10);
  CHECK(q.running());
  CHECK_FALSE(q.finished());
  CHECK_FALSE(q.running());
  CHECK(q.submit(11) == 11);  // idle again
}

TEST_CASE("hook environment: version, added and removed names since the previous run") {
  auto first = snap(1, {"a"});
  auto e = hook_environment(nullptr, first);
  CHECK(env(e, "CACHECLUSTER_VERSION") == "1");
  CHECK(env(e, "CACHECLUSTER_ADDED") == "a");
  CHECK(env(e, "CACHECLUSTER_REMOVED") == "");
  // A coalesced run compares with what the previous run saw, not the snapshots in between.
  auto later = snap(5, {"b", "c", "d"});
  e = hook_environment(&first, later);
  CHECK(env(e, "CACHECLUSTER_VERSION") == "5");
  CHECK(env(e, "CACHECLUSTER_ADDED") == "b c d");
  CHECK(env(e, "CACHECLUSTER_REMOVED") == "a");
  auto c = diff_peers(&later, later);
  CHECK(c.added.empty());
  CHECK(c.removed.empty());
}
