// serf_queries, the other half: the key queries this agent issues (`cachecluster keys`), as
// serf.go's Query and KeyManager do: ask every live member, collect one response per member
// until the timeout, and summarise like `serf keys`. The receiving half (answering, relaying)
// is in serf_queries.cpp.

#include "agent/serf_queries.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "agent/keyring_file.hpp"

namespace agent {
namespace {

namespace serf = swim::serf;
using peerlib::keys_action;

std::string_view query_name(keys_action a) {
  switch (a) {
    case keys_action::install:
      return serf::install_key_query;
    case keys_action::use:
      return serf::use_key_query;
    case keys_action::remove:
      return serf::remove_key_query;
    case keys_action::list:
      break;
  }
  return serf::list_keys_query;
}

std::string summary(std::uint32_t members, std::uint32_t responses, std::uint32_t errors) {
  if (errors > 0)
    return std::to_string(errors) + "/" + std::to_string(members) + " members reported failure";
  return std::to_string(responses) + "/" + std::to_string(members) + " members answered";
}

}  // namespace

swim::duration serf_queries::default_timeout() const {
  std::size_t live = 0;
  for (const auto& m : hooks_.members())
    if (m.state == swim::member_state::alive || m.state == swim::member_state::suspect) live++;
  const double factor = std::ceil(std::log10(static_cast<double>(live + 1)));
  return cfg_.gossip_interval * cfg_.timeout_mult *
         static_cast<std::int64_t>(std::max(factor, 1.0));
}

void serf_queries::keys(keys_action action, const std::string& key_base64,
                        std::optional<swim::duration> timeout, swim::time_point now, done_fn done) {
  serf::key_request req;
  if (action != keys_action::list) {
    std::string why;
    auto key = decode_key(key_base64, &why);
    if (!key) {
      peerlib::keys_result r;
      r.action = action;
      r.message = "bad key: " + why;
      done(std::move(r));
      return;
    }
    req.key = std::move(*key);
  }

  serf::query q;
  q.ltime = query_clock_;
  std::uniform_int_distribution<std::uint32_t> id(0, 0x7fffffff);  // Go: uint32(rand.Int31())
  do q.id = id(rng_);
  while (open_.count(q.ltime) != 0 && open_.at(q.ltime).id == q.id);
  auto ip = cfg_.advertise.ip_bytes();
  q.addr.assign(ip.begin(), ip.end());
  q.port = cfg_.advertise.port;
  q.source_node = cfg_.name;
  q.timeout_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(timeout.value_or(default_timeout()))
          .count();
  q.name = std::string(serf::internal_query_prefix) + std::string(query_name(action));
  q.payload = serf::encode(req);

  pending p;
  p.id = q.id;
  p.action = action;
  p.deadline =
      now + std::chrono::duration_cast<swim::duration>(std::chrono::nanoseconds(q.timeout_ns));
  for (const auto& m : hooks_.members())
    if (m.state == swim::member_state::alive || m.state == swim::member_state::suspect)
      p.expected.push_back(m.name);
  p.result.action = action;
  p.result.members = static_cast<std::uint32_t>(p.expected.size());
  p.done = std::move(done);
  const std::uint64_t ltime = q.ltime;
  open_[ltime] = std::move(p);
  st_.queries_issued++;
  spdlog::info("keys {}: asking {} member(s), timeout {} ms", peerlib::protocol::to_string(action),
               open_[ltime].expected.size(), q.timeout_ns / 1'000'000);

  // serf.go Query: handle it here first (we answer ourselves), then gossip it.
  first_sight(q);
  process(q);
  hooks_.broadcast(serf::encode(q));
  if (auto it = open_.find(ltime);
      it != open_.end() && it->second.answered.size() >= it->second.expected.size()) {
    bool all = true;
    for (const auto& n : it->second.expected) all = all && it->second.answered.count(n);
    if (all) finish(ltime);
  }
}

void serf_queries::on_response(const serf::query_response& r) {
  // serf.go handleQueryResponse: our open query at that LTime, the same ID, one per member.
  auto it = open_.find(r.ltime);
  if (it == open_.end() || it->second.id != r.id || r.ack()) return;
  pending& p = it->second;
  if (!p.answered.emplace(r.from, true).second) return;
  st_.responses_received++;
  count_key_response(p, r.from, r.payload);
  bool all = true;
  for (const auto& n : p.expected) all = all && p.answered.count(n);
  if (all) finish(r.ltime);
}

void serf_queries::count_key_response(pending& p, const std::string& from,
                                      swim::byte_view payload) {
  // keymanager.go streamKeyResp.
  auto& res = p.result;
  res.responses++;
  if (payload.empty() ||
      payload[0] != static_cast<std::uint8_t>(serf::message_type::key_response)) {
    res.failures[from] = "invalid key query response type";
    return;
  }
  auto kr = serf::decode_key_response(payload);
  if (!kr) {
    res.failures[from] = "failed to decode key query response";
    return;
  }
  if (!kr->result) {
    res.failures[from] = kr->message.empty() ? "failed (no reason given)" : kr->message;
  } else if (!kr->message.empty()) {
    res.notes[from] = kr->message;
  }
  for (const auto& k : kr->keys) res.keys[k]++;
  if (!kr->primary_key.empty()) res.primary_keys[kr->primary_key]++;
}

void serf_queries::finish(std::uint64_t ltime) {
  auto it = open_.find(ltime);
  if (it == open_.end()) return;
  pending p = std::move(it->second);
  open_.erase(it);
  auto& res = p.result;
  const auto errors = static_cast<std::uint32_t>(res.failures.size());
  for (const auto& n : p.expected)
    if (!p.answered.count(n)) res.failures[n] = "no response";
  res.ok = res.failures.empty();
  res.message = summary(res.members, res.responses, errors);
  spdlog::info("keys {}: {}", peerlib::protocol::to_string(res.action), res.message);
  if (p.done) p.done(std::move(res));
}

std::optional<swim::time_point> serf_queries::next_deadline() const {
  std::optional<swim::time_point> next;
  for (const auto& [lt, p] : open_)
    if (!next || p.deadline < *next) next = p.deadline;
  return next;
}

void serf_queries::tick(swim::time_point now) {
  std::vector<std::uint64_t> due;
  for (const auto& [lt, p] : open_)
    if (p.deadline <= now) due.push_back(lt);
  for (auto lt : due) finish(lt);
}

}  // namespace agent
