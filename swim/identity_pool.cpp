#include "swim/identity_pool.hpp"

#include <algorithm>

namespace swim {

identity_pool::handle identity_pool::intern(std::string_view name, const address& addr,
                                            const bytes& meta,
                                            const std::array<std::uint8_t, 6>& vsn) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) it = by_name_.emplace(std::string(name), 0).first;
  auto& held = it->second;
  for (auto w = held.begin(); w != held.end();) {
    handle h = w->lock();
    if (!h) {
      w = held.erase(w);
      continue;
    }
    if (h->addr == addr && h->vsn == vsn && h->meta == meta) return h;
    ++w;
  }
  // A separate allocation (not make_shared), so that a weak reference left here keeps only
  // the small control block alive once the last table lets the identity go.
  handle h(new member_identity{std::string(name), addr, meta, vsn});
  held.push_back(h);
  if (++interned_since_sweep_ >= 4096 && interned_since_sweep_ >= by_name_.size()) sweep();
  return h;
}

std::size_t identity_pool::size() const {
  std::size_t n = 0;
  for (const auto& [name, held] : by_name_)
    n += static_cast<std::size_t>(
        std::count_if(held.begin(), held.end(), [](const auto& w) { return !w.expired(); }));
  return n;
}

void identity_pool::sweep() {
  interned_since_sweep_ = 0;
  for (auto it = by_name_.begin(); it != by_name_.end();) {
    auto& held = it->second;
    held.erase(std::remove_if(held.begin(), held.end(), [](const auto& w) { return w.expired(); }),
               held.end());
    it = held.empty() ? by_name_.erase(it) : std::next(it);
  }
}

}  // namespace swim
