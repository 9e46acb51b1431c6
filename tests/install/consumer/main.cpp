// Built against the installed peerlib (C++17): every public header, a client in
// local mode, and groupcache-compatible hashing.
#include <peerlib/client.hpp>
#include <peerlib/hash.hpp>
#include <peerlib/peer_set.hpp>
#include <peerlib/protocol.hpp>
#include <peerlib/version.hpp>

#include <chrono>
#include <cstring>
#include <iostream>

int main() {
  peerlib::client_options opts;
  opts.socket_path = "/nonexistent/cachecluster.sock";
  opts.self.name = "me";
  opts.self.cache_url = "http://127.0.0.1:8080";
  peerlib::client c(opts);
  c.process();
  auto view = c.current();
  peerlib::consistent_hash ring;
  ring.add({"http://10.128.0.2:8080", "http://10.128.0.3:8080", "http://10.128.0.4:8080"});
  // tests/golden/groupcache_vectors.json, "three peers": key-0 -> http://10.128.0.2:8080
  bool ok = view->local_mode() && view->owner("k")->name == "me" &&
            ring.get("key-0") == "http://10.128.0.2:8080" && c.status().connect_failures == 1 &&
            std::strcmp(peerlib::library_version(), PEERLIB_VERSION) == 0 &&
            peerlib::protocol_revision() == peerlib::protocol::revision;
  std::cout << (ok ? "peerlib consumer ok" : "peerlib consumer FAILED") << " (peerlib "
            << peerlib::library_version() << ")\n";
  return ok ? 0 : 1;
}
