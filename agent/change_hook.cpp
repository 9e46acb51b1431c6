#include "agent/change_hook.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

namespace agent {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

}  // namespace

peer_changes diff_peers(const peerlib::snapshot* before, const peerlib::snapshot& after) {
  std::set<std::string> old_names, new_names;
  if (before)
    for (const auto& p : before->peers) old_names.insert(p.name);
  for (const auto& p : after.peers) new_names.insert(p.name);
  peer_changes c;
  std::set_difference(new_names.begin(), new_names.end(), old_names.begin(), old_names.end(),
                      std::back_inserter(c.added));
  std::set_difference(old_names.begin(), old_names.end(), new_names.begin(), new_names.end(),
                      std::back_inserter(c.removed));
  return c;
}

std::vector<std::pair<std::string, std::string>> hook_environment(
    const peerlib::snapshot* before, const peerlib::snapshot& after) {
  auto c = diff_peers(before, after);
  return {{"CACHECLUSTER_VERSION", std::to_string(after.version)},
          {"CACHECLUSTER_ADDED", joined(c.added)},
          {"CACHECLUSTER_REMOVED", joined(c.removed)}};
}

change_hook::change_hook(boost::asio::io_context& io, hooks_config cfg)
    : cfg_(std::move(cfg)), runner_(io) {}

void change_hook::published(const peerlib::snapshot& s) {
  if (cfg_.on_change.empty()) return;
  if (auto job = queue_.submit(s)) start(std::move(*job));
}

hook_stats change_hook::stats() const {
  hook_stats s = stats_;
  s.coalesced = queue_.coalesced();
  return s;
}

void change_hook::start(peerlib::snapshot s) {
  command_spec spec;
  spec.command = cfg_.on_change;
  spec.input = peerlib::protocol::encode_snapshot(s) + "\n";
  spec.env = hook_environment(last_run_.get(), s);
  spec.timeout = cfg_.timeout;
  const std::uint64_t version = s.version;
  last_run_ = std::make_unique<peerlib::snapshot>(std::move(s));
  runner_.run(std::move(spec), [this, version](command_result r) {
    if (r.ok()) {
      ++stats_.ok;
      spdlog::info("hook on_change (snapshot {}): exit 0 in {} ms", version, r.took.count());
      if (!r.err.empty()) spdlog::info("hook on_change stderr: {}", r.err);
    } else {
      ++(r.result == command_result::outcome::timed_out ? stats_.timed_out : stats_.failed);
      spdlog::warn("hook on_change (snapshot {}) failed: {}{}{}", version, r.describe(),
                   r.err.empty() ? "" : "; stderr: ", r.err);
    }
    if (auto next = queue_.finished()) start(std::move(*next));
  });
}

}  // namespace agent
