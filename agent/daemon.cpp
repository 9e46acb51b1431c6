#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/daemon.hpp"

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <system_error>
#include <spdlog/spdlog.h>

#include "agent/cache_checker.hpp"
#include "agent/control_server.hpp"
#include "agent/discovery_runner.hpp"
#include "agent/http_handler.hpp"
#include "agent/http_server.hpp"
#include "agent/joiner.hpp"
#include "agent/key_manager.hpp"
#include "agent/logging.hpp"
#include "agent/outputs.hpp"
#include "agent/publisher.hpp"
#include "agent/reload.hpp"
#include "agent/serf_ops.hpp"
#include "agent/serf_queries.hpp"
#include "agent/service_notify.hpp"
#include "agent/status.hpp"
#include "agent/swim_setup.hpp"
#include "swim/asio/driver.hpp"
#include "swim/tags.hpp"

namespace agent {

namespace net = boost::asio;

/// The running agent's lifecycle: start, signals, reload, leave, stop. The rooms it wires
/// (driver, publisher, joiner, discovery, control socket, HTTP) live on the io_context thread.
class daemon : public swim::delegate {
 public:
  daemon(const config& c, std::string path) : cfg_(c), config_path_(std::move(path)) {}

  int run() {
    start();
    wait_signal();
    io_.run();
    shutdown();
    return exit_code_;
  }

  // ---- swim::delegate ----
  void on_member_event(const swim::member& m, swim::member_event ev) override {
    using swim::member_event;
    switch (ev) {
      case member_event::join: spdlog::info("member {} joined ({})", m.name, m.addr.to_string()); break;
      case member_event::dead: spdlog::warn("member {} failed", m.name); break;
      case member_event::left: spdlog::info("member {} left", m.name); break;
      case member_event::suspect: spdlog::debug("member {} suspect", m.name); break;
      case member_event::refuted: spdlog::debug("member {} alive again", m.name); break;
      case member_event::update: spdlog::info("member {} updated", m.name); break;
      case member_event::reaped: spdlog::debug("member {} forgotten", m.name); break;
      case member_event::accused: spdlog::debug("member {} accused by another member", m.name); break;
    }
    if (!ready_ && m.state == swim::member_state::alive) ready_ = true;
    if (ev == member_event::accused)
      publisher_.member_accused(m, std::chrono::steady_clock::now());
    else
      publisher_.member_changed(m, std::chrono::steady_clock::now());
    arm_publish();
    // Partition heal counts live members once the node's entry point has returned.
    net::post(io_, [this, left = ev == swim::member_event::left] {
      if (joiner_ && driver_) joiner_->members_changed(driver_->node().num_live(), left);
    });
  }
  void on_conflict(const swim::member& existing, const swim::member& other) override {
    spdlog::error("name conflict: {} is at {} but {} claims it too", existing.name,
                  existing.addr.to_string(), other.addr.to_string());
  }
  void on_join_result(const swim::address& seed, bool ok) override {
    // From inside a node entry point: the joiner's replies and retries only touch the agent.
    if (joiner_) joiner_->on_join_result(seed, ok);
  }
  void on_remote_state(swim::byte_view user_state) override {
    net::post(io_, [this, s = swim::bytes(user_state.begin(), user_state.end())] {
      if (queries_) queries_->on_remote_state(s);
    });
  }
  void on_user_message(swim::byte_view payload) override {
    // From inside a node entry point: Serf's queries are answered once it has returned (the
    // answers, and key changes, go back into the node).
    net::post(io_, [this, p = swim::bytes(payload.begin(), payload.end())] {
      if (!queries_) return;
      queries_->on_user_message(p, swim_now());
      arm_queries();
    });
  }

