// cachecluster: the agent's command line. Errors from start-up code are
// exceptions, caught once here and turned into a message and exit status 1.

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "agent/cli.hpp"
#include "agent/cli_serf.hpp"
#include "agent/config.hpp"
#include "agent/config_overrides.hpp"
#include "agent/daemon.hpp"
#include "agent/discovery_probe.hpp"
#include "agent/discovery_runner.hpp"
#include "agent/keyring_file.hpp"
#include "agent/owner_cmd.hpp"
#include "agent/render_cmd.hpp"

namespace {

/// Print a short, human-readable summary of a validated config.
void print_summary(const std::string& path, const agent::config& cfg, std::size_t warnings) {
  const auto& cl = cfg.cluster;
  std::cout << path << ": OK" << (warnings ? " (" + std::to_string(warnings) + " warnings)" : "")
            << "\n";
  std::cout << "  node       " << cfg.node.name
            << (cfg.node.name_from_host ? " (host name; with GCE discovery the instance name, on Kubernetes the pod name)" : "")
            << "\n";
  std::cout << "  gossip     bind " << agent::host_port{cl.bind, cl.port}.to_string()
            << ", advertise " << (cl.advertise ? cl.advertise->to_string() : "(this instance's IP)")
            << "\n";
  std::cout << "  timing     ";
  if (cl.profile == agent::timing_profile::heartbeat) {
    std::cout << "heartbeat " << agent::format_duration(cl.heartbeat);
  } else {
    std::cout << "profile " << agent::to_string(cl.profile);
  }
  std::cout << ", udp_buffer_size " << cl.udp_buffer_size << ", leave_timeout "
            << agent::format_duration(cl.leave_timeout) << ", push_pull_budget "
            << cl.push_pull_budget << " B/s\n";
  std::cout << "  join       ";
  if (cl.join.empty()) std::cout << "(none)";
  for (std::size_t i = 0; i < cl.join.size(); ++i) {
    std::cout << (i ? ", " : "") << cl.join[i].to_string();
  }
  std::cout << "\n";
  std::cout << "  cache port "
            << (cfg.cache.port ? std::to_string(*cfg.cache.port) : "(not published)") << "\n";
  if (!cfg.cache.check.empty())
    std::cout << "  cache check " << cfg.cache.check << " every "
              << agent::format_duration(cfg.cache.check_interval) << " (timeout "
              << agent::format_duration(cfg.cache.check_timeout) << "), down after "
              << cfg.cache.check_failures << " failure(s), up after " << cfg.cache.check_successes
              << " success(es)\n";
  std::cout << "  discovery  " << agent::describe_discovery(cfg) << "\n";
  std::cout << "  publish    " << cfg.publish.socket << "\n";
  std::cout << "  http       " << cfg.http.listen.to_string() << "\n";
  std::cout << "  encrypt    ";
  if (!cfg.encrypt.enabled()) {
    std::cout << "off (plaintext gossip)";
  } else {
    std::cout << (cfg.encrypt.keyring_file.empty() ? "key" : "keyring " + cfg.encrypt.keyring_file)
              << ", verify_incoming " << (cfg.encrypt.verify_incoming ? "true" : "false")
              << ", verify_outgoing " << (cfg.encrypt.verify_outgoing ? "true" : "false");
  }
  std::cout << "\n";
  std::cout << "  log        " << agent::to_string(cfg.log.level) << ", "
            << agent::to_string(cfg.log.format) << "\n";
  for (const auto& r : cfg.renders)
    std::cout << "  render     " << r.name << ": " << r.template_path << " -> " << r.destination
              << (r.command.empty() ? "" : ", then: " + r.command) << "\n";
  if (!cfg.hooks.on_change.empty()) std::cout << "  on_change  " << cfg.hooks.on_change << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cachecluster: live peer lists for cache nodes on Google Compute Engine",
               "cachecluster"};
  app.require_subcommand(1);

  auto* version = app.add_subcommand("version", "Print the version");

  std::string config_path = "/etc/cachecluster/cachecluster.ini";
  auto* check = app.add_subcommand("check-config", "Load and validate a config file");
  check->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  bool check_probe = false;
  check->add_flag("--probe", check_probe,
                  "Then reach what discovery needs (metadata server, scopes, Compute API; or the "
                  "join list's names) and say what is wrong");

