#pragma once
// From the member table to the snapshots subscribers receive. Sans-I/O: the
// caller reports changes with `now`, arms one timer at due_at(), and calls
// publish() with the member table when it fires. The contract applications
// rely on (docs/protocol.md):
//   - a burst of changes within the coalescing window becomes one snapshot;
//   - a snapshot is published only when something a subscriber can see changed,
//     and its version is one more than the last one (versions only grow);
//   - live members are listed (suspect ones too), self included, by name;
//   - local mode holds until the agent first joins or sees a live peer, and
//     never comes back afterwards (an empty cluster later is a real answer).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peerlib/protocol.hpp"
#include "swim/member.hpp"

namespace agent {

class publisher {
 public:
  using clock = std::chrono::steady_clock;

  /// The default coalescing window.
  static constexpr std::chrono::milliseconds default_coalesce{50};

  explicit publisher(clock::duration coalesce = default_coalesce) : coalesce_(coalesce) {}

  /// Something a subscriber may see changed at `now`. Returns the time to call publish() at
  /// when this opens a coalescing window, nullopt when one is already open.
  std::optional<clock::time_point> changed(clock::time_point now);
  /// When the open window closes, if one is open.
  std::optional<clock::time_point> due_at() const { return due_; }

  /// A join succeeded: leave local mode for good, even before the first member arrives.
  void joined() { local_mode_ = false; }

  /// Close the window and build the view from `members` (every known member, any state, self
  /// included). Returns the new snapshot line (no newline) when the view changed since the
  /// last one, nullptr otherwise.
  std::shared_ptr<const std::string> publish(const swim::member& self,
                                             const std::vector<swim::member>& members);

  /// The last published line; builds the first one from `members` if none was published yet.
  std::shared_ptr<const std::string> current(const swim::member& self,
                                             const std::vector<swim::member>& members);

  /// Version of the last published snapshot (0 before the first).
  std::uint64_t version() const { return version_; }
  /// True until a join succeeded or a live peer was seen.
  bool local_mode() const { return local_mode_; }
  /// The last published snapshot, if any.
  const std::optional<peerlib::snapshot>& last() const { return last_; }

 private:
  clock::duration coalesce_;
  std::optional<clock::time_point> due_;
  std::optional<peerlib::snapshot> last_;
  std::shared_ptr<const std::string> line_;
  std::uint64_t version_ = 0;
  bool local_mode_ = true;
};

}  // namespace agent
