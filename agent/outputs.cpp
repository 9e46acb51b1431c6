#include "agent/outputs.hpp"

#include "agent/change_hook.hpp"
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

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const char* name, const std::string& labels, std::uint64_t v) {
  out += std::string(name) + (labels.empty() ? "" : "{" + labels + "}") + " " +
         std::to_string(v) + "\n";
}

}  // namespace

// Render names are [a-z0-9_-] (agent/config_outputs.cpp): no label escaping needed.
std::string render_outputs_metrics(const outputs_stats& s) {
  std::string out;
  if (!s.renders.empty()) {
    family(out, "cachecluster_render_total", "counter",
           "Renders of [render.NAME] files by result: written (the file changed), unchanged, "
           "failed (template or write; the old file stays).");
    for (const auto& r : s.renders) {
      const std::string n = "name=\"" + r.name + "\"";
      sample(out, "cachecluster_render_total", n + ",result=\"written\"", r.written);
      sample(out, "cachecluster_render_total", n + ",result=\"unchanged\"", r.unchanged);
      sample(out, "cachecluster_render_total", n + ",result=\"failed\"", r.failed);
    }
    family(out, "cachecluster_render_commands_total", "counter",
           "Commands run after a [render.NAME] file changed.");
    for (const auto& r : s.renders)
      sample(out, "cachecluster_render_commands_total", "name=\"" + r.name + "\"", r.commands);
    family(out, "cachecluster_render_command_failures_total", "counter",
           "Render commands that exited non-zero, timed out or did not start.");
    for (const auto& r : s.renders)
      sample(out, "cachecluster_render_command_failures_total", "name=\"" + r.name + "\"",
             r.command_failures);
    family(out, "cachecluster_render_restored_total", "counter",
           "Previous files put back after their render command failed.");
    for (const auto& r : s.renders)
      sample(out, "cachecluster_render_restored_total", "name=\"" + r.name + "\"", r.restored);
  }
  family(out, "cachecluster_hook_runs_total", "counter",
         "Runs of the [hooks] on_change command by result: ok, failed, timeout.");
  sample(out, "cachecluster_hook_runs_total", "result=\"ok\"", s.hook.ok);
  sample(out, "cachecluster_hook_runs_total", "result=\"failed\"", s.hook.failed);
  sample(out, "cachecluster_hook_runs_total", "result=\"timeout\"", s.hook.timed_out);
  family(out, "cachecluster_hook_coalesced_total", "counter",
         "Snapshots the on_change command never ran with: a newer one replaced them while it ran.");
  sample(out, "cachecluster_hook_coalesced_total", "", s.hook.coalesced);
  return out;
}

}  // namespace agent

