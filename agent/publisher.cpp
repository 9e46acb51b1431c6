#include "agent/publisher.hpp"

#include <algorithm>

#include "agent/snapshot.hpp"

namespace agent {

std::optional<publisher::clock::time_point> publisher::changed(clock::time_point now) {
  if (due_) return std::nullopt;  // the open window takes this change too
  due_ = now + coalesce_;
  return due_;
}

std::shared_ptr<const std::string> publisher::publish(const swim::member& self,
                                                      const std::vector<swim::member>& members) {
  due_.reset();
  if (local_mode_ && std::any_of(members.begin(), members.end(), [&](const swim::member& m) {
        return m.name != self.name && (m.state == swim::member_state::alive ||
                                        m.state == swim::member_state::suspect);
      }))
    local_mode_ = false;
  auto snap = build_snapshot(self, members, version_ + 1, local_mode_);
  if (last_ && same_view(*last_, snap)) return nullptr;
  version_++;
  line_ = std::make_shared<const std::string>(peerlib::protocol::encode_snapshot(snap));
  last_ = std::move(snap);
  return line_;
}

std::shared_ptr<const std::string> publisher::current(const swim::member& self,
                                                      const std::vector<swim::member>& members) {
  if (!line_) publish(self, members);
  return line_;
}

}  // namespace agent