 private:
  void start() {
    started_ = std::chrono::steady_clock::now();
    const swim::address bind = bind_address(cfg_);

    node_setup ns = prepare_node(cfg_, bind);
    provider_ = std::move(ns.provider);
    swim::config& sc = ns.sc;
    const swim::keyring& ring = ns.ring;
    publisher_ = publisher(publisher_options_for(cfg_.publish, sc.t.probe_interval));

    std::random_device rd;
    const std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    driver_ = make_driver(io_, sc, *this, bind, seed);
    keys_ = std::make_unique<key_manager>(cfg_.encrypt, ring, [this](const swim::keyring& r) {
      driver_->set_keyring(r);
      spdlog::info("gossip keys changed: {} installed", r.keys().size());
    });

    joiner_hooks jh;
    jh.join = [this](const std::vector<swim::address>& addrs) { driver_->join(addrs); };
    jh.joined = [this] {
      ready_ = true;
      publisher_.joined();
      changed();
    };
    jh.known = [this] { return live_addresses(); };
    joiner_ = std::make_unique<joiner>(
        io_, cfg_.cluster.port,
        std::chrono::duration_cast<std::chrono::milliseconds>(sc.t.tcp_timeout), std::move(jh));

    start_serf_queries(sc, seed);

    control_handlers h;
    h.snapshot = [this] {
      const auto& n = driver_->node();
      return publisher_.current(n.self(), n.members(), std::chrono::steady_clock::now());
    };
    h.members = [this] {  // /v1/members' document, without its newline (the socket adds one)
      return peerlib::protocol::encode_members(to_members_document(make_status()));
    };
    h.keys = [this](peerlib::request req, std::function<void(std::string)> reply) {
      std::optional<swim::duration> timeout;
      if (req.timeout_ms) timeout = std::chrono::milliseconds(*req.timeout_ms);
      queries_->keys(req.action, req.key, timeout, swim_now(),
                     [reply = std::move(reply)](peerlib::keys_result r) {
                       reply(peerlib::protocol::encode_keys_result(r));
                     });
      arm_queries();
    };
    h.join = [this](std::vector<std::string> addrs, std::function<void(std::string)> reply) {
      joiner_->join_addresses(addrs, [reply = std::move(reply)](bool ok, std::string message) {
        reply(peerlib::protocol::encode_result({ok, std::move(message)}));
      });
    };
    h.leave = [this](std::function<void(std::string)> reply) { start_leave(std::move(reply)); };
    h.force_leave = [this](const std::string& node) {  // agent/serf_ops.hpp
      return peerlib::protocol::encode_result(force_leave_reply(driver_->force_leave(node), node));
    };
    h.info = [this] { return peerlib::protocol::encode_info(make_info(make_status())); };
    control_ = std::make_unique<control_server>(io_, cfg_.publish.socket, std::move(h),
                                                cfg_.publish.max_sessions);
    http_ = std::make_unique<http_server>(io_, cfg_.http.listen, [this] { return make_status(); });
    outputs_ = std::make_unique<outputs>(io_, cfg_.renders, cfg_.hooks);  // files and hooks

    driver_->start();
    cache_ = start_cache_checker(io_, cfg_.cache, *driver_,
                                 [this] { changed(driver_->node().self().name); });
    control_->start();
    http_->start();
    spdlog::info("agent {} started: gossip {} (advertise {}, {}), socket {}, http {}", sc.name,
                 driver_->local_address().to_string(), sc.advertise.to_string(),
                 ring.empty() ? "plaintext"
                              : std::to_string(ring.keys().size()) + " key(s), AES-GCM",
                 cfg_.publish.socket, cfg_.http.listen.to_string());
    // Caught from here on, before READY: a service manager may stop us as soon as it reads it,
    // and that must be a leave. Until now (a start-up wait included) a signal ends the agent.
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
    notify_.ready("gossip " + driver_->local_address().to_string() + ", joining");

    ready_ = !provider_ && cfg_.cluster.join.empty();
    joiner_->join_seeds(cfg_.cluster.join);  // no seeds: nothing to do
    if (provider_) start_discovery(seed);
    publish();
  }

