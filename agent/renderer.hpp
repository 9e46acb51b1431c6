#pragma once
// One [render.NAME]: the template rendered into its destination with each new
// peer list, like consul-template. After `wait` (agent/debounce.hpp) it reads
// the template, renders the view of the latest snapshot (agent/render_view.hpp),
// writes the file atomically when its content differs (agent/atomic_file.hpp),
// and then runs the command (agent/command_runner.hpp). A failed render keeps
// the old file; a failed command puts the previous file back (unless
// restore_on_failure = false). Either way it is logged, counted, and tried again
// with the next change. A render due while the command runs waits for it.

#include <memory>
#include <optional>
#include <string>

#include "agent/command_runner.hpp"
#include "agent/debounce.hpp"
#include "agent/outputs_config.hpp"
#include "agent/outputs_stats.hpp"
#include "peerlib/protocol.hpp"

namespace agent {

class renderer {
 public:
  renderer(boost::asio::io_context& io, render_config cfg);
  ~renderer();

  /// A snapshot was published: render it once the wait is over.
  void published(const peerlib::snapshot& s);
  const render_stats& stats() const { return stats_; }

 private:
  void arm();
  void render();
  void command_done(const command_result& r, std::optional<std::string> previous,
                    std::string written);

  struct timer;
  render_config cfg_;
  debounce wait_;
  std::unique_ptr<timer> timer_;
  command_runner runner_;
  std::optional<peerlib::snapshot> latest_;
  bool deferred_ = false;  ///< a render came due while the command ran
  render_stats stats_;
};

}  // namespace agent
