#include "agent/cache_checker.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include "agent/cache_probe.hpp"
#include "peerlib/protocol.hpp"
#include "swim/asio/driver.hpp"
#include "swim/tags.hpp"

namespace agent {

struct cache_checker::timer {
  explicit timer(boost::asio::io_context& io) : t(io) {}
  boost::asio::steady_timer t;
};

cache_checker::cache_checker(boost::asio::io_context& io, const cache_config& c,
                             swim::asio::driver& driver, std::function<void()> changed)
    : cfg_(c),
      driver_(driver),
      changed_(std::move(changed)),
      health_(c.check_failures, c.check_successes),
      probe_(
          std::make_unique<cache_probe>(io, parse_check_target(c.check).value(), c.check_timeout)),
      timer_(std::make_unique<timer>(io)) {}

cache_checker::~cache_checker() = default;

void cache_checker::start() {
  spdlog::info(
      "cache check {}: every {}, down after {} failure(s), up after {} success(es); "
      "this node is out of the peer lists until it passes",
      probe_->target().to_string(), format_duration(cfg_.check_interval), cfg_.check_failures,
      cfg_.check_successes);
  check();
}

void cache_checker::check() {
  started_ = std::chrono::steady_clock::now();
  probe_->run([this, alive = std::weak_ptr<int>(alive_)](bool ok, std::string detail) {
    if (alive.expired()) return;
    on_result(ok, detail);
  });
}

void cache_checker::on_result(bool ok, const std::string& detail) {
  const auto now = std::chrono::steady_clock::now();
  const cache_state before = health_.state();
  const bool flipped = health_.result(ok, now);
  const std::string what = probe_->target().to_string();
  if (health_.state() == cache_state::up && before != cache_state::up) {
    spdlog::info("cache check {}: up ({}); this node is in the peer lists", what, detail);
  } else if (health_.state() == cache_state::down && before != cache_state::down) {
    spdlog::warn(
        "cache check {}: down after {} failed check(s) in a row ({}); this node is out "
        "of every peer list until it passes {} in a row",
        what, health_.failures_in_a_row(), detail, cfg_.check_successes);
  } else if (!ok) {
    spdlog::debug("cache check {}: failed ({}), {} in a row", what, detail,
                  health_.failures_in_a_row());
  }
  if (flipped) mark(health_.up());

  // From one probe's start to the next's (a probe ends within check_timeout <= the interval).
  timer_->t.expires_at(started_ + cfg_.check_interval);
  timer_->t.async_wait(
      [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
        if (ec || alive.expired()) return;
        check();
      });
}

void cache_checker::mark(bool up) {
  const swim::member self = driver_.node().self();
  // Leaving: a new meta would gossip an alive with a higher incarnation and undo the leave.
  if (self.state == swim::member_state::left || self.state == swim::member_state::dead) return;
  auto tags = swim::decode_tags(self.meta).value_or(swim::tag_map{});
  tags[peerlib::protocol::cache_tag] =
      up ? peerlib::protocol::cache_up : peerlib::protocol::cache_down;
  // "up" is shorter than the "down" the node started with, so the meta always fits.
  if (!driver_.set_meta(swim::encode_tags(tags)))
    spdlog::error("cache check: the tags no longer fit in the node's meta; cache state not sent");
  if (changed_) changed_();
}

cache_check_stats cache_checker::stats() const {
  cache_check_stats s;
  s.configured = true;
  s.target = probe_->target().to_string();
  s.state = health_.state();
  s.passed = health_.passed();
  s.failed = health_.failed();
  s.transitions = health_.transitions();
  return s;
}

std::unique_ptr<cache_checker> start_cache_checker(boost::asio::io_context& io,
                                                   const cache_config& c,
                                                   swim::asio::driver& driver,
                                                   std::function<void()> changed) {
  if (c.check.empty()) return nullptr;
  auto checker = std::make_unique<cache_checker>(io, c, driver, std::move(changed));
  checker->start();
  return checker;
}

}  // namespace agent
