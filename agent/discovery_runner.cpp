#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/discovery_runner.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <boost/asio.hpp>
#include <mutex>
#include <random>
#include <set>
#include <spdlog/spdlog.h>
#include <thread>

#include "agent/startup_retry.hpp"
#include "discovery/dns_provider.hpp"
#include "discovery/gce_source.hpp"
#include "discovery/kubernetes_provider.hpp"
#include "discovery/schedule.hpp"
#include "discovery/static_provider.hpp"
#include "gce/curl_http_client.hpp"
#include "gce/metadata.hpp"
#include "gce/poll_policy.hpp"

namespace agent {
namespace {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;

bool any_gce_setting(const config& cfg) {
  const gce_config defaults;
  return !cfg.match.project.empty() || !cfg.match.zone.empty() || !cfg.match.tags.empty() ||
         !cfg.match.meta.empty() || !cfg.gce.zones.empty() || !cfg.gce.region.empty() ||
         !cfg.gce.labels.empty() || !cfg.gce.instance_group.empty() ||
         cfg.gce.api_endpoint != defaults.api_endpoint;
}

std::string no_wildcard(const std::string& ip) { return ip == "0.0.0.0" || ip == "::" ? "" : ip; }

std::shared_ptr<discovery::provider> make_gce(const config& cfg, const std::string& bind_ip) {
  gce::gce_settings s;
  s.project = cfg.match.project;
  s.zone = cfg.match.zone;
  s.zones = cfg.gce.zones;
  s.region = cfg.gce.region;
  s.instance_group = cfg.gce.instance_group;
  s.rules.tags = cfg.match.tags;
  s.rules.meta = cfg.match.meta;
  s.rules.labels = cfg.gce.labels;
  s.rules.statuses = cfg.gce.status;
  s.rules.network_interface = cfg.match.network_interface;
  s.port = cfg.cluster.port;
  s.api_endpoint = cfg.gce.api_endpoint;
  s.local_address = no_wildcard(bind_ip);
  // A metadata server that is slow or briefly gone (a whole group booting) is waited for.
  std::unique_ptr<gce::gce_provider> p;
  auto failed = retry_startup("GCE metadata server", cfg.gce.startup_timeout, [&] {
    startup_attempt a;
    p = gce::gce_provider::create(s, a.error, &a.transient);
    a.ok = p != nullptr;
    return a;
  });
  if (failed)
    throw config_error("GCE discovery: " + *failed +
                       " (off GCE, set [cluster] join, or [cluster] discovery = static; "
                       "[gce] startup_timeout bounds the wait)");
  const gce::identity& me = p->self();
  spdlog::info("GCE: instance {} in {} (project {}), ip {}", me.name, me.zone, me.project, me.ip);
  return std::make_shared<discovery::gce_source>(std::move(p));
}

/// This pod's name: [node] name when set, else POD_NAME (the downward API), else HOSTNAME
/// (a pod's host name is its name), else the host name the config defaulted to.
std::string pod_name(const config& cfg) {
  if (!cfg.node.name_from_host) return cfg.node.name;
  for (const char* var : {"POD_NAME", "HOSTNAME"})
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  return cfg.node.name;
}

std::shared_ptr<discovery::provider> make_kubernetes(const config& cfg, const std::string& bind_ip) {
  discovery::kubernetes_settings s;
  const auto& k = cfg.kubernetes;
  s.api_server = k.api_server;
  s.token_file = k.token_file;
  s.ca_file = k.ca_file;
  s.namespace_name = k.namespace_name;
  s.label_selector = k.label_selector;
  s.rules.require_ready = k.require_ready;
  s.rules.port_name = k.port_name;
  s.rules.default_port = cfg.cluster.port;
  s.rules.self_name = pod_name(cfg);
  s.local_address = no_wildcard(bind_ip);
  std::string err;
  auto p = discovery::kubernetes_provider::create(std::move(s), err);
  if (!p) throw config_error("Kubernetes discovery: " + err);
  const auto& first = p->first_self_read();
  for (const auto& w : p->startup_warnings())
    if (first.ok || !first.transient || w != first.error) spdlog::warn("Kubernetes: {}", w);
  if (!first.ok && first.transient) {
    // The API server may be slow or briefly gone while pods start (a rollout, a control-plane
    // upgrade): this pod's IP and zone are worth a wait. Discovery itself retries on its own.
    auto failed = retry_startup("Kubernetes API server", k.startup_timeout, [&] {
      const auto r = p->read_self();
      return startup_attempt{r.ok, r.transient, r.error};
    });
    if (failed)
      spdlog::warn("Kubernetes: {}; running without this pod's IP and zone from the API "
                   "([kubernetes] startup_timeout bounds the wait)",
                   *failed);
  }
  const auto& ks = p->settings();
  const discovery::identity me = p->self();
  spdlog::info("Kubernetes: pods {} in namespace {} at {}; this pod {} (ip {}, zone {})",
               ks.label_selector, ks.namespace_name, ks.api_server, me.name,
               me.address.empty() ? "unknown" : me.address, me.zone.empty() ? "unknown" : me.zone);
  return p;
}

}  // namespace

discovery_mode effective_discovery(const config& cfg) {
  if (cfg.cluster.discovery != discovery_mode::automatic) return cfg.cluster.discovery;
  if (!cfg.cluster.join.empty()) return discovery_mode::static_;
  if (!cfg.kubernetes.label_selector.empty()) return discovery_mode::kubernetes;
  if (!cfg.dns.name.empty()) return discovery_mode::dns;
  if (any_gce_setting(cfg) || !gce::metadata_host_from_env().empty()) return discovery_mode::gce;
  return discovery_mode::static_;
}

std::string describe_discovery(const config& cfg) {
  auto or_default = [](const std::string& v, const char* d) { return v.empty() ? std::string(d) : v; };
  switch (effective_discovery(cfg)) {
    case discovery_mode::gce: {
      std::string zones;
      for (const auto& z : cfg.gce.zones) zones += (zones.empty() ? "" : ",") + z;
      if (zones.empty() && !cfg.gce.region.empty()) zones = "region " + cfg.gce.region;
      if (zones.empty()) zones = or_default(cfg.match.zone, "(this instance's zone)");
      std::string out = "gce: project " + or_default(cfg.match.project, "(this instance's)") +
                        ", zones " + zones + ", tags=" + std::to_string(cfg.match.tags.size()) +
                        " meta=" + std::to_string(cfg.match.meta.size()) +
                        " labels=" + std::to_string(cfg.gce.labels.size());
      if (!cfg.gce.instance_group.empty()) out += ", instance group " + cfg.gce.instance_group;
      return out;
    }
    case discovery_mode::kubernetes:
      return "kubernetes: pods " + cfg.kubernetes.label_selector + " in namespace " +
             or_default(cfg.kubernetes.namespace_name, "(this pod's)") + " at " +
             or_default(cfg.kubernetes.api_server, "(in-cluster)") +
             (cfg.kubernetes.require_ready ? ", Ready only" : "");
    case discovery_mode::dns:
      return "dns: " + cfg.dns.name + " every " + format_duration(cfg.dns.interval);
    case discovery_mode::static_:
    case discovery_mode::automatic:
      break;
  }
  return cfg.cluster.join.empty() ? "static: none (alone until someone joins)"
                                  : "static: the join list, names resolved every " +
                                        format_duration(cfg.dns.interval);
}

std::shared_ptr<discovery::provider> make_provider(const config& cfg, const std::string& bind_ip) {
  switch (effective_discovery(cfg)) {
    case discovery_mode::gce:
      return make_gce(cfg, bind_ip);
    case discovery_mode::dns: {
      discovery::dns_settings d;
      d.name = cfg.dns.name;
      d.port = cfg.cluster.port;
      d.interval = cfg.dns.interval;
      spdlog::info("DNS discovery: {} every {} ms", d.name, d.interval.count());
      return std::make_shared<discovery::dns_provider>(std::move(d));
    }
    case discovery_mode::kubernetes:
      return make_kubernetes(cfg, bind_ip);
    case discovery_mode::static_:
    case discovery_mode::automatic:
      break;
  }
  std::vector<discovery::seed> seeds;
  for (const auto& s : cfg.cluster.join) seeds.push_back({s.host, s.port});
  auto p = std::make_shared<discovery::static_provider>(std::move(seeds), cfg.dns.interval);
  if (!p->has_names()) return nullptr;  // IP seeds: the joiner alone
  return p;
}

/// Lets detached worker threads post to the io_context only while it exists: the runner
/// closes the bridge in its destructor, which runs before the io_context is destroyed.
struct bridge {
  std::mutex m;
  net::io_context* io = nullptr;
  template <class F>
  void post(F&& f) {
    std::lock_guard<std::mutex> lock(m);
    if (io != nullptr) net::post(*io, std::forward<F>(f));
  }
  void close() {
    std::lock_guard<std::mutex> lock(m);
    io = nullptr;
  }
};

struct discovery_runner::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& ctx, std::shared_ptr<discovery::provider> pr, const config& cfg,
       discovery_hooks h, std::uint64_t seed)
      : io(ctx), provider(std::move(pr)), hooks(std::move(h)), timer(ctx),
        bind_ip(no_wildcard(cfg.cluster.bind)), rng(seed) {
    poll.api_calls_per_minute = cfg.gce.api_calls_per_minute;
    poll.min_period = cfg.gce.min_poll_interval;
    to_io->io = &ctx;
    stats.provider = std::string(provider->name());
  }

  net::io_context& io;
  std::shared_ptr<discovery::provider> provider;
  gce::poll_config poll;
  discovery_hooks hooks;
  net::steady_timer timer;
  std::string bind_ip;
  std::mt19937_64 rng;
  bool stopped = false;
  bool in_flight = false;
  bool made_ready = false;
  int alone_polls = 0;
  int failures = 0;
  std::uint64_t started = 0;
  discovery_stats stats;
  std::set<std::string> seen;                    // every candidate any listing held
  std::optional<clock::time_point> new_candidate_at;
  std::shared_ptr<std::atomic<bool>> stop_flag = std::make_shared<std::atomic<bool>>(false);
  // The preemption watch runs on its own thread with its own HTTP client.
  std::shared_ptr<gce::curl_http_client> watch_http;
  std::shared_ptr<bridge> to_io = std::make_shared<bridge>();

  void schedule(std::chrono::milliseconds delay) {
    if (stopped) return;
    timer.expires_after(delay);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped) self->run_poll();
    });
  }

  /// Deliver `r` to the io_context thread, while the runner lives.
  static void deliver(const std::shared_ptr<bridge>& out, std::weak_ptr<impl> weak,
                      discovery::result r, bool poll_done) {
    out->post([weak, r = std::move(r), poll_done]() mutable {
      if (auto self = weak.lock()) self->on_result(std::move(r), poll_done);
    });
  }

  void run_poll() {
    if (in_flight) return;
    in_flight = true;
    started++;
    // The thread holds the provider and a weak handle on us; it posts only while we live.
    std::thread([weak = weak_from_this(), p = provider, out = to_io] {
      deliver(out, weak, p->list(), true);
    }).detach();
  }

  void start_watch() {
    std::thread([weak = weak_from_this(), p = provider, out = to_io, stop = stop_flag] {
      p->run_watch([&](discovery::result r) { deliver(out, weak, std::move(r), false); },
                   [stop] { return stop->load(); });
    }).detach();
  }

  void count(const discovery::result& r) {
    for (const auto& c : r.call_log) stats.api_calls[{c.method, c.status}]++;
    if (!r.ok()) {
      stats.polls_failed++;
      if (r.rate_limited_until) stats.polls_rate_limited++;
      stats.last_error = r.error;
      return;
    }
    stats.polls_ok++;
    stats.last_error.clear();
    stats.candidates = r.addresses.size();
    stats.last_success_unix =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (const auto& a : r.addresses)
      if (seen.insert(a).second) new_candidate_at = clock::now();
  }

  void on_result(discovery::result r, bool poll_done) {
    if (poll_done) in_flight = false;
    if (stopped) return;
    if (!poll_done) started++;
    count(r);
    for (const auto& w : r.warnings) spdlog::warn("discovery: {}", w);
    const std::size_t live = hooks.live_members();
    if (r.ok()) {
      failures = 0;
      spdlog::debug("discovery: {} candidate peer(s) in {} API call(s)", r.addresses.size(),
                    r.api_calls);
      if (!r.addresses.empty()) hooks.join(r.addresses);
      if (!made_ready && provider->listing_makes_ready()) {
        made_ready = true;
        hooks.ready(r.addresses.size());
      }
    } else {
      failures++;
      spdlog::warn("discovery failed ({} in a row), keeping the known peers: {}", failures, r.error);
    }
    if (!poll_done) return;  // a watch paces itself
    const bool alone = live <= 1 && r.addresses.empty();
    alone_polls = alone ? alone_polls + 1 : 0;
    std::chrono::milliseconds delay;
    if (provider->budgeted()) {
      gce::poll_state st;
      st.live_members = std::max<std::size_t>(live, 1);
      st.calls_per_poll = std::max(1, r.api_calls);
      st.alone = alone;
      st.alone_polls = alone_polls;
      st.consecutive_failures = failures;
      st.permission_denied = r.permission_denied;
      st.rate_limited_until = r.rate_limited_until;
      delay = gce::next_poll_delay(st, poll, std::chrono::system_clock::now(), rng);
    } else {
      delay = discovery::interval_delay(provider->interval(), failures, rng);
    }
    spdlog::debug("discovery: next listing in {} ms", delay.count());
    schedule(delay);
  }

  void start_preemption_watch() {
    gce::curl_options co;
    co.no_proxy = true;  // the metadata server is never proxied
    co.local_address = bind_ip;
    watch_http = std::make_shared<gce::curl_http_client>(co);
    std::thread([http = watch_http, stop = stop_flag, weak = weak_from_this(), out = to_io] {
      gce::metadata_client md(*http, gce::metadata_options{});
      if (gce::wait_until_preempted(md, [stop] { return stop->load(); }, 60) && !stop->load()) {
        out->post([weak] {
          if (auto self = weak.lock(); self && !self->stopped) self->hooks.preempted();
        });
      }
    }).detach();
  }
};

