#pragma once
// Which listed instances are peers, and at which address (pure). Compatible
// with gce-cache-cluster's [match]/[meta]: an instance matches when it carries
// every listed tag and every [meta] pair exactly, plus our [gce] labels and
// status. Labels and status are also sent to the API as a filter
// (server_filter), but are re-checked here: the filter is an optimisation, the
// match is the rule.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gce/parse.hpp"

namespace gce {

/// The rules an instance must satisfy to be a peer.
struct match_rules {
  std::vector<std::string> tags;               ///< network tags, all required
  std::map<std::string, std::string> meta;     ///< instance metadata pairs, all required
  std::map<std::string, std::string> labels;   ///< labels, all required
  std::vector<std::string> statuses{"RUNNING"};///< accepted statuses (any case); empty = any
  std::string network_interface = "nic0";      ///< NIC whose internal IP is the address
};

/// True when `in` satisfies every rule (tags, meta, labels, status) and has an address.
bool matches(const instance& in, const match_rules& rules);

/// The internal IP of the NIC named `nic`; like gce-cache-cluster, an instance
/// with exactly one NIC uses it whatever its name. nullopt when there is none.
std::optional<std::string> peer_ip(const instance& in, std::string_view nic);

/// An AIP-160 `filter` for what the API can filter reliably: status and labels.
/// Tags and metadata are not sent (metadata filters are rejected with 400; tag
/// filters are unconfirmed). "" when there is nothing to filter.
/// Example: (status = "RUNNING") AND (labels.app = "cache").
std::string server_filter(const match_rules& rules);

}  // namespace gce
