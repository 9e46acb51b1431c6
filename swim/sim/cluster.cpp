#include "swim/sim/cluster.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "swim/wire.hpp"

namespace swim::sim {

std::uint64_t mix_seed(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t seed_from_env(std::uint64_t fallback) {
  const char* s = std::getenv("SIM_SEED");
  if (!s || !*s) return fallback;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 0);
  return (end && *end == '\0') ? static_cast<std::uint64_t>(v) : fallback;
}

std::optional<timing> sim_profile(std::string_view name) {
  if (name == "250ms" || name == "heartbeat") return heartbeat_timing(250);
  if (name.size() > 2 && name.substr(name.size() - 2) == "ms") {
    int ms = 0;
    for (char c : name.substr(0, name.size() - 2)) {
      if (c < '0' || c > '9') return std::nullopt;
      ms = ms * 10 + (c - '0');
    }
    if (ms > 0) return heartbeat_timing(ms);
  }
  return timing_for_profile(name);
}

/// One member: a node plus the driver glue. It is the node's delegate (to
/// record events) and the network's endpoint (to feed the node).
class cluster::member_host final : public endpoint, public delegate {
 public:
  member_host(cluster& c, std::size_t index, std::string name, address a)
      : c_(c), index_(index), name_(std::move(name)), addr_(a) {}

  const std::string& name() const { return name_; }
  const address& addr() const { return addr_; }
  member_status status() const { return status_; }
  node* get() { return node_.get(); }
  const node* get() const { return node_.get(); }

  /// Build a fresh node (first start or restart) and attach it to the network.
  void boot() {
    node_.reset();
    transport& tr = c_.net_.attach(addr_, *this);
    config cfg;
    cfg.name = name_;
    cfg.advertise = addr_;
    cfg.t = c_.opt_.t;
    cfg.serf_compat = c_.opt_.serf_compat;
    cfg.enable_compression = c_.opt_.enable_compression;
    cfg.identities = c_.identities_;  // one copy of each member's name, address and meta
    if (c_.opt_.configure) c_.opt_.configure(index_, cfg);
    const std::uint64_t seed = mix_seed(c_.opt_.seed ^ mix_seed(index_ * 1000003ull + boots_));
    ++boots_;
    ++generation_;
    tick_pending_ = false;
    status_ = member_status::running;
    node_ = std::make_unique<node>(std::move(cfg), tr, *this, seed, c_.now());
    after_entry();
  }

  void join(const address& seed) {
    if (!active()) return;
    node_->join({seed}, c_.now());
    after_entry();
  }

  void crash(bool host_up = false) {
    if (host_up)
      c_.net_.kill(addr_);
    else
      c_.net_.crash(addr_);
    ++generation_;
    node_.reset();
    status_ = member_status::crashed;
  }

  void pause() {
    if (status_ != member_status::running && status_ != member_status::leaving) return;
    paused_from_ = status_;
    status_ = member_status::paused;
    c_.net_.pause(addr_);
  }

  void resume() {
    if (status_ != member_status::paused) return;
    status_ = paused_from_;
    // Overdue timers fire first, as when a stopped process is continued.
    schedule_tick(c_.now());
    c_.net_.resume(addr_);
  }

  void leave() {
    if (status_ != member_status::running) return;
    status_ = member_status::leaving;
    node_->leave(c_.now());
    const std::uint64_t gen = generation_;
    c_.loop_.after(c_.opt_.leave_timeout, [this, gen] {
      if (gen == generation_ && status_ == member_status::leaving) shut_down_after_leave();
    });
    after_entry();
  }

  // ---- endpoint ----

  void on_packet(const address& from, bytes datagram) override {
    if (!active()) return;
    node_->on_packet(from, datagram, c_.now());
    after_entry();
  }

  std::optional<bytes> on_stream(const address& from, bytes frame) override {
    if (!active()) return std::nullopt;
    auto [r, error_reply] = node_->read_stream(frame);
    if (r.status != wire::parse_status::good) return error_reply;
    std::optional<bytes> reply = node_->on_stream(from, r.message, c_.now());
    after_entry();
    return reply;
  }

  void on_stream_result(stream_id id, std::optional<bytes> reply) override {
    if (!active()) return;
    std::optional<wire::stream_message> msg;
    if (reply && !reply->empty()) {
      wire::stream_result r = node_->read_stream(*reply).frame;
      if (r.status == wire::parse_status::good) msg = std::move(r.message);
    }
    node_->on_stream_reply(id, msg, c_.now());
    after_entry();
  }

