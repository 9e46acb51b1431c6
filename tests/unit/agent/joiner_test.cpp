// The joiner's control-socket joins, on a real io_context: host names go through the
// system resolver ("localhost" from /etc/hosts), every address found is joined, and
// what cannot be resolved is named in the reply. Nothing is sent anywhere: the join
// hook records the addresses and the test reports the outcomes.

#include <utility>  // before Asio (Boost 1.74 + GCC 12)

#include <boost/asio.hpp>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/joiner.hpp"

namespace {

struct harness {
  boost::asio::io_context io;
  std::vector<swim::address> asked;
  std::optional<std::pair<bool, std::string>> answer;
  agent::joiner j{io, 7946, std::chrono::seconds(5), hooks()};

  agent::joiner_hooks hooks() {
    agent::joiner_hooks h;
    h.join = [this](const std::vector<swim::address>& a) {
      asked.insert(asked.end(), a.begin(), a.end());
      // Every address answers at once, the first one successfully.
      boost::asio::post(io, [this, a] {
        for (std::size_t i = 0; i < a.size(); ++i) j.on_join_result(a[i], i == 0);
      });
    };
    h.joined = [] {};
    h.known = [] { return std::vector<swim::address>{}; };
    return h;
  }

  void join(std::vector<std::string> addrs) {
    j.join_addresses(addrs, [this](bool ok, std::string m) {
      answer = {ok, std::move(m)};
    });
    io.run_for(std::chrono::seconds(10));
    io.restart();
  }
};

}  // namespace

TEST_CASE("joiner: a control-socket join takes IP literals and host names") {
  harness h;
  h.join({"localhost:7001", "127.0.0.9", "[::1]:7002"});
  REQUIRE(h.answer);
  CHECK(h.answer->first);
  CHECK(h.answer->second == "joined 1 of 3 address(es)");
  std::vector<std::string> asked;
  for (const auto& a : h.asked) asked.push_back(a.to_string());
  // Literals first (at once), then what the name resolved to.
  CHECK(asked == std::vector<std::string>{"127.0.0.9:7946", "[::1]:7002", "127.0.0.1:7001"});
}

TEST_CASE("joiner: a name that does not resolve is named; bad items fail before any join") {
  harness h;
  h.join({"127.0.0.9:7003", "no-such-host.invalid"});
  REQUIRE(h.answer);
  CHECK(h.answer->first);
  CHECK(h.answer->second.find("joined 1 of 1 address(es); cannot resolve no-such-host.invalid") ==
        0);

  harness bad;
  bad.join({"127.0.0.9", "host:99999"});
  REQUIRE(bad.answer);
  CHECK_FALSE(bad.answer->first);
  CHECK(bad.answer->second == "not HOST or HOST:PORT (port 1-65535): host:99999");
  CHECK(bad.asked.empty());

  harness none;
  none.join({"no-such-host.invalid:7946"});
  REQUIRE(none.answer);
  CHECK_FALSE(none.answer->first);
  CHECK(none.asked.empty());
}
