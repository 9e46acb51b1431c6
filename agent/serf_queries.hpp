#pragma once
// Serf's queries and user events, as a member of a pool of Serf agents sees them
// (docs/wire.md §9.6, docs/architecture.md "serf_queries"):
//
//  * answers `_serf_ping` with an ack (what `serf reachability` counts), and acks every
//    other query that asks for one and passes its filters, as Serf's handleQuery does;
//  * answers `_serf_install-key`, `_serf_use-key`, `_serf_remove-key` and `_serf_list-keys`
//    by applying them through the key_manager, in Serf's nodeKeyResponse format, so
//    `serf keys` run at a Serf agent rotates our keys too;
//  * gossips on each user event and query the first time it sees it (not a query flagged
//    no-broadcast), deduplicated as Serf does: Lamport clocks, and a ring of the last 512
//    Lamport times holding the names+payloads (events) or IDs (queries) seen at each;
//  * forwards Serf's relay messages to their destination, and relays each of its own
//    responses through RelayFactor other members when the query asks for that;
//  * issues the key queries itself (`cachecluster keys`): applies the operation locally,
//    gossips the query, gathers the responses as Serf's KeyManager does and reports them.
//
// Sans-I/O and single-threaded: the daemon feeds it user messages and the time, runs tick()
// at next_deadline(), and gives it hooks to send and gossip. It must not be called from
// inside a node entry point (it calls the key manager, which changes the node's keys).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agent/key_manager.hpp"
#include "agent/serf_queries_stats.hpp"
#include "peerlib/protocol.hpp"
#include "swim/address.hpp"
#include "swim/bytes.hpp"
#include "swim/member.hpp"
#include "swim/serf.hpp"
#include "swim/time.hpp"

namespace agent {

/// How the room reaches the network and the member table.
struct serf_queries_hooks {
  /// Send a user message payload (serfType | body) straight to `to` (driver::send_user).
  std::function<void(const swim::address& to, swim::bytes payload)> send_to;
  /// Gossip a user message payload (driver::broadcast_user).
  std::function<void(swim::bytes payload)> broadcast;
  /// Every member the node knows, any state, self included (node::members).
  std::function<std::vector<swim::member>()> members;
};

/// Who we are and Serf's query settings (serf/config.go defaults).
struct serf_queries_config {
  std::string name;                         ///< our member name
  swim::address advertise;                  ///< where answers to our queries must come
  std::map<std::string, std::string> tags;  ///< our tags, for Serf's tag filters
  swim::duration gossip_interval = std::chrono::milliseconds(200);
  unsigned timeout_mult = 16;      ///< QueryTimeoutMult
  std::size_t event_buffer = 512;  ///< EventBuffer: Lamport times remembered
  std::size_t query_buffer = 512;  ///< QueryBuffer
};

class serf_queries {
 public:
  using done_fn = std::function<void(peerlib::keys_result)>;

  serf_queries(serf_queries_config cfg, key_manager& keys, serf_queries_hooks hooks,
               std::uint64_t seed);

  /// A memberlist user message payload (serfType | body) the node delivered.
  void on_user_message(swim::byte_view payload, swim::time_point now);
  /// A push-pull's user state: a Serf agent's clocks, witnessed minus one as Serf does, so our
  /// first query after joining is not older than what Serf agents remember.
  void on_remote_state(swim::byte_view user_state);

  /// Run a key operation on every member: apply it here, gossip Serf's `_serf_<op>` query,
  /// and call `done` once with what the members answered, when every live member has or
  /// when `timeout` (default_timeout() when none) has passed. A bad key is refused at once.
  void keys(peerlib::keys_action action, const std::string& key_base64,
            std::optional<swim::duration> timeout, swim::time_point now, done_fn done);

  /// Serf's DefaultQueryTimeout: gossip interval x timeout_mult x ceil(log10(live + 1)).
  swim::duration default_timeout() const;
  /// When tick() must run next, if a query of ours is open.
  std::optional<swim::time_point> next_deadline() const;
  /// Close the queries whose deadline has passed.
  void tick(swim::time_point now);

  const serf_queries_stats& stats() const { return st_; }
  /// The query Lamport clock (the LTime our next query gets).
  std::uint64_t query_clock() const { return query_clock_; }
  /// The event Lamport clock.
  std::uint64_t event_clock() const { return event_clock_; }

  /// Serf's shouldProcessQuery: do the query's filters select a member named `name` with
  /// `tags`? An unknown or malformed filter, or a bad regular expression, selects nobody.
  static bool passes_filters(const std::vector<swim::bytes>& filters, const std::string& name,
                             const std::map<std::string, std::string>& tags);

 private:
  struct seen_at {
    std::uint64_t ltime = 0;
    bool used = false;
    std::vector<std::uint32_t> ids;                           // queries
    std::vector<std::pair<std::string, swim::bytes>> events;  // name, payload
  };
  struct pending {
    std::uint32_t id = 0;
    peerlib::keys_action action = peerlib::keys_action::list;
    swim::time_point deadline{};
    std::vector<std::string> expected;  // live members when the query went out
    std::map<std::string, bool> answered;
    peerlib::keys_result result;
    done_fn done;
  };

  void on_event(swim::byte_view payload);
  void on_query(swim::byte_view payload);
  void on_response(const swim::serf::query_response& r);
  void on_relay(swim::byte_view payload);

  /// Serf's handleQuery bookkeeping: witness the clock; false when too old or seen.
  bool first_sight(const swim::serf::query& q);
  /// Ack it if asked, and answer the internal queries.
  void process(const swim::serf::query& q);
  swim::serf::key_response answer_key_query(const swim::serf::query& q);
  /// Send `r` to the querier (or take it here when the querier is us), and relay copies.
  void respond(const swim::serf::query& q, const swim::serf::query_response& r);
  void relay_response(const swim::serf::query& q, const swim::bytes& encoded);
  void count_key_response(pending& p, const std::string& from, swim::byte_view payload);
  void finish(std::uint64_t ltime);

  serf_queries_config cfg_;
  key_manager& keys_;
  serf_queries_hooks hooks_;
  std::mt19937_64 rng_;
  std::uint64_t query_clock_ = 0;
  std::uint64_t event_clock_ = 0;
  std::vector<seen_at> queries_seen_;
  std::vector<seen_at> events_seen_;
  std::map<std::uint64_t, pending> open_;  // our queries by LTime (Serf keys them so)
  serf_queries_stats st_;
};

}  // namespace agent
