#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/daemon.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "agent/control_server.hpp"
#include "agent/discovery_runner.hpp"
#include "agent/http_handler.hpp"
#include "agent/http_server.hpp"
#include "agent/snapshot.hpp"
#include "swim/asio/driver.hpp"
#include "swim/tags.hpp"

namespace agent {
namespace {

namespace net = boost::asio;

constexpr auto publish_coalesce = std::chrono::milliseconds(50);
constexpr auto join_retry_min = std::chrono::seconds(1);
constexpr auto join_retry_max = std::chrono::seconds(30);

spdlog::level::level_enum to_spdlog(log_level l) {
  switch (l) {
    case log_level::trace: return spdlog::level::trace;
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

void setup_logging(const log_config& lc) {
  auto logger = spdlog::stderr_logger_mt("cachecluster");
  if (lc.format == log_format::json)
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%v"})");
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%l] %v");
  logger->set_level(to_spdlog(lc.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

/// The first non-loopback IPv4 address of this host (memberlist's GetPrivateIP, simplified).
std::optional<swim::address> first_host_ipv4(std::uint16_t port) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<swim::address> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_LOOPBACK) != 0 || (i->ifa_flags & IFF_UP) == 0) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&sin->sin_addr);
    found = swim::address::from_ip_bytes({b, 4}, port);
  }
  ::freeifaddrs(list);
  return found;
}

/// Resolve "host:port" seeds; names go through the system resolver (start-up and retries only).
std::vector<swim::address> resolve(net::io_context& io, const std::vector<host_port>& seeds) {
  std::vector<swim::address> out;
  net::ip::udp::resolver r(io);
  for (const auto& s : seeds) {
    if (auto a = swim::address::parse(s.host, s.port)) {
      out.push_back(*a);
      continue;
    }
    boost::system::error_code ec;
    auto results = r.resolve(s.host, std::to_string(s.port), ec);
    if (ec) {
      spdlog::warn("join: cannot resolve {}: {}", s.to_string(), ec.message());
      continue;
    }
    for (const auto& e : results) {
      auto ip = e.endpoint().address();
      std::string text = ip.to_string();
      if (auto a = swim::address::parse(text, s.port)) out.push_back(*a);
    }
  }
  return out;
}

swim::timing timing_for(const cluster_config& c) {
  switch (c.profile) {
    case timing_profile::lan: return swim::lan_timing();
    case timing_profile::wan: return swim::wan_timing();
    case timing_profile::local: return swim::local_timing();
    case timing_profile::heartbeat: break;
  }
  return swim::heartbeat_timing(static_cast<int>(c.heartbeat.count()));
}

/// Our tags: [tags] plus the reserved cache_port and zone tags. Throws config_error past 512
/// bytes.
swim::bytes encode_meta(const config& cfg, const std::string& zone) {
  swim::tag_map tags(cfg.tags.begin(), cfg.tags.end());
  if (cfg.cache.port) tags[peerlib::protocol::cache_port_tag] = std::to_string(*cfg.cache.port);
  if (!zone.empty() && !tags.count(peerlib::protocol::zone_tag))
    tags[peerlib::protocol::zone_tag] = zone;
  swim::bytes meta = swim::encode_tags(tags);
  if (meta.size() > swim::meta_max_size)
    throw config_error("[tags]: the encoded tags take " + std::to_string(meta.size()) +
                       " bytes; memberlist and Serf accept at most " +
                       std::to_string(swim::meta_max_size) +
                       " (shorten or remove tags; bulky data does not belong in gossip)");
  return meta;
}

/// Everything the running agent owns. Lives on the io_context thread.
class runner : public swim::delegate {
 public:
  runner(const config& c, std::string path) : cfg_(c), config_path_(std::move(path)) {}

