// Discovery candidates are joined a few at a time (agent/candidate_picker.hpp): at most
// `batch` in flight or succeeded per listing, picked at random, a failed one replaced by an
// untried one. Time is passed in; nothing sleeps.

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/candidate_picker.hpp"

using namespace std::chrono_literals;
using agent::candidate_picker;
using clock_type = candidate_picker::clock;

namespace {

std::vector<swim::address> addrs(int n, int from = 1) {
  std::vector<swim::address> out;
  for (int i = from; i < from + n; ++i)
    out.push_back(*swim::address::parse("127.0.9." + std::to_string(i), 7946));
  return out;
}

const clock_type::time_point t0{};

}  // namespace

TEST_CASE("candidate picker: a small cluster's candidates are all joined at once") {
  candidate_picker p({3, 15s}, 1);
  auto one = p.offer(addrs(1), t0);  // a two-member cluster: the other one, now
  CHECK(one == addrs(1));
  candidate_picker q({3, 15s}, 1);
  auto three = q.offer(addrs(3), t0);
  std::sort(three.begin(), three.end());
  CHECK(three == addrs(3));
  CHECK(q.untried() == 0);
}

TEST_CASE("candidate picker: 199 candidates give 3 joins, and a success asks for no more") {
  candidate_picker p({3, 15s}, 7);
  auto first = p.offer(addrs(199), t0);
  CHECK(first.size() == 3);
  CHECK(p.in_flight() == 3);
  CHECK(p.untried() == 196);
  CHECK(std::set<swim::address>(first.begin(), first.end()).size() == 3);
  for (const auto& a : first) CHECK(p.result(a, true, t0 + 1s).empty());
  CHECK(p.in_flight() == 0);
  CHECK(p.untried() == 196);  // kept for nothing: three joins succeeded
}

TEST_CASE("candidate picker: each failure is replaced by an untried candidate") {
  candidate_picker p({3, 15s}, 11);
  const auto all = addrs(10);
  auto out = p.offer(all, t0);
  std::set<swim::address> tried(out.begin(), out.end());
  // The first eight joins fail one after another; each brings one new candidate.
  std::vector<swim::address> queue = out;
  for (int i = 0; i < 7; ++i) {
    auto failed = queue.front();
    queue.erase(queue.begin());
    auto next = p.result(failed, false, t0 + 1s);
    REQUIRE(next.size() == 1);
    CHECK(tried.count(next[0]) == 0);  // never one asked before
    tried.insert(next[0]);
    queue.push_back(next[0]);
    CHECK(p.in_flight() <= 3);
  }
  CHECK(tried.size() == 10);
  CHECK(p.untried() == 0);
  // Nothing left to try: failures now bring nothing.
  CHECK(p.result(queue.front(), false, t0 + 2s).empty());
  CHECK(p.in_flight() == 2);
}

TEST_CASE("candidate picker: a report for an address it did not ask for changes nothing") {
  candidate_picker p({3, 15s}, 3);
  auto out = p.offer(addrs(10), t0);
  auto stranger = *swim::address::parse("127.0.8.1", 7946);
  CHECK(p.result(stranger, false, t0).empty());
  CHECK(p.in_flight() == 3);
}

TEST_CASE("candidate picker: joins still out count against the next listing's batch") {
  candidate_picker p({3, 15s}, 5);
  auto first = p.offer(addrs(10), t0);
  REQUIRE(first.size() == 3);
  // The next listing comes while all three are out: nothing more is asked.
  CHECK(p.offer(addrs(10), t0 + 2s).empty());
  // One answers: the new round has room for one more, never one already out.
  auto more = p.result(first[0], false, t0 + 3s);
  REQUIRE(more.size() == 1);
  CHECK(std::find(first.begin(), first.end(), more[0]) == first.end());
  // A report that never comes frees its place after answer_within.
  auto late = p.offer(addrs(10), t0 + 20s);
  CHECK(late.size() == 3);
  CHECK(p.in_flight() == 3);
}

TEST_CASE("candidate picker: the picks are random, spread over every candidate") {
  std::map<swim::address, int> picked;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    candidate_picker p({3, 15s}, seed);
    for (const auto& a : p.offer(addrs(20), t0)) picked[a]++;
  }
  // 600 picks over 20 candidates: each about 30 times; none never, none most of the time.
  CHECK(picked.size() == 20);
  for (const auto& [a, n] : picked) {
    CHECK(n > 5);
    CHECK(n < 80);
  }
  candidate_picker x({3, 15s}, 9), y({3, 15s}, 9);
  CHECK(x.offer(addrs(20), t0) == y.offer(addrs(20), t0));  // a seed repeats its picks
}
