#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/joiner.hpp"

#include <algorithm>
#include <boost/asio.hpp>
#include <charconv>
#include <list>
#include <spdlog/spdlog.h>

#include "agent/candidate_picker.hpp"
#include "util/host_port.hpp"

namespace agent {
namespace {

namespace net = boost::asio;

constexpr std::chrono::milliseconds retry_min{1000};
constexpr std::chrono::milliseconds retry_max{30000};

}  // namespace

// ---- rejoin_policy ----

void rejoin_policy::members(std::size_t live, clock::time_point now) {
  live_ = live;
  target_ = std::max(target_, live);
  if (live >= target_) {
    next_.reset();
  } else if (!next_) {
    next_ = now + jitter();
  }
}

void rejoin_policy::member_left() {
  if (target_ > 0) target_--;
}

bool rejoin_policy::due(clock::time_point now) {
  if (!next_ || now < *next_) return false;
  next_ = now + jitter();
  return true;
}

rejoin_policy::clock::duration rejoin_policy::jitter() {
  const auto lo = opt_.min_interval.count();
  const auto hi = std::max(opt_.max_interval.count(), lo);
  return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_));
}

// ---- joiner ----

struct joiner::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& ctx, std::uint16_t port, std::chrono::milliseconds timeout, joiner_hooks hs)
      : io(ctx),
        default_port(port),
        control_timeout(timeout),
        h(std::move(hs)),
        retry_timer(ctx),
        heal_timer(ctx),
        heal_resolver(ctx),
        control_resolver(ctx),
        heal(rejoin_policy::options{}, std::random_device{}()),
        picker({3, timeout + std::chrono::seconds(5)}, std::random_device{}()) {}

  /// One group of joins waiting for its answers.
  struct waiter {
    explicit waiter(net::io_context& io) : deadline(io) {}
    std::vector<swim::address> outstanding;  // one entry per join still unanswered
    std::size_t asked = 0;
    std::size_t ok = 0;
    std::function<void(std::size_t ok, std::size_t asked)> done;
    net::steady_timer deadline;
    bool finished = false;
  };

  net::io_context& io;
  std::uint16_t default_port;
  std::chrono::milliseconds control_timeout;
  joiner_hooks h;
  net::steady_timer retry_timer;
  std::vector<host_port> seeds;
  std::chrono::milliseconds backoff = retry_min;
  std::list<std::shared_ptr<waiter>> waiters;
  bool stopped = false;
  // Partition heal.
  net::steady_timer heal_timer;
  net::ip::udp::resolver heal_resolver;
  net::ip::udp::resolver control_resolver;  // names in control-socket joins
  rejoin_policy heal;
  std::optional<rejoin_policy::clock::time_point> heal_armed;
  bool heal_logged = false;  // the first re-join of a shortage is logged at info
  candidate_picker picker;   // discovery candidates: a few at a time, at random

  /// Resolve "host:port" seeds; names go through the system resolver (start-up and retries
  /// only, so blocking here is acceptable).
  std::vector<swim::address> resolve(const std::vector<host_port>& list) {
    std::vector<swim::address> out;
    net::ip::udp::resolver r(io);
    for (const auto& s : list) {
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
      for (const auto& e : results)
        if (auto a = swim::address::parse(e.endpoint().address().to_string(), s.port))
          out.push_back(*a);
    }
    return out;
  }

  /// Ask the node to join `addrs`; `done` runs once all answered or after `timeout`.
  void start(const std::vector<swim::address>& addrs, std::chrono::milliseconds timeout,
             std::function<void(std::size_t, std::size_t)> done) {
    auto w = std::make_shared<waiter>(io);
    w->outstanding = addrs;
    w->asked = addrs.size();
    w->done = std::move(done);
    waiters.push_back(w);
    w->deadline.expires_after(timeout);
    w->deadline.async_wait([self = shared_from_this(), w](const boost::system::error_code& ec) {
      if (!ec) self->finish(w);
    });
    // Registered first: the node may answer at once (an address that is our own).
    h.join(addrs);
  }

  void finish(const std::shared_ptr<waiter>& w) {
    if (w->finished) return;
    w->finished = true;
    w->deadline.cancel();
    waiters.remove(w);
    if (!stopped) w->done(w->ok, w->asked);
  }

  void attempt() {
    if (stopped) return;
    auto addrs = resolve(seeds);
    if (addrs.empty()) return retry_later();
    spdlog::info("joining through {} seed address(es)", addrs.size());
    // A push-pull ends within the TCP timeout; the bound only guards against a lost report.
    start(addrs, control_timeout + std::chrono::seconds(1),
          [this](std::size_t ok, std::size_t) {
            if (ok == 0) retry_later();
          });
  }

  /// Wake up when the policy's next re-join is due.
  void arm_heal() {
    auto at = heal.next_at();
    if (!at) heal_logged = false;
    if (stopped || !at || at == heal_armed) return;
    heal_armed = at;
    heal_timer.expires_at(*at);
    heal_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->heal_armed.reset();
      if (self->heal.due(std::chrono::steady_clock::now())) self->heal_join();
      self->arm_heal();
    });
  }

  /// Resolve the join list again (names through the asynchronous resolver: DNS may be as
  /// cut off as the peers), then join the addresses gossip does not hold live.
  void heal_join() {
    if (stopped || seeds.empty()) return;
    auto found = std::make_shared<std::vector<swim::address>>();
    auto pending = std::make_shared<std::size_t>(1);
    auto self = shared_from_this();
    auto done = [self, found, pending] {
      if (--*pending != 0 || self->stopped) return;
      std::vector<swim::address> known = self->h.known ? self->h.known() : std::vector<swim::address>{};
      std::vector<swim::address> fresh;
      for (const auto& a : *found)
        if (std::find(known.begin(), known.end(), a) == known.end() &&
            std::find(fresh.begin(), fresh.end(), a) == fresh.end())
          fresh.push_back(a);
      if (fresh.empty()) return;
      auto level = self->heal_logged ? spdlog::level::debug : spdlog::level::info;
      self->heal_logged = true;
      spdlog::log(level, "partition heal: {} of {} member(s) live; joining {} seed address(es)",
                  self->heal.live(), self->heal.target(), fresh.size());
      self->start(fresh, self->control_timeout + std::chrono::seconds(1),
                  [](std::size_t, std::size_t) {});
    };
    for (const auto& s : seeds) {
      if (auto a = swim::address::parse(s.host, s.port)) {
        found->push_back(*a);
        continue;
      }
      ++*pending;
      heal_resolver.async_resolve(
          s.host, std::to_string(s.port),
          [found, done, s](const boost::system::error_code& ec,
                           const net::ip::udp::resolver::results_type& results) {
            if (ec) {
              if (ec != net::error::operation_aborted)
                spdlog::warn("partition heal: cannot resolve {}: {}", s.to_string(), ec.message());
            } else {
              for (const auto& e : results)
                if (auto a = swim::address::parse(e.endpoint().address().to_string(), s.port))
                  found->push_back(*a);
            }
            done();
          });
    }
    done();
  }

  void retry_later() {
    if (stopped) return;
    spdlog::warn("join: no seed answered yet; retrying in {} s",
                 std::chrono::duration_cast<std::chrono::seconds>(backoff).count());
    retry_timer.expires_after(backoff);
    backoff = std::min(backoff * 2, retry_max);
    retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->attempt();
    });
  }
};

