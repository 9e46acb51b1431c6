#include "discovery/static_provider.hpp"

#include <doctest/doctest.h>

#include "unit/discovery/fake_resolver.hpp"

using namespace discovery;
using discovery_test::fake_resolver;

TEST_CASE("static_provider: IPs pass as they are, names are resolved at every listing") {
  auto r = std::make_shared<fake_resolver>();
  r->hosts["seed.example"] = {{"10.0.0.7"}, ""};
  static_provider p({{"10.0.0.1", 7946}, {"seed.example", 7000}, {"::1", 7946}, {"10.0.0.1", 7946}},
                    std::chrono::seconds(10), r);
  CHECK(p.has_names());
  CHECK_FALSE(p.listing_makes_ready());
  result a = p.list();
  REQUIRE(a.ok());
  CHECK(a.addresses == std::vector<std::string>{"10.0.0.1:7946", "10.0.0.7:7000", "[::1]:7946"});
  // The name now points elsewhere: the next listing has the new address.
  r->hosts["seed.example"] = {{"10.0.0.8", "10.0.0.9"}, ""};
  result b = p.list();
  CHECK(b.addresses ==
        std::vector<std::string>{"10.0.0.1:7946", "10.0.0.8:7000", "10.0.0.9:7000", "[::1]:7946"});
  CHECK(r->lookups == 2);  // IP literals are never looked up
}

TEST_CASE("static_provider: a name that fails is a warning; only no address at all fails") {
  auto r = std::make_shared<fake_resolver>();
  static_provider mixed({{"10.0.0.1", 7946}, {"gone.example", 7946}}, std::chrono::seconds(10), r);
  result a = mixed.list();
  CHECK(a.ok());
  CHECK(a.addresses == std::vector<std::string>{"10.0.0.1:7946"});
  CHECK(a.warnings.size() == 1);

  static_provider names({{"gone.example", 7946}}, std::chrono::seconds(10), r);
  result b = names.list();
  CHECK_FALSE(b.ok());
  CHECK(b.error.find("gone.example") != std::string::npos);

  static_provider ips({{"10.0.0.1", 7946}}, std::chrono::seconds(10), r);
  CHECK_FALSE(ips.has_names());
}
