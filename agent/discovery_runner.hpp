#pragma once
// GCE discovery inside the agent: when to ask the Compute API, on which thread,
// and what to do with the answer. The provider's calls block (libcurl), so each
// poll runs on a worker thread and its result is posted back to the agent's
// io_context; the agent's own state is only touched there. A failed poll
// never removes peers; gossip keeps membership between polls.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "gce/discovery.hpp"
#include "gce/poll_policy.hpp"

namespace boost::asio {
class io_context;
}

namespace agent {

/// True when `cfg` asks for GCE discovery ([cluster] discovery, or "auto": no join list and
/// GCE settings present or GCE_METADATA_HOST set).
bool wants_gce(const config& cfg);

/// The Compute API provider for `cfg`, reading this VM's identity from the metadata server,
/// with HTTP requests sent from `bind_ip` (so an emulator can tell VMs apart by source).
/// Blocking; throws config_error with an actionable message when it cannot start.
std::unique_ptr<gce::gce_provider> make_gce_provider(const config& cfg, const std::string& bind_ip);

/// What the runner asks of the agent (always called on the io_context thread).
struct discovery_hooks {
  std::function<std::size_t()> live_members;                  ///< alive members, self included
  std::function<void(std::vector<std::string>)> join;         ///< candidate "ip:port" to join
  std::function<void(const gce::discovery_result&)> finished;  ///< after every poll
  std::function<void()> preempted;                            ///< this VM is being preempted
};

/// Polls the provider on the shared cluster budget and watches for preemption.
class discovery_runner {
 public:
  /// `metadata_host` and `bind_ip` configure the preemption watch's own metadata client.
  discovery_runner(boost::asio::io_context& io, std::shared_ptr<gce::provider> provider,
                   gce::poll_config poll, discovery_hooks hooks, std::string metadata_host,
                   std::string bind_ip, std::uint64_t seed);
  ~discovery_runner();
  discovery_runner(const discovery_runner&) = delete;
  discovery_runner& operator=(const discovery_runner&) = delete;

  /// Schedule the first poll (spread over a couple of seconds) and start the preemption watch.
  void start();
  /// Stop scheduling; polls in flight finish on their thread and are ignored.
  void stop();
  /// Polls started so far.
  std::uint64_t polls() const;

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace agent
