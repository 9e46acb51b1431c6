// swim::identity_pool, alone and shared by two nodes' member tables.
#include <doctest/doctest.h>

#include <memory>

#include "node_fixture.hpp"
#include "swim/identity_pool.hpp"
#include "swim/node.hpp"
#include "swim/wire.hpp"

TEST_CASE("identity_pool: equal fields share one identity; any difference is another; unused ones go") {
  identity_pool pool;
  const std::array<std::uint8_t, 6> v{1, 5, 2, 2, 5, 4};
  auto a = pool.intern("a", addr_of(1), bytes{1, 2}, v);
  auto again = pool.intern("a", addr_of(1), bytes{1, 2}, v);
  CHECK(a == again);
  CHECK(a->name == "a");
  CHECK(a->addr == addr_of(1));
  CHECK(pool.size() == 1);
  auto moved = pool.intern("a", addr_of(2), bytes{1, 2}, v);
  auto retagged = pool.intern("a", addr_of(1), bytes{3}, v);
  auto upgraded = pool.intern("a", addr_of(1), bytes{1, 2}, {1, 5, 5, 2, 5, 4});
  auto other = pool.intern("b", addr_of(1), bytes{1, 2}, v);
  CHECK(moved != a);
  CHECK(retagged != a);
  CHECK(upgraded != a);
  CHECK(other != a);
  CHECK(pool.size() == 5);
  // Once no table holds an identity, the pool does not keep it.
  a.reset();
  again.reset();
  moved.reset();
  CHECK(pool.size() == 3);
  auto fresh = pool.intern("a", addr_of(1), bytes{1, 2}, v);
  CHECK(fresh->meta == bytes{1, 2});
  CHECK(pool.size() == 4);
}

namespace {

alive alive_with_meta(const std::string& name, int i, std::uint32_t inc, bytes meta) {
  alive a = alive_for(name, i, inc);
  a.meta = std::move(meta);
  return a;
}

}  // namespace

TEST_CASE("identity_pool: two nodes sharing a pool hold each member once; a meta change moves only the table that heard it") {
  auto pool = std::make_shared<identity_pool>();
  time_point now{};
  recording_transport out_a, out_x;
  recording_delegate ev_a, ev_x;
  config ca = make_config("a", 1);
  ca.identities = pool;
  config cx = make_config("x", 3);
  cx.identities = pool;
  node a(ca, out_a, ev_a, 1, now);
  node x(cx, out_x, ev_x, 2, now);
  CHECK(pool->size() == 2);  // each node's own identity

  for (node* n : {&a, &x}) n->on_packet(addr_of(9), wire::encode(alive_for("b", 2, 1)), now);
  CHECK(pool->size() == 3);  // "b" once for both tables
  REQUIRE(a.find("b"));
  REQUIRE(x.find("b"));

  // b changes its tags; only a hears of it so far: two identities of b, each table its own.
  a.on_packet(addr_of(9), wire::encode(alive_with_meta("b", 2, 2, bytes{7})), now);
  CHECK(pool->size() == 4);
  CHECK(a.find("b")->meta == bytes{7});
  CHECK(x.find("b")->meta.empty());
  CHECK(ev_a.saw("b", member_event::update));
  // The name index follows the new identity: b is still found, by name, in both tables.
  CHECK(a.find("b")->incarnation == 2);
  CHECK(a.num_known() == 2);

  // x hears it too: the old identity is let go.
  x.on_packet(addr_of(9), wire::encode(alive_with_meta("b", 2, 2, bytes{7})), now);
  CHECK(pool->size() == 3);
  CHECK(x.find("b")->meta == bytes{7});
}
