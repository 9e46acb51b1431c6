#include "agent/candidate_picker.hpp"

#include <algorithm>

namespace agent {

std::vector<swim::address> candidate_picker::offer(const std::vector<swim::address>& fresh,
                                                   clock::time_point now) {
  pool_.clear();
  succeeded_ = 0;
  for (const auto& a : fresh) {
    const bool asked = std::any_of(in_flight_.begin(), in_flight_.end(),
                                   [&](const pending& p) { return p.addr == a; });
    if (!asked && std::find(pool_.begin(), pool_.end(), a) == pool_.end()) pool_.push_back(a);
  }
  std::shuffle(pool_.begin(), pool_.end(), rng_);
  return fill(now);
}

std::vector<swim::address> candidate_picker::result(const swim::address& addr, bool ok,
                                                    clock::time_point now) {
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                         [&](const pending& p) { return p.addr == addr; });
  if (it == in_flight_.end()) return {};
  in_flight_.erase(it);
  if (ok) succeeded_++;
  return fill(now);
}

std::vector<swim::address> candidate_picker::fill(clock::time_point now) {
  // A join whose report never came frees its place.
  std::erase_if(in_flight_, [&](const pending& p) { return now - p.since >= opt_.answer_within; });
  std::vector<swim::address> out;
  const std::size_t batch = std::max<std::size_t>(opt_.batch, 1);
  while (!pool_.empty() && in_flight_.size() + succeeded_ < batch) {
    out.push_back(pool_.back());
    pool_.pop_back();
    in_flight_.push_back({out.back(), now});
  }
  return out;
}

}  // namespace agent