  void on_unreachable(const address& to, unreachable_kind k) override {
    if (!active()) return;
    node_->on_unreachable(to,
                          k == unreachable_kind::port ? node::unreachable::port_unreachable
                                                      : node::unreachable::connection_refused,
                          c_.now());
    after_entry();
  }

  // ---- delegate ----

  void on_member_event(const member& m, member_event ev) override { c_.record(index_, m, ev); }
  void on_leave_complete() override {
    // Reported from inside a node entry point: shut down once it has returned.
    const std::uint64_t gen = generation_;
    c_.loop_.after(duration::zero(), [this, gen] {
      if (gen == generation_ && status_ == member_status::leaving) shut_down_after_leave();
    });
  }

 private:
  bool active() const {
    return node_ && (status_ == member_status::running || status_ == member_status::leaving);
  }

  /// Re-read next_deadline() after every entry point, as a real driver re-arms its timer.
  void after_entry() {
    if (!active()) return;
    const time_point d = node_->next_deadline();
    if (d == time_point::max()) return;
    if (tick_pending_ && tick_at_ <= d) return;  // an earlier wake-up will re-check
    schedule_tick(d);
  }

  void schedule_tick(time_point d) {
    if (d < c_.now()) d = c_.now();
    tick_pending_ = true;
    tick_at_ = d;
    const std::uint64_t token = ++tick_token_;
    const std::uint64_t gen = generation_;
    c_.loop_.at(d, [this, token, gen] { on_timer(token, gen); });
  }

  void on_timer(std::uint64_t token, std::uint64_t gen) {
    if (gen != generation_ || token != tick_token_) return;  // superseded
    tick_pending_ = false;
    if (!active()) return;
    const time_point now = c_.now();
    if (node_->next_deadline() <= now) {
      node_->tick(now);
      // A node that keeps asking for the past would spin the loop at one instant.
      if (node_->next_deadline() <= now) {
        ++stuck_ticks_;
        if (stuck_ticks_ > 1000) throw std::logic_error(name_ + ": next_deadline() stays in the past");
        schedule_tick(now + duration(1));
        return;
      }
    }
    stuck_ticks_ = 0;
    after_entry();
  }

  void shut_down_after_leave() {
    c_.net_.crash(addr_);
    ++generation_;
    node_.reset();
    status_ = member_status::left;
  }

  cluster& c_;
  std::size_t index_;
  std::string name_;
  address addr_;
  std::unique_ptr<node> node_;
  member_status status_ = member_status::idle;
  member_status paused_from_ = member_status::running;
  std::uint64_t boots_ = 0;
  std::uint64_t generation_ = 0;  ///< bumped per node object; stale timers check it
  bool tick_pending_ = false;
  time_point tick_at_{};
  std::uint64_t tick_token_ = 0;
  int stuck_ticks_ = 0;
};

cluster::cluster(cluster_options opt)
    : opt_(opt), loop_(), net_(loop_, mix_seed(opt.seed ^ 0x6e6574776f726bull), opt.net) {}

cluster::~cluster() = default;

address cluster::host_address(std::size_t i, bool recreated) {
  constexpr std::size_t per_block = 254 * 254;
  const auto k = static_cast<std::uint8_t>(2 * ((i / per_block) % 128) + (recreated ? 1 : 0));
  const std::size_t r = i % per_block;
  return address::v4(127, k, static_cast<std::uint8_t>(r / 254),
                     static_cast<std::uint8_t>(r % 254 + 1), 7946);
}

std::size_t cluster::start(std::size_t n) {
  const std::size_t first = members_.size();
  members_.reserve(first + n);
  for (std::size_t i = first; i < first + n; ++i) {
    std::string nm = "node-" + std::to_string(i);
    by_name_.emplace(nm, i);
    members_.push_back(
        std::make_unique<member_host>(*this, i, std::move(nm), host_address(i, false)));
    members_.back()->boot();
  }
  return first;
}

std::size_t cluster::recreate(std::size_t i) {
  members_.at(i)->crash();
  const std::size_t j = members_.size();
  // Same name, an address from the re-created range, memory lost, not joined yet.
  std::string nm = members_.at(i)->name();
  by_name_[nm] = j;
  members_.push_back(
      std::make_unique<member_host>(*this, j, std::move(nm), host_address(j, true)));
  members_.back()->boot();
  return j;
}

void cluster::join(std::size_t i, std::size_t seed_index) {
  members_.at(i)->join(members_.at(seed_index)->addr());
}

void cluster::join_all(std::size_t seed_index) {
  for (std::size_t i = 0; i < members_.size(); ++i)
    if (i != seed_index && is_running(i)) join(i, seed_index);
}

void cluster::crash(std::size_t i) { members_.at(i)->crash(); }
void cluster::kill(std::size_t i) { members_.at(i)->crash(/*host_up=*/true); }
void cluster::pause(std::size_t i) { members_.at(i)->pause(); }
void cluster::resume(std::size_t i) { members_.at(i)->resume(); }
void cluster::restart(std::size_t i) { members_.at(i)->boot(); }
void cluster::leave(std::size_t i) { members_.at(i)->leave(); }

node& cluster::at(std::size_t i) {
  node* n = members_.at(i)->get();
  if (!n) throw std::logic_error(name(i) + " has no node (crashed or left)");
  return *n;
}

bool cluster::has_node(std::size_t i) const { return members_.at(i)->get() != nullptr; }
const std::string& cluster::name(std::size_t i) const { return members_.at(i)->name(); }
const address& cluster::addr(std::size_t i) const { return members_.at(i)->addr(); }
member_status cluster::status(std::size_t i) const { return members_.at(i)->status(); }

bool cluster::is_running(std::size_t i) const {
  const member_status s = members_.at(i)->status();
  return s == member_status::running || s == member_status::leaving;
}

std::optional<std::size_t> cluster::index_of(std::string_view nm) const {
  auto it = by_name_.find(std::string(nm));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::size_t cluster::running_count() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < members_.size(); ++i) n += is_running(i) ? 1 : 0;
  return n;
}

