#pragma once
// The room that keeps this node's `cache` tag true ([cache] check): every
// check_interval it runs one probe (agent/cache_probe), feeds the outcome to
// agent::cache_health, and when the node is to be listed or unlisted it sets
// the tag to "up" or "down" in our meta through the driver (an alive with a
// higher incarnation, gossiped to every member) and tells the daemon, so that
// this agent's own list follows at once. The node never leaves gossip: a member
// whose cache is down stays a member, and every agent's publisher leaves it out
// of the peer lists (agent/snapshot.hpp) until its tag says "up" again.
//
// The node starts with cache=down (agent/swim_setup.cpp) and the first probe
// runs at start-up, so a node is listed once its cache has answered. Once a
// leave has started the tag stays as it is (a new meta would undo the leave).

#include <chrono>
#include <functional>
#include <memory>

#include "agent/cache_check.hpp"
#include "agent/config.hpp"

namespace boost::asio {
class io_context;
}
namespace swim::asio {
class driver;
}

namespace agent {

class cache_probe;

class cache_checker {
 public:
  /// Checks `c.check` (which must parse) on `io`, marking the node through `driver`;
  /// `changed` runs after each change of the tag (the daemon republishes).
  cache_checker(boost::asio::io_context& io, const cache_config& c, swim::asio::driver& driver,
                std::function<void()> changed);
  /// Abandons a probe under way (its child, if any, is killed).
  ~cache_checker();
  cache_checker(const cache_checker&) = delete;
  cache_checker& operator=(const cache_checker&) = delete;

  /// Run the first probe now, then one every check_interval.
  void start();
  cache_check_stats stats() const;

  struct timer;  ///< the interval timer (Asio, kept out of this header)

 private:
  void check();
  void on_result(bool ok, const std::string& detail);
  void mark(bool up);

  const cache_config cfg_;
  swim::asio::driver& driver_;
  std::function<void()> changed_;
  cache_health health_;
  std::unique_ptr<cache_probe> probe_;
  std::unique_ptr<timer> timer_;
  std::chrono::steady_clock::time_point started_;          ///< of the probe under way
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  ///< callbacks check it
};

/// A running checker when [cache] check is set, nullptr otherwise.
std::unique_ptr<cache_checker> start_cache_checker(boost::asio::io_context& io,
                                                   const cache_config& c,
                                                   swim::asio::driver& driver,
                                                   std::function<void()> changed);

}  // namespace agent
