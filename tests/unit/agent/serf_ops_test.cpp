// info's document and force-leave's replies (agent/serf_ops), and how the CLI prints them
// (agent/cli_serf).

#include <string>

#include <doctest/doctest.h>

#include "agent/cli_serf.hpp"
#include "agent/serf_ops.hpp"

namespace {

swim::member member(const std::string& name, swim::member_state st) {
  swim::member m;
  m.name = name;
  m.state = st;
  m.vsn = {1, 5, 2, 2, 5, 5};
  return m;
}

}  // namespace

TEST_CASE("serf ops: info has the agent, protocol versions, member counts and counters") {
  agent::status s;
  s.node_name = "cache-1";
  s.version = "0.1.0";
  s.ready = true;
  s.uptime_seconds = 61.4;
  s.members = {member("cache-1", swim::member_state::alive),
               member("cache-2", swim::member_state::dead),
               member("cache-3", swim::member_state::left),
               member("cache-4", swim::member_state::suspect)};
  s.node.probes = 12;
  s.agent.monitors = 1;
  const auto i = agent::make_info(s);
  CHECK(i.sections.at("agent").at("name") == "cache-1");
  CHECK(i.sections.at("agent").at("uptime") == "61s");
  CHECK(i.sections.at("agent").at("ready") == "true");
  CHECK(i.sections.at("protocol").at("memberlist") == "2 (min 1, max 5)");
  CHECK(i.sections.at("protocol").at("delegate") == "5 (min 2, max 5)");
  CHECK(i.sections.at("protocol").at("socket") == "1");
  const auto& m = i.sections.at("members");
  CHECK(m.at("alive") == "1");
  CHECK(m.at("suspect") == "1");
  CHECK(m.at("failed") == "1");
  CHECK(m.at("left") == "1");
  CHECK(m.at("total") == "4");
  CHECK(i.sections.at("gossip").at("probes") == "12");
  CHECK(i.sections.at("control").at("monitors") == "1");

  const std::string text = agent::cli::format_info(i);
  CHECK(text.find("agent:\n") == 0);
  CHECK(text.find("\tname = cache-1\n") != std::string::npos);
  CHECK(text.find("members:\n\talive = 1\n") != std::string::npos);
}

TEST_CASE("serf ops: force-leave replies") {
  using fl = swim::node::force_leave_result;
  CHECK(agent::force_leave_reply(fl::left, "c2").ok);
  CHECK(agent::force_leave_reply(fl::already_left, "c2").ok);
  for (auto r : {fl::not_failed, fl::unknown, fl::self, fl::rate_limited, fl::unsupported}) {
    auto reply = agent::force_leave_reply(r, "c2");
    CHECK_FALSE(reply.ok);
    CHECK_FALSE(reply.message.empty());
  }
  CHECK(agent::force_leave_reply(fl::unknown, "c9").message == "no member named c9");
  CHECK(agent::cli::format_log({"2024-05-01T12:00:00.250Z", "INFO", "member c2 left"}) ==
        "2024-05-01T12:00:00.250Z [INFO] member c2 left");
}
