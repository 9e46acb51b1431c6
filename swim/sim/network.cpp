#include "swim/sim/network.hpp"

#include <algorithm>

namespace swim::sim {

/// The transport a node of one host sees: every call is tagged with that host.
class network::host_transport final : public transport {
 public:
  host_transport(network& net, const address& self) : net_(net), self_(self) {}
  void send_packet(const address& to, bytes packet) override {
    net_.send_packet(self_, to, std::move(packet));
  }
  void send_stream(stream_id id, const address& to, bytes frame, bool expect_reply,
                   time_point deadline) override {
    net_.send_stream(self_, id, to, std::move(frame), expect_reply, deadline);
  }

 private:
  network& net_;
  address self_;
};

/// One stream exchange in flight. Both the deadline and the normal path hold
/// it; whichever reports first wins.
struct network::stream_state {
  address initiator;
  std::uint64_t generation = 0;
  stream_id id = 0;
  time_point deadline;
  bool done = false;
};

network::network(event_loop& loop, std::uint64_t seed, network_options opt)
    : loop_(loop), opt_(opt), rng_(seed) {}

network::~network() = default;

network::host* network::find(const address& a) {
  auto it = hosts_.find(a);
  return it == hosts_.end() ? nullptr : &it->second;
}

const network::host* network::find(const address& a) const {
  auto it = hosts_.find(a);
  return it == hosts_.end() ? nullptr : &it->second;
}

transport& network::attach(const address& a, endpoint& ep) {
  host& h = hosts_[a];
  if (!h.tr) h.tr = std::make_unique<host_transport>(*this, a);
  h.ep = &ep;
  h.st = host_state::up;
  h.killed = false;
  ++h.generation;
  h.held.clear();
  return *h.tr;
}

void network::crash(const address& a) {
  if (host* h = find(a)) {
    h->st = host_state::down;
    h->ep = nullptr;
    ++h->generation;
    h->held.clear();
  }
}

void network::kill(const address& a) {
  crash(a);
  if (host* h = find(a)) h->killed = true;
}

void network::unreachable(const address& from, const address& to, endpoint::unreachable_kind k) {
  host* src = find(from);
  if (!src || src->st != host_state::up) return;
  const std::uint64_t gen = src->generation;
  // The answer travels back like any packet: it may be lost.
  if (!reachable(to, from) || roll(loss(to, from))) return;
  loop_.after(one_way(), [this, from, to, k, gen] {
    host* h = find(from);
    if (!h || h->generation != gen || h->st != host_state::up || !h->ep) return;
    h->ep->on_unreachable(to, k);
  });
}

void network::pause(const address& a) {
  if (host* h = find(a); h && h->st == host_state::up) h->st = host_state::paused;
}

void network::resume(const address& a) {
  host* h = find(a);
  if (!h || h->st != host_state::paused) return;
  h->st = host_state::up;
  // A real process reads what waited in its sockets; exchanges whose deadline
  // passed meanwhile have timed out on its side.
  auto held = std::move(h->held);
  h->held.clear();
  const std::uint64_t gen = h->generation;
  for (auto& [s, reply] : held) {
    if (h->generation != gen || h->st != host_state::up) break;
    if (loop_.now() > s->deadline) reply.reset();
    if (!reply) ++h->stats.streams_failed;
    h->ep->on_stream_result(s->id, std::move(reply));
  }
}

host_state network::state(const address& a) const {
  const host* h = find(a);
  return h ? h->st : host_state::down;
}

void network::set_loss_out(const address& a, double p) { hosts_[a].loss_out = p; }
void network::set_loss_in(const address& a, double p) { hosts_[a].loss_in = p; }
void network::set_link_loss(const address& from, const address& to, double p) {
  links_[{from, to}].loss = p;
}
void network::cut(const address& from, const address& to) { links_[{from, to}].blocked = true; }
void network::uncut(const address& from, const address& to) {
  auto it = links_.find({from, to});
  if (it != links_.end()) it->second.blocked = false;
}

void network::partition(const std::vector<std::vector<address>>& groups) {
  heal();
  std::uint32_t g = 0;
  for (const auto& group : groups) {
    ++g;
    for (const auto& a : group) hosts_[a].group = g;
  }
  partitioned_ = true;
}

void network::heal() {
  for (auto& [a, h] : hosts_) h.group = 0;
  partitioned_ = false;
}

void network::set_delay(duration base, duration jitter) {
  opt_.delay = base;
  opt_.jitter = jitter;
}

host_stats network::stats(const address& a) const {
  const host* h = find(a);
  return h ? h->stats : host_stats{};
}

host_stats network::total() const {
  host_stats t;
  for (const auto& [a, h] : hosts_) {
    t.packets_sent += h.stats.packets_sent;
    t.bytes_sent += h.stats.bytes_sent;
    t.packets_received += h.stats.packets_received;
    t.bytes_received += h.stats.bytes_received;
    t.packets_dropped += h.stats.packets_dropped;
    t.streams_sent += h.stats.streams_sent;
    t.stream_bytes_sent += h.stats.stream_bytes_sent;
    t.streams_failed += h.stats.streams_failed;
  }
  return t;
}

void network::reset_stats() {
  for (auto& [a, h] : hosts_) h.stats = host_stats{};
}

bool network::reachable(const address& from, const address& to) const {
  if (partitioned_) {
    const host* a = find(from);
    const host* b = find(to);
    if ((a ? a->group : 0) != (b ? b->group : 0)) return false;
  }
  if (!links_.empty()) {
    auto it = links_.find({from, to});
    if (it != links_.end() && it->second.blocked) return false;
  }
  return true;
}

double network::loss(const address& from, const address& to) const {
  double keep = 1.0 - opt_.loss;
  if (const host* a = find(from)) keep *= 1.0 - a->loss_out;
  if (const host* b = find(to)) keep *= 1.0 - b->loss_in;
  if (!links_.empty()) {
    auto it = links_.find({from, to});
    if (it != links_.end()) keep *= 1.0 - it->second.loss;
  }
  return 1.0 - keep;
}

bool network::roll(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

duration network::one_way() {
  if (opt_.jitter <= duration::zero()) return opt_.delay;
  std::uniform_int_distribution<duration::rep> j(0, opt_.jitter.count());
  return opt_.delay + duration(j(rng_));
}

duration network::retransmit_delay(double p, duration rto) {
  duration extra{0};
  // A stack gives up after a handful of tries; the caller's deadline ends it sooner.
  for (int i = 0; i < 8 && roll(p); ++i) {
    extra += rto;
    rto *= 2;
  }
  return extra;
}

void network::send_packet(const address& from, const address& to, bytes packet) {
  host* src = find(from);
  if (!src || src->st != host_state::up) return;  // a stopped process sends nothing
  ++src->stats.packets_sent;
  src->stats.bytes_sent += packet.size();
  if (!reachable(from, to) || roll(loss(from, to))) {
    ++src->stats.packets_dropped;
    return;
  }
  loop_.after(one_way(), [this, from, to, p = std::move(packet)]() mutable {
    host* dst = find(to);
    // Datagrams reaching a paused or crashed host are gone: nobody reads them
    // before the kernel buffer is abandoned (pause) or the port is closed (crash).
    if (dst && dst->killed) unreachable(from, to, endpoint::unreachable_kind::port);
    if (!dst || dst->st != host_state::up || !dst->ep) return;
    ++dst->stats.packets_received;
    dst->stats.bytes_received += p.size();
    dst->ep->on_packet(from, std::move(p));
  });
}

void network::send_stream(const address& from, stream_id id, const address& to, bytes frame,
                          bool expect_reply, time_point deadline) {
  host* src = find(from);
  if (!src || src->st != host_state::up) return;
  ++src->stats.streams_sent;
  src->stats.stream_bytes_sent += frame.size();

  auto s = std::make_shared<stream_state>();
  s->initiator = from;
  s->generation = src->generation;
  s->id = id;
  s->deadline = deadline;
  loop_.at(deadline, [this, s] { finish(s, std::nullopt); });

  // A connection needs both directions; a cut in either leaves the SYN or the
  // SYN-ACK unanswered, so the initiator waits out its deadline.
  if (!reachable(from, to) || !reachable(to, from)) return;

  const bool lossy = opt_.loss_affects_streams;
  const double p_fwd = lossy ? loss(from, to) : 0.0;
  const double p_back = lossy ? loss(to, from) : 0.0;
  // Handshake (SYN, SYN-ACK) then the request segment.
  const duration d_syn = one_way() + retransmit_delay(p_fwd, opt_.syn_rto);
  const duration d_synack = one_way() + retransmit_delay(p_back, opt_.syn_rto);
  const duration d_req = one_way() + retransmit_delay(p_fwd, opt_.data_rto);

  loop_.after(d_syn, [this, s, from, to, d_synack, d_req, expect_reply,
                      f = std::move(frame)]() mutable {
    host* dst = find(to);
    if (!dst || dst->st == host_state::down || !dst->ep) {
      // Connection refused: the RST comes straight back.
      if (dst && dst->killed) {
        const std::uint64_t gen = s->generation;
        loop_.after(one_way(), [this, s, from, to, gen] {
          host* h = find(from);
          if (!s->done && h && h->generation == gen && h->st == host_state::up && h->ep)
            h->ep->on_unreachable(to, endpoint::unreachable_kind::refused);
          finish(s, std::nullopt);
        });
        return;
      }
      loop_.after(one_way(), [this, s] { finish(s, std::nullopt); });
      return;
    }
    // The kernel of a paused host still completes the handshake, but nobody
    // reads the request, so the initiator times out.
    loop_.after(d_synack + d_req, [this, s, from, to, expect_reply, f2 = std::move(f)]() mutable {
      host* d = find(to);
      if (!d || d->st != host_state::up || !d->ep) {
        if (d && d->st == host_state::down) loop_.after(one_way(), [this, s] { finish(s, std::nullopt); });
        return;
      }
      std::optional<bytes> reply = d->ep->on_stream(from, std::move(f2));
      if (!expect_reply) {
        // The frame is written (acknowledged); that is all the sender waits for.
        loop_.after(one_way(), [this, s] { finish(s, bytes{}); });
        return;
      }
      if (!reply) {
        // The acceptor closed without replying.
        loop_.after(one_way(), [this, s] { finish(s, std::nullopt); });
        return;
      }
      d = find(to);
      if (d) {
        ++d->stats.streams_sent;
        d->stats.stream_bytes_sent += reply->size();
      }
      const bool lossy2 = opt_.loss_affects_streams;
      const duration back =
          one_way() + retransmit_delay(lossy2 ? loss(to, from) : 0.0, opt_.data_rto);
      loop_.after(back, [this, s, r = std::move(*reply)]() mutable { finish(s, std::move(r)); });
    });
  });
}

void network::finish(const std::shared_ptr<stream_state>& s, std::optional<bytes> reply) {
  if (s->done) return;
  s->done = true;
  host* h = find(s->initiator);
  // A crashed or restarted initiator is a different process: the result is lost.
  if (!h || h->generation != s->generation || !h->ep) return;
  if (h->st == host_state::paused) {
    h->held.emplace_back(s, std::move(reply));
    return;
  }
  if (h->st != host_state::up) return;
  if (!reply) ++h->stats.streams_failed;
  h->ep->on_stream_result(s->id, std::move(reply));
}

}  // namespace swim::sim
