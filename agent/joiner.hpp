#pragma once
// Getting into the cluster: the static join list (resolved through the system
// resolver, retried with back-off until a seed answers), joins asked for on the
// control socket, and discovery candidates gossip does not know yet. Outcomes
// come from the node (delegate::on_join_result), one per address joined;
// nothing here polls.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "swim/address.hpp"

namespace boost::asio {
class io_context;
}

namespace agent {

/// What the joiner asks of the agent (always on the io_context thread).
struct joiner_hooks {
  /// Start a push-pull join with each address (swim::asio::driver::join).
  std::function<void(const std::vector<swim::address>&)> join;
  /// A join succeeded (every time one does).
  std::function<void()> joined;
};

class joiner {
 public:
  /// `default_port` completes addresses given without one; a control-socket join waits at
  /// most `control_timeout` for its answers.
  joiner(boost::asio::io_context& io, std::uint16_t default_port,
         std::chrono::milliseconds control_timeout, joiner_hooks hooks);
  ~joiner();
  joiner(const joiner&) = delete;
  joiner& operator=(const joiner&) = delete;

  /// Join through `seeds`; until one answers, retry after 1 s, doubling up to 30 s.
  void join_seeds(std::vector<host_port> seeds);
  /// A new join list (SIGHUP); the next retry uses it.
  void set_seeds(std::vector<host_port> seeds);
  /// A join asked for on the control socket: each of `addresses` is "IP" or "IP:port".
  /// `reply(ok, message)` runs once every address answered or failed, or at the timeout.
  void join_addresses(const std::vector<std::string>& addresses,
                      std::function<void(bool ok, std::string message)> reply);
  /// Join the discovery candidates ("IP:port") that are not in `known` (the addresses of
  /// members gossip holds alive or suspect): new VMs, or the other side of a partition.
  void join_candidates(const std::vector<std::string>& candidates,
                       const std::vector<swim::address>& known);
  /// The node's report for one address (delegate::on_join_result).
  void on_join_result(const swim::address& seed, bool ok);
  /// Cancel retries and pending replies (at shutdown).
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace agent
