#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/renderer.hpp"

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include "agent/atomic_file.hpp"
#include "agent/render_view.hpp"

namespace agent {

struct renderer::timer {
  explicit timer(boost::asio::io_context& io) : t(io) {}
  boost::asio::steady_timer t;
  std::optional<debounce::clock::time_point> armed;
};

renderer::renderer(boost::asio::io_context& io, render_config cfg)
    : cfg_(std::move(cfg)),
      wait_(cfg_.wait_min, cfg_.wait_max),
      timer_(std::make_unique<timer>(io)),
      runner_(io) {
  stats_.name = cfg_.name;
}

renderer::~renderer() = default;

void renderer::published(const peerlib::snapshot& s) {
  latest_ = s;
  wait_.changed(debounce::clock::now());
  arm();
}

void renderer::arm() {
  auto at = wait_.due_at();
  if (!at || at == timer_->armed) return;
  timer_->armed = at;
  timer_->t.expires_at(*at);
  timer_->t.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    timer_->armed.reset();
    if (!wait_.take(debounce::clock::now())) return arm();
    if (runner_.busy()) {
      deferred_ = true;
      return;
    }
    render();
  });
}

void renderer::render() {
  if (!latest_) return;
  const std::string where = "render " + cfg_.name;
  std::string error;
  auto tmpl = read_file(cfg_.template_path, &error);
  if (!tmpl) {
    ++stats_.failed;
    spdlog::error("{}: cannot read the template {}: {}; keeping {}", where, cfg_.template_path,
                  error.empty() ? "no such file" : error, cfg_.destination);
    return;
  }
  auto r = render_template(*tmpl, *latest_, cfg_.filter, cfg_.escape);
  if (!r.ok) {
    ++stats_.failed;
    spdlog::error("{}: {}: {}; keeping {}", where, cfg_.template_path, r.error, cfg_.destination);
    return;
  }
  std::optional<std::string> previous = read_file(cfg_.destination);
  auto w = write_if_changed(cfg_.destination, r.text, cfg_.mode);
  if (w.outcome == write_outcome::failed) {
    ++stats_.failed;
    spdlog::error("{}: {}; keeping the old file", where, w.error);
    return;
  }
  if (w.outcome == write_outcome::unchanged) {
    ++stats_.unchanged;
    spdlog::debug("{}: {} unchanged (snapshot {})", where, cfg_.destination, latest_->version);
    return;
  }
  ++stats_.written;
  spdlog::info("{}: wrote {} ({} bytes, snapshot {})", where, cfg_.destination, r.text.size(),
               latest_->version);
  if (cfg_.command.empty()) return;
  ++stats_.commands;
  command_spec spec;
  spec.command = cfg_.command;
  spec.timeout = cfg_.command_timeout;
  spec.env = {{"CACHECLUSTER_RENDER", cfg_.name},
              {"CACHECLUSTER_DESTINATION", cfg_.destination},
              {"CACHECLUSTER_VERSION", std::to_string(latest_->version)}};
  runner_.run(std::move(spec), [this, previous = std::move(previous),
                                written = std::move(r.text)](command_result res) mutable {
    command_done(res, std::move(previous), std::move(written));
  });
}

void renderer::command_done(const command_result& r, std::optional<std::string> previous,
                            std::string written) {
  const std::string where = "render " + cfg_.name;
  if (r.ok()) {
    spdlog::info("{}: command exit 0 in {} ms", where, r.took.count());
  } else {
    ++stats_.command_failures;
    spdlog::error("{}: command failed: {}{}{}", where, r.describe(),
                  r.err.empty() ? "" : "; stderr: ", r.err);
    // Put the previous file back, if the file is still ours: the service keeps a config it
    // accepted, and the next change renders and runs the command again.
    if (cfg_.restore_on_failure && previous && read_file(cfg_.destination) == written) {
      auto w = write_if_changed(cfg_.destination, *previous, cfg_.mode);
      if (w.outcome == write_outcome::written) {
        ++stats_.restored;
        spdlog::warn("{}: put the previous {} back", where, cfg_.destination);
      } else if (w.outcome == write_outcome::failed) {
        spdlog::error("{}: cannot put the previous file back: {}", where, w.error);
      }
    }
  }
  if (deferred_) {
    deferred_ = false;
    render();
  }
}

}  // namespace agent
