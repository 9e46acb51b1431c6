#pragma once
// The Serf-style control ops on a running agent, as pure functions of what the daemon
// holds: `info` (what `serf info` shows: the agent, protocol versions, counters) and
// the reply to `force-leave`. The CLI side is agent/cli_serf.*.

#include <string>

#include "agent/status.hpp"
#include "peerlib/protocol.hpp"
#include "swim/node.hpp"

namespace agent {

/// The info document: sections "agent" (name, version, uptime, ready, local mode), "protocol"
/// (memberlist and delegate versions, the socket protocol revision), "members" (counts by
/// state, suppressed, flaps), "gossip" (health, queue, traffic and probe counters) and
/// "control" (socket counters). Values as text. Pure, for tests.
peerlib::info_reply make_info(const status& s);

/// The result line force-leave answers with: ok for left and already left (idempotent), an
/// error naming the reason otherwise.
peerlib::result force_leave_reply(swim::node::force_leave_result r, const std::string& node);

}  // namespace agent
