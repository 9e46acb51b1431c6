#include "util/host_port.hpp"

#include <doctest/doctest.h>

namespace {

struct row {
  std::string_view text;
  bool ok;
  std::string_view host;
  std::optional<std::string_view> port;
};

}  // namespace

TEST_CASE("split_host_port") {
  const row rows[] = {
      {"10.0.0.2", true, "10.0.0.2", std::nullopt},
      {"10.0.0.2:7946", true, "10.0.0.2", "7946"},
      {"cache-1.internal:80", true, "cache-1.internal", "80"},
      {"::1", true, "::1", std::nullopt},
      {"2001:db8::2", true, "2001:db8::2", std::nullopt},
      {"[::1]", true, "::1", std::nullopt},
      {"[::1]:7946", true, "::1", "7946"},
      {"[::1]:", true, "::1", ""},
      {"host:", true, "host", ""},
      {":80", true, "", "80"},
      {"", true, "", std::nullopt},
      {"[]", true, "", std::nullopt},
      {"[::1", false, "", std::nullopt},
      {"[::1]7946", false, "", std::nullopt},
      {"[::1]x:1", false, "", std::nullopt},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto parts = util::split_host_port(r.text);
    REQUIRE(parts.has_value() == r.ok);
    if (!parts) continue;
    CHECK(parts->host == r.host);
    CHECK(parts->port == r.port);
  }
}

TEST_CASE("join_host_port brackets IPv6 literals") {
  CHECK(util::join_host_port("10.0.0.2", 7946) == "10.0.0.2:7946");
  CHECK(util::join_host_port("cache-1", 80) == "cache-1:80");
  CHECK(util::join_host_port("::1", 7946) == "[::1]:7946");
  CHECK(util::join_host_port("2001:db8::2", 1) == "[2001:db8::2]:1");
}
