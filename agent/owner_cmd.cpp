#include "agent/owner_cmd.hpp"

#include <chrono>

#include "peerlib/client.hpp"
#include "peerlib/hash.hpp"
#include "peerlib/peer_set.hpp"

namespace agent::cli {

int owner(const std::string& socket, const owner_args& args, std::ostream& out, std::ostream& err) {
  peerlib::hash_algorithm algo{};
  if (!peerlib::parse_hash_algorithm(args.algo, algo)) {
    err << "cachecluster owner: --algo must be groupcache or rendezvous\n";
    return 2;
  }
  if (args.replicas < 1) {
    err << "cachecluster owner: --replicas must be at least 1\n";
    return 2;
  }
  if (!args.peers.empty()) {
    // Offline: hash the URLs exactly as given (their order decides groupcache ties).
    peerlib::consistent_hash ring(args.replicas);
    ring.add(args.peers);
    peerlib::rendezvous hrw(args.peers);
    for (const auto& k : args.keys)
      out << k << '\t' << (algo == peerlib::hash_algorithm::groupcache ? ring.get(k) : hrw.get(k))
          << '\n';
    return 0;
  }
  std::string error;
  auto snap = peerlib::fetch_snapshot(socket, std::chrono::seconds(10), &error);
  if (!snap) {
    err << "cachecluster owner: " << error << " (is the agent running? or pass --peers)\n";
    return 1;
  }
  peerlib::peer_set set(std::move(*snap), 0, args.replicas);
  if (set.local_mode()) err << "note: the agent is in local mode: it owns every key\n";
  for (const auto& k : args.keys) {
    const peerlib::peer* p = set.owner(k, algo);
    if (!p) {
      err << "cachecluster owner: the agent published no peers\n";
      return 1;
    }
    out << k << '\t' << peerlib::hash_id(*p) << '\t' << p->name << '\n';
  }
  return 0;
}

}  // namespace agent::cli
