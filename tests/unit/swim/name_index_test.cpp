// swim::name_index against std::unordered_map, through growth, shrinking and deletions in
// the middle of probe runs.
#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "swim/name_index.hpp"

namespace {

struct named {
  std::string name;
  static std::string_view key(const named& n) { return n.name; }
};
using index_t = swim::name_index<named, &named::key>;

}  // namespace

TEST_CASE("name_index: find, insert and erase") {
  index_t idx;
  CHECK(idx.find("a") == nullptr);
  CHECK_FALSE(idx.erase("a"));
  named a{"a"}, b{"b"}, a2{"a"};
  CHECK(idx.insert(&a));
  CHECK(idx.insert(&b));
  CHECK_FALSE(idx.insert(&a2));  // the name is taken: nothing changes
  CHECK(idx.size() == 2);
  CHECK(idx.find("a") == &a);
  CHECK(idx.find("b") == &b);
  CHECK(idx.find("c") == nullptr);
  CHECK(idx.erase("a"));
  CHECK(idx.find("a") == nullptr);
  CHECK(idx.find("b") == &b);
  CHECK(idx.insert(&a2));
  CHECK(idx.find("a") == &a2);
  idx.clear();
  CHECK(idx.empty());
  CHECK(idx.find("b") == nullptr);
}

TEST_CASE("name_index: random inserts and erases agree with std::unordered_map") {
  std::mt19937_64 rng(7);
  std::vector<std::unique_ptr<named>> pool;
  for (int i = 0; i < 3000; ++i) pool.push_back(std::make_unique<named>(named{"m-" + std::to_string(i)}));
  index_t idx;
  std::unordered_map<std::string, named*> ref;
  // Phases that grow to ~2,000 names, then shrink to a handful, twice: the table rehashes
  // both ways and erases cut through long probe runs.
  for (int phase = 0; phase < 4; ++phase) {
    const bool grow = phase % 2 == 0;
    for (int step = 0; step < 20000; ++step) {
      named* n = pool[rng() % pool.size()].get();
      const bool add = grow ? rng() % 4 != 0 : rng() % 4 == 0;
      if (add) {
        const bool fresh = ref.emplace(n->name, n).second;
        CHECK(idx.insert(n) == fresh);
      } else {
        CHECK(idx.erase(n->name) == (ref.erase(n->name) == 1));
      }
      REQUIRE(idx.size() == ref.size());
    }
    for (const auto& p : pool) {
      auto it = ref.find(p->name);
      CHECK(idx.find(p->name) == (it == ref.end() ? nullptr : it->second));
    }
    // The load stays between 1/8 and 3/4 once the table has grown past its first size.
    if (idx.capacity() > 8) {
      CHECK(idx.size() * 4 <= idx.capacity() * 3);
      CHECK(idx.size() * 8 >= idx.capacity());
    }
  }
}
