#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/discovery_runner.hpp"

#include <atomic>
#include <boost/asio.hpp>
#include <mutex>
#include <random>
#include <spdlog/spdlog.h>
#include <thread>

#include "gce/curl_http_client.hpp"
#include "gce/metadata.hpp"

namespace agent {
namespace {

namespace net = boost::asio;

bool any_gce_setting(const config& cfg) {
  const gce_config defaults;
  return !cfg.match.project.empty() || !cfg.match.zone.empty() || !cfg.match.tags.empty() ||
         !cfg.match.meta.empty() || !cfg.gce.zones.empty() || !cfg.gce.region.empty() ||
         !cfg.gce.labels.empty() || cfg.gce.api_endpoint != defaults.api_endpoint;
}

}  // namespace

bool wants_gce(const config& cfg) {
  switch (cfg.cluster.discovery) {
    case discovery_mode::gce: return true;
    case discovery_mode::static_: return false;
    case discovery_mode::automatic: break;
  }
  if (!cfg.cluster.join.empty()) return false;
  return any_gce_setting(cfg) || !gce::metadata_host_from_env().empty();
}

std::unique_ptr<gce::gce_provider> make_gce_provider(const config& cfg, const std::string& bind_ip) {
  gce::gce_settings s;
  s.project = cfg.match.project;
  s.zone = cfg.match.zone;
  s.zones = cfg.gce.zones;
  s.region = cfg.gce.region;
  s.rules.tags = cfg.match.tags;
  s.rules.meta = cfg.match.meta;
  s.rules.labels = cfg.gce.labels;
  s.rules.statuses = cfg.gce.status;
  s.rules.network_interface = cfg.match.network_interface;
  s.port = cfg.cluster.port;
  s.api_endpoint = cfg.gce.api_endpoint;
  if (bind_ip != "0.0.0.0" && bind_ip != "::") s.local_address = bind_ip;
  std::string err;
  auto p = gce::gce_provider::create(std::move(s), err);
  if (!p)
    throw config_error("GCE discovery: " + err +
                       " (off GCE, set [cluster] join, or [cluster] discovery = static)");
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
  impl(net::io_context& ctx, std::shared_ptr<gce::provider> pr, gce::poll_config pc,
       discovery_hooks h, std::string md_host, std::string bind, std::uint64_t seed)
      : io(ctx), provider(std::move(pr)), poll(pc), hooks(std::move(h)), timer(ctx),
        metadata_host(std::move(md_host)), bind_ip(std::move(bind)), rng(seed) {
    to_io->io = &ctx;
  }

  net::io_context& io;
  std::shared_ptr<gce::provider> provider;
  gce::poll_config poll;
  discovery_hooks hooks;
  net::steady_timer timer;
  std::string metadata_host;
  std::string bind_ip;
  std::mt19937_64 rng;
  bool stopped = false;
  bool in_flight = false;
  int alone_polls = 0;
  int failures = 0;
  std::uint64_t started = 0;
  // The preemption watch runs on its own thread with its own HTTP client.
  std::shared_ptr<std::atomic<bool>> watch_stop = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<gce::curl_http_client> watch_http;
  std::shared_ptr<bridge> to_io = std::make_shared<bridge>();

  void schedule(std::chrono::milliseconds delay) {
    if (stopped) return;
    timer.expires_after(delay);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped) self->run_poll();
    });
  }

  void run_poll() {
    if (in_flight) return;
    in_flight = true;
    started++;
    // The thread holds the provider and a weak handle on us; it posts only while we live.
    std::weak_ptr<impl> weak = shared_from_this();
    auto provider_copy = provider;
    auto out = to_io;
    std::thread([weak, provider_copy, out] {
      gce::discovery_result r = provider_copy->discover();
      out->post([weak, r = std::move(r)]() mutable {
        if (auto self = weak.lock()) self->on_result(std::move(r));
      });
    }).detach();
  }

  void on_result(gce::discovery_result r) {
    in_flight = false;
    if (stopped) return;
    for (const auto& w : r.warnings) spdlog::warn("discovery: {}", w);
    std::size_t live = hooks.live_members();
    if (r.ok()) {
      failures = 0;
      spdlog::debug("discovery: {} candidate peer(s) in {} API call(s)", r.addresses.size(),
                    r.api_calls);
      if (!r.addresses.empty()) hooks.join(r.addresses);
    } else {
      failures++;
      spdlog::warn("discovery failed ({} in a row), keeping the known peers: {}", failures, r.error);
    }
    hooks.finished(r);
    bool alone = live <= 1 && r.addresses.empty();
    alone_polls = alone ? alone_polls + 1 : 0;
    gce::poll_state st;
    st.live_members = std::max<std::size_t>(live, 1);
    st.calls_per_poll = std::max(1, r.api_calls);
    st.alone = alone;
    st.alone_polls = alone_polls;
    st.consecutive_failures = failures;
    st.permission_denied = r.permission_denied;
    st.rate_limited_until = r.rate_limited_until;
    auto delay = gce::next_poll_delay(st, poll, std::chrono::system_clock::now(), rng);
    spdlog::debug("discovery: next poll in {} ms", delay.count());
    schedule(delay);
  }

  void start_watch() {
    gce::curl_options co;
    co.no_proxy = true;  // the metadata server is never proxied
    if (bind_ip != "0.0.0.0" && bind_ip != "::") co.local_address = bind_ip;
    watch_http = std::make_shared<gce::curl_http_client>(co);
    auto http = watch_http;
    auto stop = watch_stop;
    std::weak_ptr<impl> weak = shared_from_this();
    auto out = to_io;
    std::string host = metadata_host;
    std::thread([http, stop, weak, out, host] {
      gce::metadata_options mo;
      mo.host = host;
      gce::metadata_client md(*http, mo);
      if (gce::wait_until_preempted(md, [stop] { return stop->load(); }, 60) && !stop->load()) {
        out->post([weak] {
          if (auto self = weak.lock(); self && !self->stopped) self->hooks.preempted();
        });
      }
    }).detach();
  }
};

discovery_runner::discovery_runner(boost::asio::io_context& io, std::shared_ptr<gce::provider> provider,
                                   gce::poll_config poll, discovery_hooks hooks,
                                   std::string metadata_host, std::string bind_ip,
                                   std::uint64_t seed)
    : p_(std::make_shared<impl>(io, std::move(provider), poll, std::move(hooks),
                                std::move(metadata_host), std::move(bind_ip), seed)) {}

discovery_runner::~discovery_runner() {
  stop();
  p_->to_io->close();
}

void discovery_runner::start() {
  p_->schedule(gce::initial_poll_delay(p_->poll, p_->rng));
  p_->start_watch();
}

void discovery_runner::stop() {
  if (!p_ || p_->stopped) return;
  p_->stopped = true;
  p_->timer.cancel();
  p_->watch_stop->store(true);
  if (p_->watch_http) p_->watch_http->cancel();
}

std::uint64_t discovery_runner::polls() const { return p_->started; }

}  // namespace agent
