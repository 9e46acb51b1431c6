#pragma once
// One job at a time, and only the latest of those that arrive meanwhile: a burst
// of changes while a command runs gives one more run, with the newest input
// (the [hooks] on_change command). Sans-I/O.

#include <cstdint>
#include <optional>
#include <utility>

namespace agent {

template <class T>
class latest_only {
 public:
  /// `job` arrived: returns it when nothing runs (the caller starts it now), else keeps it
  /// as the next one, replacing (coalescing) any kept before.
  std::optional<T> submit(T job) {
    if (!running_) {
      running_ = true;
      return std::optional<T>(std::move(job));
    }
    if (next_) ++coalesced_;
    next_ = std::move(job);
    return std::nullopt;
  }
  /// The running job finished: returns the next one to start, if any arrived.
  std::optional<T> finished() {
    std::optional<T> n = std::move(next_);
    next_.reset();
    running_ = n.has_value();
    return n;
  }
  bool running() const { return running_; }
  /// Jobs replaced by a newer one before they started.
  std::uint64_t coalesced() const { return coalesced_; }

 private:
  bool running_ = false;
  std::optional<T> next_;
  std::uint64_t coalesced_ = 0;
};

}  // namespace agent