  agent::overrides ov;
  std::string agent_config;
  auto* run = app.add_subcommand("agent", "Run the agent (gossip, peer-list socket, HTTP)");
  run->add_option("-c,--config", agent_config,
                  "Config file (default: /etc/cachecluster/cachecluster.ini if it exists)");
  run->add_option("--node", ov.node, "Member name ([node] name)");
  run->add_option("--bind", ov.bind, "Gossip address, IP or IP:port ([cluster] bind, port)");
  run->add_option("--advertise", ov.advertise, "Address peers reach us at ([cluster] advertise)");
  run->add_option("--join", ov.join, "Seed host:port to join; repeatable ([cluster] join)");
  run->add_option("--profile", ov.profile, "Timings: heartbeat, lan, wan or local ([cluster] profile)");
  run->add_option("--log-level", ov.log_level, "trace, debug, info, warn or error ([log] level)");
  run->add_option("--socket", ov.socket, "Peer-list socket path ([publish] socket)");
  run->add_option("--http", ov.http, "HTTP listen address, IP:port ([http] listen)");
  run->add_option("--encrypt", ov.encrypt, "Gossip encryption key, base64 ([encrypt] key)");

  auto* keygen = app.add_subcommand("keygen", "Print a new random gossip encryption key (base64)");

  // Client commands talk to a running agent over its socket (found after parsing).
  std::string socket;
  auto socket_opt = [&socket](CLI::App* sub) {
    sub->add_option("-s,--socket", socket,
                    "The agent's socket (default: $CACHECLUSTER_SOCKET, else [publish] socket of " +
                        std::string(agent::cli::default_config) + ", else " +
                        agent::cli::default_socket + ")");
  };
  bool members_json = false;
  agent::cli::member_filter members_filter;
  auto* members = app.add_subcommand("members", "List the members the local agent knows");
  socket_opt(members);
  members->add_flag("--json", members_json, "Print JSON (stable, for scripts)");
  members->add_option("--status", members_filter.status, "Only members in this state")
      ->check(CLI::IsMember({"alive", "suspect", "dead", "left"}));
  members->add_option("--name", members_filter.name, "Only members whose name matches this regex");
  members->add_option("--tag", members_filter.tags,
                      "Only members whose tag KEY matches, KEY=REGEX; repeatable");
  auto* watch = app.add_subcommand("watch", "Print every peer-list snapshot the agent publishes");
  socket_opt(watch);
  std::vector<std::string> join_addrs;
  auto* join = app.add_subcommand("join", "Ask the local agent to join these seeds");
  socket_opt(join);
  join->add_option("addresses", join_addrs, "HOST[:PORT] of members to join (IP or DNS name)")->required();
  auto* leave = app.add_subcommand("leave", "Ask the local agent to leave gracefully and exit");
  socket_opt(leave);
  // keys: Serf's key rotation, run on every member through the local agent (`serf keys`).
  std::string keys_key, keys_timeout;
  auto* keys = app.add_subcommand(
      "keys", "Gossip keys of every member: list, install KEY, use KEY, remove KEY");
  socket_opt(keys);
  keys->add_option("--timeout", keys_timeout,
                   "How long to wait for the members' answers, e.g. 5s (default: Serf's, gossip "
                   "interval x 16 x ceil(log10(members + 1)))");
  keys->require_subcommand(1);
  auto* keys_list = keys->add_subcommand("list", "List every member's keys and who holds each");
  auto* keys_install = keys->add_subcommand("install", "Install a key on every member");
  keys_install->add_option("key", keys_key, "The key, base64")->required();
  auto* keys_use = keys->add_subcommand("use", "Make an installed key every member's primary");
  keys_use->add_option("key", keys_key, "The key, base64")->required();
  auto* keys_remove = keys->add_subcommand("remove", "Remove a key (not the primary) everywhere");
  keys_remove->add_option("key", keys_key, "The key, base64")->required();
  for (auto* sub : {keys_list, keys_install, keys_use, keys_remove}) sub->fallthrough();