joiner::joiner(boost::asio::io_context& io, std::uint16_t default_port,
               std::chrono::milliseconds control_timeout, joiner_hooks hooks)
    : p_(std::make_shared<impl>(io, default_port, control_timeout, std::move(hooks))) {}

joiner::~joiner() { stop(); }

void joiner::join_seeds(std::vector<host_port> seeds) {
  p_->seeds = std::move(seeds);
  if (!p_->seeds.empty()) p_->attempt();
}

void joiner::set_seeds(std::vector<host_port> seeds) { p_->seeds = std::move(seeds); }

void joiner::join_addresses(const std::vector<std::string>& addresses,
                            std::function<void(bool, std::string)> reply) {
  // Check every item first, so a bad one fails the request before anything is sent.
  std::vector<host_port> seeds;
  for (const auto& a : addresses) {
    auto parts = util::split_host_port(a);
    std::uint32_t port = p_->default_port;
    bool ok = parts && !parts->host.empty();
    if (ok && parts->port) {
      auto [end, ec] = std::from_chars(parts->port->data(),
                                       parts->port->data() + parts->port->size(), port);
      ok = ec == std::errc() && end == parts->port->data() + parts->port->size() && port >= 1 &&
           port <= 65535;
    }
    if (!ok) return reply(false, "not HOST or HOST:PORT (port 1-65535): " + a);
    seeds.push_back({std::string(parts->host), static_cast<std::uint16_t>(port)});
  }
  // IP literals at once; names through the asynchronous resolver (DNS must not stall the
  // agent's thread), each of their addresses joined.
  struct pending_join {
    std::vector<swim::address> addrs;
    std::vector<std::string> unresolved;
    std::size_t waiting = 1;
    std::function<void(bool, std::string)> reply;
  };
  auto job = std::make_shared<pending_join>();
  job->reply = std::move(reply);
  auto self = p_;
  auto done = [self, job] {
    if (--job->waiting != 0 || self->stopped) return;
    std::string note;
    for (const auto& u : job->unresolved) note += "; cannot resolve " + u;
    if (job->addrs.empty()) return job->reply(false, "joined 0 of 0 address(es)" + note);
    self->start(job->addrs, self->control_timeout,
                [job, note](std::size_t ok, std::size_t asked) {
                  job->reply(ok > 0, "joined " + std::to_string(ok) + " of " +
                                         std::to_string(asked) + " address(es)" + note);
                });
  };
  for (const auto& s : seeds) {
    if (auto a = swim::address::parse(s.host, s.port)) {
      job->addrs.push_back(*a);
      continue;
    }
    ++job->waiting;
    self->control_resolver.async_resolve(
        s.host, std::to_string(s.port),
        [job, done, s](const boost::system::error_code& ec,
                       const net::ip::udp::resolver::results_type& results) {
          if (ec) {
            job->unresolved.push_back(s.host + " (" + ec.message() + ")");
          } else {
            for (const auto& e : results)
              if (auto a = swim::address::parse(e.endpoint().address().to_string(), s.port))
                if (std::find(job->addrs.begin(), job->addrs.end(), *a) == job->addrs.end())
                  job->addrs.push_back(*a);
          }
          done();
        });
  }
  done();
}