  int run() {
    started_ = std::chrono::steady_clock::now();
    swim::config sc;
    sc.name = cfg_.node.name;
    sc.t = timing_for(cfg_.cluster);
    sc.udp_buffer_size = cfg_.cluster.udp_buffer_size;

    auto bind = swim::address::parse(cfg_.cluster.bind, cfg_.cluster.port);
    if (!bind) throw config_error("[cluster] bind: \"" + cfg_.cluster.bind + "\" is not an IP address");

    // GCE: this VM's identity comes from the metadata server before anything binds, so a
    // discovery that cannot work fails start-up with a clear message.
    std::string zone;
    std::optional<swim::address> gce_ip;
    if (wants_gce(cfg_)) {
      auto gp = make_gce_provider(cfg_, cfg_.cluster.bind);
      const gce::identity me = gp->self();
      provider_ = std::move(gp);
      zone = me.zone;
      gce_ip = swim::address::parse(me.ip, cfg_.cluster.port);
      spdlog::info("GCE: instance {} in {} (project {}), ip {}", me.name, me.zone, me.project, me.ip);
    }
    sc.meta = encode_meta(cfg_, zone);

    swim::address advertise = *bind;
    if (cfg_.cluster.advertise) {
      auto a = swim::address::parse(cfg_.cluster.advertise->host, cfg_.cluster.advertise->port);
      if (!a)
        throw config_error("[cluster] advertise: \"" + cfg_.cluster.advertise->host +
                           "\" must be an IP address");
      advertise = *a;
    } else if (gce_ip) {
      advertise = *gce_ip;  // never guess on GCE: the metadata server knows the NIC's IP
    } else if (std::all_of(bind->ip.begin(), bind->ip.begin() + bind->ip_len,
                           [](std::uint8_t b) { return b == 0; })) {
      auto a = first_host_ipv4(cfg_.cluster.port);
      if (!a)
        throw config_error("[cluster] advertise: not set, bind is " + cfg_.cluster.bind +
                           " and this host has no non-loopback IPv4 address; set advertise");
      advertise = *a;
    }
    sc.advertise = advertise;

    swim::asio::driver_options opt;
    opt.bind = *bind;
    std::random_device rd;
    std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    driver_ = std::make_unique<swim::asio::driver>(io_, sc, *this, opt, seed);

    control_handlers h;
    h.snapshot = [this] { return current_line(); };
    h.members = [this] {
      // The HTTP document is already one compact line; the socket adds its own newline.
      std::string doc = render_members_json(make_status());
      if (!doc.empty() && doc.back() == '\n') doc.pop_back();
      return doc;
    };
    h.join = [this](std::vector<std::string> addrs, std::function<void(std::string)> reply) {
      control_join(std::move(addrs), std::move(reply));
    };
    h.leave = [this](std::function<void(std::string)> reply) { start_leave(std::move(reply)); };
    control_ = std::make_unique<control_server>(io_, cfg_.publish.socket, std::move(h));
    http_ = std::make_unique<http_server>(io_, cfg_.http.listen, [this] { return make_status(); });

    driver_->start();
    control_->start();
    http_->start();
    spdlog::info("agent {} started: gossip {} (advertise {}), socket {}, http {}", sc.name,
                 driver_->local_address().to_string(), advertise.to_string(), cfg_.publish.socket,
                 cfg_.http.listen.to_string());

    join_seeds_ = cfg_.cluster.join;
    if (provider_) {
      start_discovery(seed);
    } else {
      ready_ = join_seeds_.empty();
      if (!join_seeds_.empty()) try_join();
    }
    publish_now();

    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
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
    }
    if (!ready_ && m.state == swim::member_state::alive) ready_ = true;
    schedule_publish();
  }
  void on_conflict(const swim::member& existing, const swim::member& other) override {
    spdlog::error("name conflict: {} is at {} but {} claims it too", existing.name,
                  existing.addr.to_string(), other.addr.to_string());
  }

 private:
  // ---- publishing ----

  bool local_mode() {
    // Latched off once we have ever seen a peer: an empty cluster later is a real answer.
    if (local_mode_ && (driver_->node().stats().joins > 0 || driver_->node().num_live() > 1))
      local_mode_ = false;
    return local_mode_;
  }

  std::shared_ptr<const std::string> current_line() {
    if (!line_) publish_now();
    return line_;
  }

  void schedule_publish() {
    if (publish_pending_) return;
    publish_pending_ = true;
    // A burst of changes within the window becomes one snapshot.
    publish_timer_.expires_after(publish_coalesce);
    publish_timer_.async_wait([this](const boost::system::error_code& ec) {
      publish_pending_ = false;
      if (!ec) publish_now();
    });
  }

  void publish_now() {
    const auto& n = driver_->node();
    auto snap = build_snapshot(n.self(), n.members(), version_ + 1, local_mode());
    if (last_ && same_view(*last_, snap)) return;
    version_++;
    last_ = snap;
    line_ = std::make_shared<const std::string>(peerlib::protocol::encode_snapshot(snap));
    control_->publish(line_);
    spdlog::debug("published snapshot {} ({} live peers)", version_, snap.peers.size());
  }

  status make_status() {
    status s;
    const auto& n = driver_->node();
    s.node_name = cfg_.node.name;
    s.version = CACHECLUSTER_VERSION;
    s.ready = ready_;
    s.local_mode = local_mode();
    s.leaving = leaving_;
    s.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    s.snapshot_version = version_;
    s.health_score = n.health_score();
    s.queued_broadcasts = n.queued_broadcasts();
    s.members = n.members();
    s.node = n.stats();
    s.driver = driver_->stats();
    s.agent = control_->stats();
    return s;
  }

  // ---- join ----

  void try_join() {
    auto seeds = resolve(io_, join_seeds_);
    if (!seeds.empty()) {
      spdlog::info("joining through {} seed address(es)", seeds.size());
      driver_->join(seeds);
    }
    // Check after the exchange has had time to finish; retry with back-off until joined.
    join_timer_.expires_after(join_backoff_);
    join_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || leaving_) return;
      if (driver_->node().stats().joins > 0) {
        ready_ = true;
        return;
      }
      spdlog::warn("join: no seed answered yet; retrying in {} s",
                   std::chrono::duration_cast<std::chrono::seconds>(join_backoff_).count());
      join_backoff_ = std::min(join_backoff_ * 2, std::chrono::duration_cast<std::chrono::milliseconds>(join_retry_max));
      try_join();
    });
  }

  void control_join(std::vector<std::string> addrs, std::function<void(std::string)> reply) {
    std::vector<host_port> seeds;
    for (const auto& a : addrs) {
      auto parsed = swim::address::parse(a, cfg_.cluster.port);
      if (!parsed) return reply(result_line(false, "not an IP address with optional port: " + a));
      seeds.push_back({parsed->ip_string(), parsed->port});
    }
    auto before = driver_->node().stats().joins;
    driver_->join(resolve(io_, seeds));
    auto t = std::make_shared<net::steady_timer>(io_);
    auto deadline = std::chrono::steady_clock::now() + driver_->node().cfg().t.tcp_timeout;
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, t, deadline, before, reply, poll, n = seeds.size()]() mutable {
      auto joined = driver_->node().stats().joins - before;
      if (joined >= n || std::chrono::steady_clock::now() >= deadline) {
        ready_ = ready_ || joined > 0;
        reply(result_line(joined > 0, "joined " + std::to_string(joined) + " of " +
                                          std::to_string(n) + " address(es)"));
        *poll = nullptr;  // break the self-reference
        return;
      }
      t->expires_after(std::chrono::milliseconds(20));
      t->async_wait([poll](const boost::system::error_code& ec) {
        if (!ec && *poll) (*poll)();
      });
    };
    (*poll)();
  }

  // ---- GCE discovery ----

  void start_discovery(std::uint64_t seed) {
    discovery_hooks h;
    h.live_members = [this] { return driver_->node().num_live(); };
    h.join = [this](std::vector<std::string> candidates) { join_candidates(candidates); };
    h.finished = [this](const gce::discovery_result& r) {
      if (r.ok() && !ready_) {
        ready_ = true;
        spdlog::info("discovery complete: {} candidate peer(s)", r.addresses.size());
        schedule_publish();
      }
    };
    h.preempted = [this] {
      spdlog::warn("this VM is being preempted: leaving the cluster now");
      start_leave(nullptr);
    };
    gce::poll_config pc;
    pc.api_calls_per_minute = cfg_.gce.api_calls_per_minute;
    pc.min_period = cfg_.gce.min_poll_interval;
    discovery_ = std::make_unique<discovery_runner>(io_, provider_, pc, std::move(h), "",
                                                    cfg_.cluster.bind, seed ^ 0x9e3779b97f4a7c15ull);
    discovery_->start();
  }

  /// Join the candidates gossip does not already know as live: new VMs, or the other side
  /// of a partition. Known members need no push-pull.
  void join_candidates(const std::vector<std::string>& candidates) {
    std::vector<swim::address> known;
    for (const auto& m : driver_->node().members())
      if (m.state == swim::member_state::alive || m.state == swim::member_state::suspect)
        known.push_back(m.addr);
    std::vector<swim::address> fresh;
    for (const auto& c : candidates) {
      auto a = swim::address::parse(c, cfg_.cluster.port);
      if (a && std::find(known.begin(), known.end(), *a) == known.end()) fresh.push_back(*a);
    }
    if (fresh.empty()) return;
    spdlog::info("discovery: joining {} new candidate(s)", fresh.size());
    driver_->join(fresh);
  }

  // ---- leave and signals ----

  void start_leave(std::function<void(std::string)> reply) {
    if (reply) leave_replies_.push_back(std::move(reply));
    if (leaving_) return;
    leaving_ = true;
    spdlog::info("leaving the cluster (up to {} ms)", cfg_.cluster.leave_timeout.count());
    driver_->leave(std::chrono::duration_cast<swim::duration>(cfg_.cluster.leave_timeout),
                   [this](bool complete) {
                     if (complete)
                       spdlog::info("leave complete");
                     else
                       spdlog::warn("leave timed out after {} ms; exiting anyway",
                                    cfg_.cluster.leave_timeout.count());
                     for (auto& r : leave_replies_)
                       r(result_line(complete, complete ? "left" : "leave timed out"));
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
    spdlog::info("SIGHUP: reloading {}", config_path_);
    try {
      auto loaded = load_config(config_path_);
      for (const auto& w : loaded.warnings) spdlog::warn("{}", w);
      spdlog::get("cachecluster")->set_level(to_spdlog(loaded.cfg.log.level));
      cfg_.log.level = loaded.cfg.log.level;
      if (!(loaded.cfg.cluster.join == cfg_.cluster.join)) {
        cfg_.cluster.join = loaded.cfg.cluster.join;
        join_seeds_ = cfg_.cluster.join;
        spdlog::info("join list now has {} seed(s)", join_seeds_.size());
      }
      // Everything else (ports, name, tags, socket) needs a restart.
    } catch (const std::exception& e) {
      spdlog::error("reload failed, keeping the running config: {}", e.what());
    }
  }

  void shutdown() {
    if (discovery_) discovery_->stop();
    if (http_) http_->close();
    if (control_) control_->close();
    if (driver_) driver_->close();
    spdlog::info("agent stopped");
  }

  config cfg_;
  std::string config_path_;
  net::io_context io_;
  net::signal_set signals_{io_};
  net::steady_timer publish_timer_{io_};
  net::steady_timer join_timer_{io_};
  net::steady_timer stop_timer_{io_};
  std::unique_ptr<swim::asio::driver> driver_;
  std::unique_ptr<control_server> control_;
  std::unique_ptr<http_server> http_;
  std::shared_ptr<gce::provider> provider_;         // GCE discovery, when configured
  std::unique_ptr<discovery_runner> discovery_;     // declared after io_: destroyed before it
  std::vector<host_port> join_seeds_;
  std::chrono::milliseconds join_backoff_{std::chrono::duration_cast<std::chrono::milliseconds>(join_retry_min)};
  std::vector<std::function<void(std::string)>> leave_replies_;
  std::optional<peerlib::snapshot> last_;
  std::shared_ptr<const std::string> line_;
  std::uint64_t version_ = 0;
  std::chrono::steady_clock::time_point started_;
  bool ready_ = false;
  bool local_mode_ = true;
  bool leaving_ = false;
  bool publish_pending_ = false;
  int exit_code_ = 0;
};

}  // namespace

int run_agent(const config& cfg, const std::string& config_path) {
  setup_logging(cfg.log);
  runner r(cfg, config_path);
  return r.run();
}

}  // namespace agent