std::optional<member_state> cluster::view(std::size_t observer, std::size_t subject) const {
  const node* n = members_.at(observer)->get();
  if (!n) return std::nullopt;
  const auto m = n->find(name(subject));
  if (!m) return std::nullopt;
  return m->state;
}

bool cluster::all_see(std::size_t subject, member_state s) const {
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i == subject || !is_running(i)) continue;
    if (view(i, subject) != s) return false;
  }
  return true;
}

bool cluster::all_see_gone(std::size_t subject) const {
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i == subject || !is_running(i)) continue;
    const auto v = view(i, subject);
    if (v && *v != member_state::dead && *v != member_state::left) return false;
  }
  return true;
}

bool cluster::any_sees(std::size_t subject, member_state s) const {
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i == subject || !is_running(i)) continue;
    if (view(i, subject) == s) return true;
  }
  return false;
}

bool cluster::converged() const {
  const std::size_t live = running_count();
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!is_running(i)) continue;
    const node* n = members_[i]->get();
    if (n->num_live() != live) return false;
  }
  // num_live counts suspects too; require every running member to see every other alive.
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!is_running(i)) continue;
    for (std::size_t j = 0; j < members_.size(); ++j) {
      if (i == j || !is_running(j)) continue;
      if (view(i, j) != member_state::alive) return false;
    }
  }
  return true;
}

void cluster::run_for(duration d) { loop_.run_for(d); }

bool cluster::run_until(const std::function<bool()>& pred, duration timeout, duration poll) {
  const time_point end = loop_.now() + timeout;
  if (pred()) return true;
  while (loop_.now() < end) {
    const time_point next = std::min(end, loop_.now() + poll);
    loop_.run_until(next);
    if (pred()) return true;
  }
  return false;
}

void cluster::record(std::size_t observer, const member& m, member_event ev) {
  if (ev == member_event::join && !opt_.log_joins && !on_event) return;
  event_record r;
  r.at = loop_.now();
  r.observer = static_cast<std::uint32_t>(observer);
  const auto idx = index_of(m.name);
  r.subject = idx ? static_cast<std::uint32_t>(*idx) : unknown_subject;
  r.ev = ev;
  r.incarnation = m.incarnation;
  if (ev != member_event::join || opt_.log_joins) log_.push_back(r);
  if (on_event) on_event(r);
}

std::size_t cluster::count_events(std::size_t subject, member_event ev, time_point since) const {
  std::size_t n = 0;
  for (const auto& r : log_)
    if (r.subject == subject && r.ev == ev && r.at >= since) ++n;
  return n;
}

std::optional<time_point> cluster::first_event(std::size_t subject, member_event ev,
                                               time_point since) const {
  for (const auto& r : log_)
    if (r.subject == subject && r.ev == ev && r.at >= since) return r.at;
  return std::nullopt;
}

std::optional<time_point> cluster::last_event(std::size_t subject, member_event ev,
                                              time_point since) const {
  std::optional<time_point> t;
  for (const auto& r : log_)
    if (r.subject == subject && r.ev == ev && r.at >= since) t = r.at;
  return t;
}

}  // namespace swim::sim