void joiner::join_candidates(const std::vector<std::string>& candidates,
                             const std::vector<swim::address>& known) {
  std::vector<swim::address> fresh;
  for (const auto& c : candidates) {
    auto a = swim::address::parse(c, p_->default_port);
    if (a && std::find(known.begin(), known.end(), *a) == known.end()) fresh.push_back(*a);
  }
  if (fresh.empty()) return;
  auto now = p_->picker.offer(fresh, std::chrono::steady_clock::now());
  if (now.empty()) return;  // the joins of the last listing are still out
  spdlog::info("discovery: joining {} of {} new candidate(s)", now.size(), fresh.size());
  p_->h.join(now);
}

void joiner::on_join_result(const swim::address& seed, bool ok) {
  // A discovery candidate that failed is replaced by an untried one, once the node's entry
  // point has returned.
  if (auto next = p_->picker.result(seed, ok, std::chrono::steady_clock::now()); !next.empty()) {
    spdlog::debug("discovery: joining {} more candidate(s) after {}", next.size(),
                  seed.to_string());
    net::post(p_->io, [self = p_, next = std::move(next)] {
      if (!self->stopped) self->h.join(next);
    });
  }
  if (ok) {
    p_->backoff = retry_min;
    p_->retry_timer.cancel();
    p_->h.joined();
  }
  // Copy: finishing a waiter removes it from the list.
  auto all = std::vector<std::shared_ptr<impl::waiter>>(p_->waiters.begin(), p_->waiters.end());
  for (auto& w : all) {
    auto it = std::find(w->outstanding.begin(), w->outstanding.end(), seed);
    if (it == w->outstanding.end()) continue;
    w->outstanding.erase(it);
    if (ok) w->ok++;
    if (w->outstanding.empty()) p_->finish(w);
  }
}

void joiner::members_changed(std::size_t live, bool left) {
  if (left) p_->heal.member_left();
  p_->heal.members(live, std::chrono::steady_clock::now());
  p_->arm_heal();
}

void joiner::stop() {
  if (!p_ || p_->stopped) return;
  p_->stopped = true;
  p_->retry_timer.cancel();
  p_->heal_timer.cancel();
  p_->heal_resolver.cancel();
  p_->control_resolver.cancel();
  for (auto& w : p_->waiters) w->deadline.cancel();
  p_->waiters.clear();
}

}  // namespace agent
