#pragma once
// The outputs room: what the agent does with each published peer list besides
// sending it to subscribers: the [render.NAME] files (agent/renderer.hpp) and
// the [hooks] on_change command (agent/change_hook.hpp). The daemon hands it
// every snapshot it publishes, so flap damping, burst holds and everything else
// the publisher applies hold for files and hooks too. Runs on the io_context's
// thread; commands run as child processes and never block it.

#include <memory>
#include <vector>

#include "agent/outputs_config.hpp"
#include "agent/outputs_stats.hpp"
#include "peerlib/protocol.hpp"

namespace boost::asio {
class io_context;
}

namespace agent {

class renderer;
class change_hook;

class outputs {
 public:
  outputs(boost::asio::io_context& io, const std::vector<render_config>& renders,
          const hooks_config& hooks);
  /// Kills commands still running.
  ~outputs();

  /// A snapshot was published.
  void published(const peerlib::snapshot& s);
  outputs_stats stats() const;

 private:
  std::vector<std::unique_ptr<renderer>> renders_;
  std::unique_ptr<change_hook> hook_;
};

}  // namespace agent
