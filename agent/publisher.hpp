#pragma once
// From the member table to the snapshots subscribers receive. Sans-I/O: the
// caller reports changes with `now`, arms one timer at due_at(), and calls
// publish() with the member table and `now` when it fires (and re-arms at the
// new due_at()). The contract applications rely on (docs/protocol.md):
//   - a lone change is published `coalesce` (50 ms) after it arrived;
//   - a burst of changes becomes few snapshots: a change that arrives less than
//     `coalesce_max` after a change about another member extends its window to
//     `coalesce_max` (1 s) after the window opened, never beyond;
//   - a window that would remove a peer while a failure is still unfolding
//     (other members are suspect, or a peer left a published list less than
//     `burst_hold` ago) is held until it is not, at most `burst_hold` (4 s) after
//     the window opened: more deaths of the same failure are on their way;
//   - a member that flaps (dead, alive, dead again) is held out of the list
//     until its damping penalty decays (agent/flap_damping.hpp); a first crash is
//     removed at full speed and a first come-back admitted at once;
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
#include <string_view>
#include <vector>

#include "agent/config.hpp"
#include "agent/flap_damping.hpp"
#include "peerlib/protocol.hpp"
#include "swim/member.hpp"

namespace agent {

/// How changes are coalesced and members damped ([publish] in docs/config.md).
struct publisher_options {
  /// A lone change waits this long.
  std::chrono::milliseconds coalesce{50};
  /// A burst (a change less than this after a change about another member) keeps its window
  /// open until this long after the window opened.
  std::chrono::milliseconds coalesce_max{1000};
  /// A window that removes a peer while other members are suspect, or soon after another
  /// removal, waits at most this long after it opened (0: never waits).
  std::chrono::milliseconds burst_hold{4000};
  flap_damping_options damping;
};

/// burst_hold's default: 16 probe intervals (4 s at the default 250 ms heartbeat). The deaths
/// of one failure reach a member spread over up to ten seconds at 250 ms (docs/config.md).
inline std::chrono::milliseconds default_burst_hold(std::chrono::microseconds probe_interval) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(16 * probe_interval);
}

/// [publish] as the publisher's options (burst_hold: 16 probe intervals unless set).
publisher_options publisher_options_for(const publish_config& p,
                                        std::chrono::microseconds probe_interval);

class publisher {
 public:
  using clock = std::chrono::steady_clock;

  /// The default coalescing window.
  static constexpr std::chrono::milliseconds default_coalesce{50};

  /// Default options, with a lone change's window of `coalesce`.
  explicit publisher(clock::duration coalesce = default_coalesce);
  explicit publisher(const publisher_options& o);

  /// Something a subscriber may see changed at `now` (a join, a successful discovery, this
  /// node's cache check), about member `who` when known: changes about one member are never
  /// a burst together. Returns due_at() when this opened the window or moved its end,
  /// nullopt otherwise.
  std::optional<clock::time_point> changed(clock::time_point now, std::string_view who = {});
  /// A member event: `m` as the node holds it now (state after the event). Feeds the flap
  /// damping, then changed(now).
  std::optional<clock::time_point> member_changed(const swim::member& m, clock::time_point now);
  /// Another member accused `m` (swim::member_event::accused); its state did not change here.
  /// It counts toward the grey hold (agent/grey_hold.hpp) like a suspicion of our own.
  std::optional<clock::time_point> member_accused(const swim::member& m, clock::time_point now);
  /// When to call publish() next: the end of the open window, or the next re-admission of
  /// a suppressed member, whichever comes first.
  std::optional<clock::time_point> due_at() const;

  /// A join succeeded: leave local mode for good, even before the first member arrives.
  void joined() { local_mode_ = false; }

  /// Close the window and build the view from `members` (every known member, any state, self
  /// included) at `now`. Returns the new snapshot line (no newline) when the view changed
  /// since the last one, nullptr otherwise (nothing visible changed, or the window is held
  /// for suspects: due_at() then says when to try again).
  std::shared_ptr<const std::string> publish(const swim::member& self,
                                             const std::vector<swim::member>& members,
                                             clock::time_point now);

  /// The last published line; builds the first one from `members` if none was published yet.
  std::shared_ptr<const std::string> current(const swim::member& self,
                                             const std::vector<swim::member>& members,
                                             clock::time_point now);

  /// Version of the last published snapshot (0 before the first).
  std::uint64_t version() const { return version_; }
  /// True until a join succeeded or a live peer was seen.
  bool local_mode() const { return local_mode_; }
  /// The last published snapshot, if any.
  const std::optional<peerlib::snapshot>& last() const { return last_; }
  /// Flap counters and suppressed members.
  const flap_damping& damping() const { return damping_; }
  const publisher_options& options() const { return opt_; }

 private:
  std::optional<clock::time_point> touch(clock::time_point now, std::string_view who);

  publisher_options opt_;
  flap_damping damping_;
  std::optional<clock::time_point> opened_;       ///< first change of the open window
  std::optional<clock::time_point> due_;          ///< end of the open window
  std::optional<clock::time_point> last_change_;  ///< the latest change, for bursts
  bool holding_ = false;                          ///< the window waits for suspects
  std::optional<clock::time_point> last_removal_;  ///< a peer last left a published list
  std::string last_subject_;                      ///< whom the latest change was about
  std::string self_;                              ///< never damped
  std::optional<peerlib::snapshot> last_;
  std::shared_ptr<const std::string> line_;
  std::uint64_t version_ = 0;
  bool local_mode_ = true;
};

}  // namespace agent
