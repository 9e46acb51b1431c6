#include "agent/serf_queries.hpp"

#include <algorithm>
#include <cmath>
#include <regex>

#include <spdlog/spdlog.h>

#include "agent/keyring_file.hpp"

namespace agent {
namespace {

namespace serf = swim::serf;
using peerlib::keys_action;

using serf::install_key_query;
using serf::list_keys_query;
using serf::ping_query;
using serf::remove_key_query;
using serf::use_key_query;

/// Serf's LamportClock.Witness.
void witness(std::uint64_t& clock, std::uint64_t v) {
  if (v >= clock) clock = v + 1;
}

/// The slot of `ltime` in a dedup ring, reset when it held another Lamport time. nullptr when
/// the time is older than the ring remembers (Serf drops those).
template <class Slot>
Slot* slot_for(std::vector<Slot>& ring, std::uint64_t clock, std::uint64_t ltime) {
  const std::uint64_t n = ring.size();
  if (clock > n && ltime < clock - n) return nullptr;
  Slot& s = ring[ltime % n];
  if (!s.used || s.ltime != ltime) s = Slot{ltime, true, {}, {}};
  return &s;
}

}  // namespace

serf_queries::serf_queries(serf_queries_config cfg, key_manager& keys, serf_queries_hooks hooks,
                           std::uint64_t seed)
    : cfg_(std::move(cfg)),
      keys_(keys),
      hooks_(std::move(hooks)),
      rng_(seed),
      queries_seen_(std::max<std::size_t>(cfg_.query_buffer, 1)),
      events_seen_(std::max<std::size_t>(cfg_.event_buffer, 1)) {}

// ---- receiving ----

void serf_queries::on_user_message(swim::byte_view payload, swim::time_point now) {
  (void)now;
  auto t = serf::type_of(payload);
  if (!t) return;
  switch (*t) {
    case serf::message_type::user_event:
      on_event(payload);
      break;
    case serf::message_type::query:
      on_query(payload);
      break;
    case serf::message_type::query_response:
      if (auto r = serf::decode_query_response(payload)) {
        on_response(*r);
      } else {
        st_.malformed++;
      }
      break;
    case serf::message_type::relay:
      on_relay(payload);
      break;
    default:
      break;  // intents: the node keeps its clock with them; Serf gossips its own
  }
}

void serf_queries::on_remote_state(swim::byte_view user_state) {
  // delegate.go MergeRemoteState: "we subtract 1 since no message with that clock has been
  // sent yet".
  auto c = serf::decode_push_pull_clocks(user_state);
  if (!c) return;
  if (c->event_ltime > 0) witness(event_clock_, c->event_ltime - 1);
  if (c->query_ltime > 0) witness(query_clock_, c->query_ltime - 1);
}

void serf_queries::on_event(swim::byte_view payload) {
  // serf.go handleUserEvent: witness, drop if older than the ring, dedup by name + payload.
  auto e = serf::decode_user_event(payload);
  if (!e) {
    st_.malformed++;
    return;
  }
  witness(event_clock_, e->ltime);
  seen_at* s = slot_for(events_seen_, event_clock_, e->ltime);
  if (!s) {
    st_.too_old++;
    return;
  }
  for (const auto& [name, body] : s->events) {
    if (name == e->name && body == e->payload) {
      st_.duplicates++;
      return;
    }
  }
  s->events.emplace_back(e->name, e->payload);
  st_.events++;
  st_.events_relayed++;
  spdlog::debug("serf event {} (ltime {}): gossiping it on", e->name, e->ltime);
  // Rebroadcast the bytes as received, as Serf's delegate does.
  hooks_.broadcast(swim::bytes(payload.begin(), payload.end()));
}

bool serf_queries::first_sight(const serf::query& q) {
  witness(query_clock_, q.ltime);
  seen_at* s = slot_for(queries_seen_, query_clock_, q.ltime);
  if (!s) {
    st_.too_old++;
    return false;
  }
  if (std::find(s->ids.begin(), s->ids.end(), q.id) != s->ids.end()) {
    st_.duplicates++;
    return false;
  }
  s->ids.push_back(q.id);
  st_.queries++;
  return true;
}

void serf_queries::on_query(swim::byte_view payload) {
  auto q = serf::decode_query(payload);
  if (!q) {
    st_.malformed++;
    return;
  }
  if (!first_sight(*q)) return;
  // serf.go handleQuery: gossip it on unless flagged not to, even when the filters leave us
  // out; the delegate queues the bytes as received.
  if (!q->no_broadcast()) {
    st_.queries_relayed++;
    hooks_.broadcast(swim::bytes(payload.begin(), payload.end()));
  }
  process(*q);
}

bool serf_queries::passes_filters(const std::vector<swim::bytes>& filters, const std::string& name,
                                  const std::map<std::string, std::string>& tags) {
  for (const auto& raw : filters) {
    auto f = serf::decode_filter(raw);
    if (!f) return false;
    if (const auto* n = std::get_if<serf::node_filter>(&*f)) {
      if (std::find(n->nodes.begin(), n->nodes.end(), name) == n->nodes.end()) return false;
    } else {
      const auto& t = std::get<serf::tag_filter>(*f);
      auto it = tags.find(t.tag);
      const std::string value = it == tags.end() ? "" : it->second;
      try {
        // Go's regexp.MatchString: a match anywhere in the value.
        if (!std::regex_search(value, std::regex(t.expr))) return false;
      } catch (const std::regex_error&) {
        return false;
      }
    }
  }
  return true;
}

void serf_queries::process(const serf::query& q) {
  if (!passes_filters(q.filters, cfg_.name, cfg_.tags)) {
    st_.filtered++;
    return;
  }
  if (q.ack()) {
    serf::query_response ack;
    ack.ltime = q.ltime;
    ack.id = q.id;
    ack.from = cfg_.name;
    ack.flags = serf::query_flag_ack;
    st_.acks_sent++;
    respond(q, ack);
  }
  // internal_query.go: only the _serf_ queries are answered here; an agent would hand the
  // others to its event handlers, and we have none. A ping needs nothing but the ack, and a
  // conflict query goes unanswered (one vote fewer).
  const std::string_view prefix = serf::internal_query_prefix;
  if (q.name.size() <= prefix.size() || q.name.compare(0, prefix.size(), prefix) != 0) return;
  const std::string_view what = std::string_view(q.name).substr(prefix.size());
  if (what == ping_query) return;
  if (what != install_key_query && what != use_key_query && what != remove_key_query &&
      what != list_keys_query)
    return;
  serf::key_response kr = answer_key_query(q);
  serf::query_response resp;
  resp.ltime = q.ltime;
  resp.id = q.id;
  resp.from = cfg_.name;
  resp.payload = serf::encode(kr);
  if (what == list_keys_query) {
    // keyListResponseWithCorrectSize: drop keys until the response fits.
    const std::size_t total = kr.keys.size();
    while (serf::encode(resp).size() > serf::query_response_size_limit && !kr.keys.empty()) {
      kr.keys.pop_back();
      kr.message = "truncated key list response, showing first " + std::to_string(kr.keys.size()) +
                   " of " + std::to_string(total) + " keys";
      resp.payload = serf::encode(kr);
    }
  }
  if (serf::encode(resp).size() > serf::query_response_size_limit) {
    spdlog::warn("serf query {}: our response is over {} bytes; not sent", q.name,
                 serf::query_response_size_limit);
    return;
  }
  st_.responses_sent++;
  respond(q, resp);
}

serf::key_response serf_queries::answer_key_query(const serf::query& q) {
  serf::key_response out;
  const std::string_view what = std::string_view(q.name).substr(serf::internal_query_prefix.size());
  if (what == list_keys_query) {
    if (keys_.ring().empty()) {
      out.message = "Keyring is empty (encryption not enabled)";
      return out;
    }
    out.keys = keys_.list();
    out.primary_key = out.keys.front();
    out.result = true;
    return out;
  }
  auto req = serf::decode_key_request(q.payload);
  if (!req) {
    spdlog::error("serf query {} from {}: cannot decode its key request", q.name, q.source_node);
    return out;  // Serf answers Result false with no message
  }
  if (keys_.ring().empty()) {
    out.message = "No keyring to modify (encryption not enabled)";
    return out;
  }
  const std::string key = base64_encode(req->key);
  std::optional<std::string> err;
  if (what == install_key_query) {
    err = keys_.install(key);
  } else if (what == use_key_query) {
    err = keys_.use(key);
  } else {
    err = keys_.remove(key);
  }
  if (err) {
    spdlog::warn("serf query {} from {}: {}", q.name, q.source_node, *err);
    out.message = *err;
    return out;
  }
  st_.key_changes++;
  spdlog::info("serf query {} from {}: applied", q.name, q.source_node);
  out.result = true;
  return out;
}

void serf_queries::respond(const serf::query& q, const serf::query_response& r) {
  if (q.source_node == cfg_.name) {
    on_response(r);  // our own query, answered here as Serf answers itself
    return;
  }
  auto to = swim::address::from_ip_bytes(q.addr, q.port);
  if (!to) {
    st_.malformed++;
    return;
  }
  swim::bytes encoded = serf::encode(r);
  hooks_.send_to(*to, encoded);
  relay_response(q, encoded);
}

void serf_queries::relay_response(const serf::query& q, const swim::bytes& encoded) {
  // query.go relayResponse: only when there are at least RelayFactor other members, through
  // up to RelayFactor random alive members that speak protocol 5, never ourselves.
  if (q.relay_factor == 0) return;
  auto members = hooks_.members();
  if (members.size() < static_cast<std::size_t>(q.relay_factor) + 1) return;
  std::vector<const swim::member*> candidates;
  for (const auto& m : members)
    if (m.state == swim::member_state::alive && m.pmax() >= 5 && m.name != cfg_.name)
      candidates.push_back(&m);
  std::shuffle(candidates.begin(), candidates.end(), rng_);
  if (candidates.size() > q.relay_factor) candidates.resize(q.relay_factor);
  const serf::relay_header h{q.addr, q.port, "", q.source_node};
  const swim::bytes relayed = serf::encode_relay(h, encoded);
  if (relayed.size() > serf::query_response_size_limit) return;
  for (const auto* m : candidates) {
    st_.response_relays_sent++;
    hooks_.send_to(m->addr, relayed);
  }
}

void serf_queries::on_relay(swim::byte_view payload) {
  // delegate.go NotifyMsg, messageRelayType: send the rest on to DestAddr, unchanged.
  auto r = serf::decode_relay(payload);
  if (!r) {
    st_.malformed++;
    return;
  }
  if (r->header.dest_port < 0 || r->header.dest_port > 65535) {
    st_.malformed++;
    return;
  }
  auto to = swim::address::from_ip_bytes(r->header.dest_ip,
                                         static_cast<std::uint16_t>(r->header.dest_port));
  if (!to) {
    st_.malformed++;
    return;
  }
  st_.relays_forwarded++;
  hooks_.send_to(*to, std::move(r->inner));
}

}  // namespace agent