  agent::cli::owner_args owner_args;
  auto* owner = app.add_subcommand("owner", "Which peer owns each key (live list, or --peers offline)");
  socket_opt(owner);
  owner->add_option("keys", owner_args.keys,
                    "Keys (none: one per line from standard input; -- before a key that starts "
                    "with -)");
  owner->add_option("--algo", owner_args.algo, "groupcache or rendezvous")
      ->check(CLI::IsMember({"groupcache", "rendezvous"}))
      ->capture_default_str();
  owner->add_option("--replicas", owner_args.replicas, "groupcache ring points per peer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  owner->add_option("--peers", owner_args.peers, "Peer URLs, comma-separated, instead of the agent's list")
      ->delimiter(',');

  // Serf's everyday commands (agent/cli_serf.hpp).
  std::string force_leave_node, monitor_level = "info";
  bool info_json = false;
  auto* force_leave = app.add_subcommand("force-leave", "Mark a failed member left everywhere");
  socket_opt(force_leave);
  force_leave->add_option("node", force_leave_node, "Name of the failed member")->required();
  auto* info = app.add_subcommand("info", "The agent, its protocol versions and counters");
  socket_opt(info);
  info->add_flag("--json", info_json, "Print JSON");
  auto* monitor = app.add_subcommand("monitor", "Stream the agent's log until it stops");
  socket_opt(monitor);
  monitor->add_option("--log-level", monitor_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();

  agent::cli::render_args render_args;
  auto* render = app.add_subcommand("render", "Print a template rendered with the live peer list");
  socket_opt(render);
  render->add_option("-t,--template", render_args.template_path, "Mustache template")->required();
  render->add_option("--snapshot", render_args.snapshot, "A saved snapshot line instead of the agent's");
  render->add_option("--escape", render_args.escape, "{{value}} escaping: none, json or html")
      ->capture_default_str();
  render->add_flag("--live-only", render_args.filter.live_only, "Only alive peers (not suspect)");
  render->add_flag("--cache-only", render_args.filter.cache_only, "Only peers with a cache port");
  render->add_flag("--exclude-self", render_args.filter.exclude_self, "Leave this node out");
  render->add_option("--zones", render_args.filter.zones, "Only peers in these zones")->delimiter(',');
  render->add_option("--tag", render_args.tags, "Only peers with tag KEY=VALUE; repeatable");

  CLI11_PARSE(app, argc, argv);
  if (socket.empty() && !*run && !*check && !*version && !*keygen)
    socket = agent::cli::find_socket(std::nullopt, std::getenv("CACHECLUSTER_SOCKET"),
                                     agent::cli::default_config, std::cerr);

  try {
    if (*version) {
      std::cout << "cachecluster " << CACHECLUSTER_VERSION << "\n";
    } else if (*keygen) {
      std::cout << agent::generate_key() << "\n";
    } else if (*check) {
      agent::loaded_config loaded = agent::load_config(config_path);
      for (const auto& w : loaded.warnings) std::cerr << "warning: " << w << "\n";
      print_summary(config_path, loaded.cfg, loaded.warnings.size());
      if (check_probe) return agent::probe_discovery(loaded.cfg, std::cout);
    } else if (*run) {
      agent::loaded_config loaded;
      if (agent_config.empty() && std::filesystem::exists(config_path)) agent_config = config_path;
      if (!agent_config.empty())
        loaded = agent::load_config(agent_config);
      else
        loaded = agent::parse_config("", "(defaults)");
      for (const auto& w : loaded.warnings) std::cerr << "warning: " << w << "\n";
      for (const auto& w : agent::apply_overrides(loaded.cfg, ov))
        std::cerr << "warning: " << w << "\n";
      return agent::run_daemon(loaded.cfg, agent_config);
    } else if (*members) {
      return agent::cli::members(socket, members_json, members_filter, std::cout, std::cerr);
    } else if (*watch) {
      return agent::cli::watch(socket, std::cout, std::cerr);
    } else if (*join) {
      return agent::cli::join(socket, join_addrs, std::cout, std::cerr);
    } else if (*leave) {
      return agent::cli::leave(socket, std::cout, std::cerr);
    } else if (*keys) {
      std::optional<std::chrono::milliseconds> timeout;
      if (!keys_timeout.empty()) {
        timeout = agent::parse_duration(keys_timeout);
        if (!timeout || timeout->count() <= 0) {
          std::cerr << "cachecluster: --timeout " << keys_timeout
                    << ": not a duration (5s, 500ms)\n";
          return 1;
        }
      }
      const auto action = *keys_install ? peerlib::keys_action::install
                          : *keys_use   ? peerlib::keys_action::use
                          : *keys_remove ? peerlib::keys_action::remove
                                         : peerlib::keys_action::list;
      (void)keys_list;
      return agent::cli::keys(socket, action, keys_key, timeout, std::cout, std::cerr);
    } else if (*render) {
      return agent::cli::render(socket, render_args, std::cout, std::cerr);
    } else if (*force_leave) {
      return agent::cli::force_leave(socket, force_leave_node, std::cout, std::cerr);
    } else if (*info) {
      return agent::cli::info(socket, info_json, std::cout, std::cerr);
    } else if (*monitor) {
      return agent::cli::monitor(socket, monitor_level, std::cout, std::cerr);
    } else if (*owner) {
      return agent::cli::owner(socket, owner_args, std::cin, std::cout, std::cerr);
    }
  } catch (const std::exception& e) {
    std::cerr << "cachecluster: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