discovery_runner::discovery_runner(boost::asio::io_context& io,
                                   std::shared_ptr<discovery::provider> provider,
                                   const config& cfg, discovery_hooks hooks, std::uint64_t seed)
    : p_(std::make_shared<impl>(io, std::move(provider), cfg, std::move(hooks), seed)) {}

discovery_runner::~discovery_runner() {
  stop();
  p_->to_io->close();
}

void discovery_runner::start() {
  if (p_->provider->watches()) {
    p_->start_watch();
  } else {
    p_->schedule(gce::initial_poll_delay(p_->poll, p_->rng));
  }
  if (p_->provider->name() == "gce") p_->start_preemption_watch();
}

void discovery_runner::stop() {
  if (!p_ || p_->stopped) return;
  p_->stopped = true;
  p_->timer.cancel();
  p_->stop_flag->store(true);
  p_->provider->cancel();
  if (p_->watch_http) p_->watch_http->cancel();
}

std::uint64_t discovery_runner::polls() const { return p_->started; }

discovery_stats discovery_runner::stats() const {
  discovery_stats s = p_->stats;
  if (p_->new_candidate_at)
    s.seconds_since_new_candidate =
        std::chrono::duration<double>(clock::now() - *p_->new_candidate_at).count();
  return s;
}

}  // namespace agent
