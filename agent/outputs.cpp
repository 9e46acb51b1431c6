#include "agent/outputs.hpp"

#include "agent/change_hook.hpp"
#include "agent/exposition.hpp"
#include "agent/renderer.hpp"

namespace agent {

outputs::outputs(boost::asio::io_context& io, const std::vector<render_config>& renders,
                 const hooks_config& hooks)
    : hook_(std::make_unique<change_hook>(io, hooks)) {
  for (const auto& r : renders) renders_.push_back(std::make_unique<renderer>(io, r));
}

outputs::~outputs() = default;

void outputs::published(const peerlib::snapshot& s) {
  for (auto& r : renders_) r->published(s);
  hook_->published(s);
}

outputs_stats outputs::stats() const {
  outputs_stats s;
  for (const auto& r : renders_) s.renders.push_back(r->stats());
  s.hook = hook_->stats();
  return s;
}

void write_outputs_metrics(exposition& m, const outputs_stats& s) {
  if (!s.renders.empty()) {
    m.family("cachecluster_render_total", "counter",
             "Renders of [render.NAME] files by result: written (the file changed), unchanged, "
             "failed (template or write; the old file stays).");
    for (const auto& r : s.renders) {
      m.sample("cachecluster_render_total", {{"name", r.name}, {"result", "written"}}, r.written);
      m.sample("cachecluster_render_total", {{"name", r.name}, {"result", "unchanged"}},
               r.unchanged);
      m.sample("cachecluster_render_total", {{"name", r.name}, {"result", "failed"}}, r.failed);
    }
    m.family("cachecluster_render_commands_total", "counter",
             "Commands run after a [render.NAME] file changed.");
    for (const auto& r : s.renders)
      m.sample("cachecluster_render_commands_total", {{"name", r.name}}, r.commands);
    m.family("cachecluster_render_command_failures_total", "counter",
             "Render commands that exited non-zero, timed out or did not start.");
    for (const auto& r : s.renders)
      m.sample("cachecluster_render_command_failures_total", {{"name", r.name}},
               r.command_failures);
    m.family("cachecluster_render_restored_total", "counter",
             "Previous files put back after their render command failed.");
    for (const auto& r : s.renders)
      m.sample("cachecluster_render_restored_total", {{"name", r.name}}, r.restored);
  }
  m.family("cachecluster_hook_runs_total", "counter",
           "Runs of the [hooks] on_change command by result: ok, failed, timeout.");
  m.sample("cachecluster_hook_runs_total", {{"result", "ok"}}, s.hook.ok);
  m.sample("cachecluster_hook_runs_total", {{"result", "failed"}}, s.hook.failed);
  m.sample("cachecluster_hook_runs_total", {{"result", "timeout"}}, s.hook.timed_out);
  m.counter("cachecluster_hook_coalesced_total",
            "Snapshots the on_change command never ran with: a newer one replaced them while it "
            "ran.",
            s.hook.coalesced);
}

}  // namespace agent

