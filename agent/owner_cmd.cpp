#include "agent/owner_cmd.hpp"

#include <chrono>
#include <functional>

#include "peerlib/client.hpp"
#include "peerlib/hash.hpp"
#include "peerlib/peer_set.hpp"

namespace agent::cli {
namespace {

/// Call `each` with every key: the command line's, or the lines of `in`. Stops at the first
/// `each` that returns false; returns false then.
bool for_each_key(const owner_args& args, std::istream& in,
                  const std::function<bool(const std::string&)>& each) {
  if (!args.keys.empty()) {
    for (const auto& k : args.keys)
      if (!each(k)) return false;
    return true;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (!each(line)) return false;
  }
  return true;
}

}  // namespace

int owner(const std::string& socket, const owner_args& args, std::istream& in, std::ostream& out,
          std::ostream& err) {
  peerlib::hash_algorithm algo{};
  if (!peerlib::parse_hash_algorithm(args.algo, algo)) {
    err << "cachecluster owner: --algo must be groupcache or rendezvous\n";
    return 2;
  }
  if (args.replicas < 1) {
    err << "cachecluster owner: --replicas must be at least 1\n";
    return 2;
  }
  // Keys read from a pipe are answered line by line, so a caller can wait for each answer.
  const bool from_input = args.keys.empty();
  auto print = [&](const std::string& line) {
    out << line << '\n';
    if (from_input) out.flush();
  };
  if (!args.peers.empty()) {
    // Offline: hash the URLs exactly as given (their order decides groupcache ties).
    peerlib::consistent_hash ring(args.replicas);
    ring.add(args.peers);
    peerlib::rendezvous hrw(args.peers);
    for_each_key(args, in, [&](const std::string& k) {
      print(k + '\t' + (algo == peerlib::hash_algorithm::groupcache ? ring.get(k) : hrw.get(k)));
      return true;
    });
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
  const bool ok = for_each_key(args, in, [&](const std::string& k) {
    const peerlib::peer* p = set.owner(k, algo);
    if (!p) {
      err << "cachecluster owner: the agent published no peers\n";
      return false;
    }
    print(k + '\t' + peerlib::hash_id(*p) + '\t' + p->name);
    return true;
  });
  return ok ? 0 : 1;
}

}  // namespace agent::cli
