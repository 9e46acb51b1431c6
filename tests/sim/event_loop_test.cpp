#include <doctest/doctest.h>

#include <vector>

#include "swim/sim/event_loop.hpp"

using namespace std::chrono_literals;
using swim::sim::event_loop;

TEST_CASE("event_loop: events run in (deadline, seq) order") {
  event_loop loop;
  std::vector<int> order;
  loop.after(20ms, [&] { order.push_back(3); });
  loop.after(10ms, [&] { order.push_back(1); });
  loop.after(10ms, [&] { order.push_back(2); });  // same instant: scheduling order
  loop.after(30ms, [&] { order.push_back(4); });
  loop.run_for(25ms);
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(loop.now() == swim::time_point{} + 25ms);
  loop.run_for(10ms);
  CHECK(order == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("event_loop: the past is clamped to now and callbacks may schedule more") {
  event_loop loop;
  std::vector<swim::time_point> seen;
  loop.after(5ms, [&] {
    seen.push_back(loop.now());
    loop.at(swim::time_point{}, [&] { seen.push_back(loop.now()); });  // in the past
    loop.after(1ms, [&] { seen.push_back(loop.now()); });
  });
  loop.run_for(1s);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == swim::time_point{} + 5ms);
  CHECK(seen[1] == swim::time_point{} + 5ms);
  CHECK(seen[2] == swim::time_point{} + 6ms);
  CHECK(loop.pending() == 0);
  CHECK(loop.next_event() == swim::time_point::max());
}

TEST_CASE("event_loop: an event exactly at the end of run_until runs") {
  event_loop loop;
  bool ran = false;
  loop.after(100ms, [&] { ran = true; });
  loop.run_for(99ms);
  CHECK_FALSE(ran);
  loop.run_for(1ms);
  CHECK(ran);
}
