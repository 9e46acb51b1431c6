#pragma once
// Which discovery candidates to join, and how many at once. A cold start of N agents that
// each joined every candidate gossip does not know yet would make up to N x (N - 1)
// push-pulls, most of them with the same few members that answered first. One successful
// push-pull already hands over the peer's whole member list, and gossip spreads the rest,
// so each listing joins at most `batch` candidates, picked at random (so the cluster's
// first joins spread over everyone rather than the lowest addresses), and replaces one that
// failed by another untried one until `batch` joins succeeded or the listing is used up.
// With `batch` or fewer candidates (a two- or three-member cluster) every one is joined at
// once, as before.
//
// Sans-I/O: addresses and `now` in, addresses to join out; the RNG is seeded.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "swim/address.hpp"

namespace agent {

class candidate_picker {
 public:
  using clock = std::chrono::steady_clock;

  struct options {
    std::size_t batch = 3;  ///< joins in flight plus joins that succeeded, per listing
    /// A join still unanswered after this long counts as failed (its report was lost).
    std::chrono::milliseconds answer_within{std::chrono::seconds(15)};
  };

  explicit candidate_picker(options o, std::uint64_t seed = 1) : opt_(o), rng_(seed) {}

  /// A new listing's candidates that gossip does not hold live: starts a new round and
  /// returns the ones to join now (at most `batch`, fewer while joins of an earlier
  /// round are still out).
  std::vector<swim::address> offer(const std::vector<swim::address>& fresh, clock::time_point now);
  /// The outcome of one join. Returns the candidates to join now in its place (one after a
  /// failure while untried ones are left; none after a success, or for an address this
  /// picker did not ask for).
  std::vector<swim::address> result(const swim::address& addr, bool ok, clock::time_point now);

  /// Joins asked for and not answered yet.
  std::size_t in_flight() const { return in_flight_.size(); }
  /// Candidates of the current round not tried yet.
  std::size_t untried() const { return pool_.size(); }

 private:
  struct pending {
    swim::address addr;
    clock::time_point since;
  };

  std::vector<swim::address> fill(clock::time_point now);

  options opt_;
  std::mt19937_64 rng_;
  std::vector<swim::address> pool_;  // shuffled; taken from the back
  std::vector<pending> in_flight_;
  std::size_t succeeded_ = 0;  // in this round
};

}  // namespace agent
