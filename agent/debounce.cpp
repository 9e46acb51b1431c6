#include "agent/debounce.hpp"

#include <algorithm>

namespace agent {

debounce::clock::time_point debounce::changed(clock::time_point now) {
  if (!first_) first_ = now;
  last_ = now;
  return *due_at();
}

std::optional<debounce::clock::time_point> debounce::due_at() const {
  if (!first_) return std::nullopt;
  return std::min(last_ + min_, *first_ + max_);
}

bool debounce::take(clock::time_point now) {
  auto due = due_at();
  if (!due || now < *due) return false;
  first_.reset();
  return true;
}

}  // namespace agent
