#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "agent/service_notify.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdlib>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "agent/notify_socket.hpp"

namespace agent {

struct service_notify::impl {
  explicit impl(boost::asio::io_context& io) : timer(io) {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    active = socket != nullptr && *socket != '\0';
    // Only when WATCHDOG_PID (if set) is us: a child of the agent must not ping.
    if (active)
      watchdog = watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                                   static_cast<long>(::getpid())) / 2;
  }

  void send(const std::string& state) {
    if (!active) return;
    // NOTIFY_SOCKET stays set: hooks and children may look at it; they cannot ping the
    // watchdog (WATCHDOG_PID names the agent) and READY is sent once.
    if (int rc = notify_service_manager(state); rc < 0)
      spdlog::warn("sd_notify({}): error {}", state.substr(0, state.find('\n')), -rc);
  }

  void ping() {
    send("WATCHDOG=1");
    timer.expires_after(watchdog);
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) ping();
    });
  }

  boost::asio::steady_timer timer;
  bool active = false;
  std::chrono::microseconds watchdog{0};
};

void notify_start_extend(std::chrono::milliseconds extend, const std::string& status) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return;
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(extend).count();
  const std::string state =
      "STATUS=" + status + "\nEXTEND_TIMEOUT_USEC=" + std::to_string(usec);
  if (int rc = notify_service_manager(state); rc < 0)
    spdlog::debug("sd_notify(EXTEND_TIMEOUT_USEC): error {}", -rc);
}

service_notify::service_notify(boost::asio::io_context& io) : impl_(std::make_unique<impl>(io)) {}
service_notify::~service_notify() = default;

void service_notify::ready(const std::string& status) {
  impl_->send("READY=1\nSTATUS=" + status);
  if (impl_->active && impl_->watchdog.count() > 0) {
    spdlog::debug("systemd watchdog: a ping every {} ms", impl_->watchdog.count() / 1000);
    impl_->ping();
  }
}

void service_notify::stopping() { impl_->send("STOPPING=1\nSTATUS=leaving the cluster"); }

void service_notify::close() { impl_->timer.cancel(); }

bool service_notify::active() const { return impl_->active; }

}  // namespace agent
