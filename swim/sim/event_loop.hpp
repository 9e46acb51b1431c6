#pragma once
// Virtual time for the simulator: a clock that only moves when the loop runs,
// and a heap of callbacks ordered by (deadline, seq). The seq makes events
// scheduled for the same instant run in the order they were scheduled, so a
// run is a pure function of its inputs and its seed (tarantool fakeev).

#include <cstdint>
#include <functional>
#include <vector>

#include "swim/time.hpp"

namespace swim::sim {

/// A single-threaded virtual clock plus an event heap. No globals: several
/// loops may live in one process.
class event_loop {
 public:
  using callback = std::function<void()>;

  /// A loop whose clock starts at `start` (the epoch by default).
  explicit event_loop(time_point start = time_point{});

  /// The current virtual time.
  time_point now() const { return now_; }
  /// Run `fn` at `at` (clamped to now: the past is not reachable).
  void at(time_point at, callback fn);
  /// Run `fn` after `d` of virtual time.
  void after(duration d, callback fn) { at(now_ + d, std::move(fn)); }

  /// Run the earliest event, advancing the clock to it; false when the heap is empty.
  bool step();
  /// Run every event due at or before `end`, then set the clock to `end`.
  void run_until(time_point end);
  /// Run for `d` of virtual time.
  void run_for(duration d) { run_until(now_ + d); }

  /// Number of pending events.
  std::size_t pending() const { return heap_.size(); }
  /// Deadline of the earliest pending event (time_point::max() when none).
  time_point next_event() const;
  /// Events run since construction (a cost figure for the benchmark).
  std::uint64_t events_run() const { return events_run_; }

 private:
  struct event {
    time_point deadline;
    std::uint64_t seq;
    callback fn;
  };
  // Min-heap on (deadline, seq) via std::push_heap/pop_heap with "greater".
  static bool later(const event& a, const event& b) {
    if (a.deadline != b.deadline) return a.deadline > b.deadline;
    return a.seq > b.seq;
  }

  time_point now_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_run_ = 0;
  std::vector<event> heap_;
};

}  // namespace swim::sim
