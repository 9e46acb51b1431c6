#include "swim/sim/event_loop.hpp"

#include <algorithm>
#include <utility>

namespace swim::sim {

event_loop::event_loop(time_point start) : now_(start) {}

void event_loop::at(time_point at, callback fn) {
  heap_.push_back(event{std::max(at, now_), next_seq_++, std::move(fn)});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

bool event_loop::step() {
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  event ev = std::move(heap_.back());
  heap_.pop_back();
  now_ = ev.deadline;
  ++events_run_;
  // The callback may schedule more events; it owns nothing in the heap.
  ev.fn();
  return true;
}

void event_loop::run_until(time_point end) {
  while (!heap_.empty() && heap_.front().deadline <= end) step();
  if (end > now_) now_ = end;
}

time_point event_loop::next_event() const {
  return heap_.empty() ? time_point::max() : heap_.front().deadline;
}

}  // namespace swim::sim
