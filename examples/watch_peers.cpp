// watch_peers: print every peer list the local agent publishes, through peerlib.
//
//   watch_peers [SOCKET] [--poll]
//
// By default the client's background thread calls back; with --poll the same
// happens from this program's own poll() loop (fd() + process()), as an
// application with its own event loop would do it.

#include <poll.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "peerlib/client.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void print(const std::shared_ptr<const peerlib::peer_set>& v) {
  std::cout << "version " << v->version() << " (generation " << v->generation() << ")"
            << (v->local_mode() ? " LOCAL MODE" : "") << ", " << v->size() << " peer(s)\n";
  for (const auto& p : v->peers()) {
    std::cout << "  " << (v->is_self(p) ? "*" : " ") << p.name << "  " << p.address << ":" << p.port
              << "  " << (p.cache_url.empty() ? "-" : p.cache_url) << "  zone="
              << (p.zone.empty() ? "-" : p.zone) << "  " << peerlib::protocol::to_string(p.state)
              << "\n";
  }
  std::cout << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  peerlib::client_options opts;
  bool poll_mode = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--poll") == 0) poll_mode = true;
    else opts.socket_path = argv[i];
  }
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });

  peerlib::client c(opts);
  std::string last_error;
  auto report_errors = [&] {
    auto st = c.status();
    if (st.last_error != last_error) {
      last_error = st.last_error;
      if (!last_error.empty()) std::cerr << "peerlib: " << last_error << "\n";
    }
  };

  if (!poll_mode) {
    if (!c.start(print)) {
      std::cerr << "peerlib: " << c.status().last_error << "\n";
      return 1;
    }
    while (!stop_requested) {
      ::poll(nullptr, 0, 200);
      report_errors();
    }
    c.stop();
    return 0;
  }

  c.set_callback(print);
  print(c.current());
  while (!stop_requested) {
    pollfd p{c.fd(), POLLIN, 0};
    if (::poll(&p, 1, 1000) > 0) c.process();
    report_errors();
  }
  return 0;
}