  // ---- Serf's queries and events (agent/serf_queries.hpp) ----

  static swim::time_point swim_now() {
    return std::chrono::time_point_cast<swim::duration>(std::chrono::steady_clock::now());
  }

  void start_serf_queries(const swim::config& sc, std::uint64_t seed) {
    const swim::member self = driver_->node().self();
    serf_queries_config qc;
    qc.name = self.name;
    qc.advertise = self.addr;
    qc.tags = swim::decode_tags(self.meta).value_or(swim::tag_map{});
    qc.gossip_interval = sc.t.gossip_interval;
    serf_queries_hooks qh;
    qh.send_to = [this](const swim::address& to, swim::bytes b) {
      driver_->send_user(to, std::move(b));
    };
    qh.broadcast = [this](swim::bytes b) { driver_->broadcast_user(std::move(b)); };
    qh.members = [this] { return driver_->node().members(); };
    queries_ = std::make_unique<serf_queries>(std::move(qc), *keys_, std::move(qh),
                                              seed ^ 0x5851f42d4c957f2dull);
  }

  /// Wake up at the next deadline of our open key queries.
  void arm_queries() {
    auto at = queries_->next_deadline();
    if (!at) return;
    queries_timer_.expires_at(std::chrono::steady_clock::time_point(at->time_since_epoch()));
    queries_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      queries_->tick(swim_now());
      arm_queries();
    });
  }

  // ---- publishing ----

  /// Something subscribers may see changed (about member `who`, when known): publish when the
  /// coalescing window closes.
  void changed(std::string_view who = {}) {
    publisher_.changed(std::chrono::steady_clock::now(), who);
    arm_publish();
  }

  /// One timer at the publisher's due_at(): the window's end (which a burst moves later and a
  /// held window earlier) or a flapping member's re-admission.
  void arm_publish() {
    auto at = publisher_.due_at();
    if (!at || at == publish_armed_) return;
    publish_armed_ = at;
    publish_timer_.expires_at(*at);
    publish_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      publish_armed_.reset();
      publish();
    });
  }

  void publish() {
    const auto& n = driver_->node();
    if (auto line = publisher_.publish(n.self(), n.members(), std::chrono::steady_clock::now())) {
      control_->publish(line);
      outputs_->published(*publisher_.last());
      spdlog::debug("published snapshot {} ({} live peers)", publisher_.version(),
                    publisher_.last()->peers.size());
    }
    arm_publish();
  }

  /// Addresses of the members gossip holds alive or suspect.
  std::vector<swim::address> live_addresses() const {
    std::vector<swim::address> out;
    for (const auto& m : driver_->node().members())
      if (m.state == swim::member_state::alive || m.state == swim::member_state::suspect)
        out.push_back(m.addr);
    return out;
  }

  status make_status() {
    status s;
    const auto& n = driver_->node();
    s.node_name = n.self().name;
    s.version = CACHECLUSTER_VERSION;
    s.ready = ready_;
    s.local_mode = publisher_.local_mode() && n.num_live() <= 1;
    s.leaving = leaving_;
    s.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    fill_status(s, *driver_, publisher_, cache_.get());
    s.agent = control_->stats();
    if (queries_) s.serf = queries_->stats();
    if (discovery_) s.discovery = discovery_->stats();
    if (outputs_) s.outputs = outputs_->stats();
    return s;
  }

  // ---- discovery (agent/discovery_runner.hpp) ----

  void start_discovery(std::uint64_t seed) {
    discovery_hooks h;
    h.live_members = [this] { return driver_->node().num_live(); };
    h.join = [this](std::vector<std::string> candidates) {
      joiner_->join_candidates(candidates, live_addresses());
    };
    h.ready = [this](std::size_t candidates) {
      if (ready_) return;
      ready_ = true;
      spdlog::info("discovery complete: {} candidate peer(s)", candidates);
      changed();
    };
    h.preempted = [this] {
      spdlog::warn("this VM is being preempted: leaving the cluster now");
      start_leave(nullptr);
    };
    discovery_ = std::make_unique<discovery_runner>(io_, provider_, cfg_, std::move(h),
                                                    seed ^ 0x9e3779b97f4a7c15ull);
    discovery_->start();
  }

  // ---- leave, signals, reload, stop ----

  void start_leave(std::function<void(std::string)> reply) {
    if (reply) leave_replies_.push_back(std::move(reply));
    if (leaving_) return;
    leaving_ = true;
    notify_.stopping();
    joiner_->stop();
    spdlog::info("leaving the cluster (up to {} ms)", cfg_.cluster.leave_timeout.count());
    driver_->leave(std::chrono::duration_cast<swim::duration>(cfg_.cluster.leave_timeout),
                   [this](bool complete) {
                     const std::size_t acks = driver_->node().leave_acks();
                     if (complete)
                       spdlog::info("leave complete: acknowledged by {} peer(s)", acks);
                     else
                       spdlog::warn("leave timed out after {} ms ({} peer(s) acknowledged); "
                                    "exiting anyway",
                                    cfg_.cluster.leave_timeout.count(), acks);
                     const std::string message =
                         (complete ? "left, acknowledged by " : "leave timed out, acknowledged by ") +
                         std::to_string(acks) + " peer(s)";
                     for (auto& r : leave_replies_)
                       r(peerlib::protocol::encode_result({complete, message}));
                     leave_replies_.clear();
                     // Let the replies flush before the loop stops.
                     stop_timer_.expires_after(std::chrono::milliseconds(50));
                     stop_timer_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
                   });
  }

  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        reload();
      } else if (leaving_) {
        spdlog::warn("second signal: exiting without waiting for the leave");
        exit_code_ = 1;
        io_.stop();
        return;
      } else {
        start_leave(nullptr);
      }
      wait_signal();
    });
  }

  void reload() {
    if (reload_config(config_path_, cfg_)) joiner_->set_seeds(cfg_.cluster.join);
  }

  void shutdown() {
    if (discovery_) discovery_->stop();
    if (joiner_) joiner_->stop();
    if (http_) http_->close();
    if (control_) control_->close();
    if (driver_) driver_->close();
    notify_.close();
    spdlog::info("agent stopped");
  }

  config cfg_;
  std::string config_path_;
  net::io_context io_;
  net::signal_set signals_{io_};
  net::steady_timer publish_timer_{io_};
  net::steady_timer stop_timer_{io_};
  net::steady_timer queries_timer_{io_};
  service_notify notify_{io_};  // systemd: READY, STOPPING, watchdog
  publisher publisher_;
  std::optional<std::chrono::steady_clock::time_point> publish_armed_;
  std::unique_ptr<swim::asio::driver> driver_;
  std::unique_ptr<joiner> joiner_;
  std::unique_ptr<key_manager> keys_;
  std::unique_ptr<serf_queries> queries_;  // uses keys_
  std::unique_ptr<control_server> control_;
  std::unique_ptr<http_server> http_;
  std::unique_ptr<cache_checker> cache_;  // [cache] check: sets our cache tag
  std::unique_ptr<outputs> outputs_;  // [render.NAME] files and [hooks]
  std::shared_ptr<discovery::provider> provider_;  // discovery, when configured
  std::unique_ptr<discovery_runner> discovery_;  // declared after io_: destroyed before it
  std::vector<std::function<void(std::string)>> leave_replies_;
  std::chrono::steady_clock::time_point started_;
  bool ready_ = false;
  bool leaving_ = false;
  int exit_code_ = 0;
};

int run_daemon(const config& cfg, const std::string& config_path) {
  setup_logging(cfg.log);
  daemon d(cfg, config_path);
  return d.run();
}

}  // namespace agent
