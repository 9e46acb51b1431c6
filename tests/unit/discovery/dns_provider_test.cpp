#include "discovery/dns_provider.hpp"

#include <doctest/doctest.h>

#include "unit/discovery/fake_resolver.hpp"

using namespace discovery;
using discovery_test::fake_resolver;

TEST_CASE("dns_provider: A/AAAA answers become ip:port candidates, sorted, self left out") {
  auto r = std::make_shared<fake_resolver>();
  r->hosts["cache.ns.svc.cluster.local"] = {{"10.0.0.3", "10.0.0.1", "fd00::2", "10.0.0.2"}, ""};
  dns_provider p({"cache.ns.svc.cluster.local", 7946, std::chrono::seconds(10), "10.0.0.2:7946"}, r);
  CHECK_FALSE(p.srv());
  result res = p.list();
  REQUIRE(res.ok());
  CHECK(res.addresses ==
        std::vector<std::string>{"10.0.0.1:7946", "10.0.0.3:7946", "[fd00::2]:7946"});
  CHECK(p.interval() == std::chrono::seconds(10));
  CHECK(p.listing_makes_ready());
}

TEST_CASE("dns_provider: a name that does not resolve fails the listing (peers are kept)") {
  auto r = std::make_shared<fake_resolver>();
  dns_provider p({"nope.example", 7946, std::chrono::seconds(10), ""}, r);
  result res = p.list();
  CHECK_FALSE(res.ok());
  CHECK(res.addresses.empty());
  CHECK(res.error.find("nope.example") != std::string::npos);
}

TEST_CASE("dns_provider: an SRV name gives each target's addresses with the record's port") {
  auto r = std::make_shared<fake_resolver>();
  r->srv["_gossip._udp.cache.ns.svc.cluster.local"] = {
      {{0, 50, 7000, "pod-a.cache.ns.svc.cluster.local"},
       {0, 50, 7001, "pod-b.cache.ns.svc.cluster.local"},
       {0, 50, 7002, "gone.cache.ns.svc.cluster.local"}},
      ""};
  r->hosts["pod-a.cache.ns.svc.cluster.local"] = {{"10.1.0.5"}, ""};
  r->hosts["pod-b.cache.ns.svc.cluster.local"] = {{"10.1.0.6", "fd00::6"}, ""};
  dns_provider p({"_gossip._udp.cache.ns.svc.cluster.local", 7946, std::chrono::seconds(5), ""}, r);
  CHECK(p.srv());
  result res = p.list();
  REQUIRE(res.ok());
  CHECK(res.addresses == std::vector<std::string>{"10.1.0.5:7000", "10.1.0.6:7001", "[fd00::6]:7001"});
  REQUIRE(res.warnings.size() == 1);
  CHECK(res.warnings[0].find("gone.cache") != std::string::npos);

  // Every target failing is a failed listing; no SRV record at all too.
  r->hosts.clear();
  CHECK_FALSE(p.list().ok());
  r->srv.clear();
  CHECK_FALSE(p.list().ok());
}

TEST_CASE("dns_provider: the system resolver reads /etc/hosts (localhost) without DNS traffic") {
  dns_provider p({"localhost", 7946, std::chrono::seconds(10), ""});
  result res = p.list();
  REQUIRE_MESSAGE(res.ok(), res.error);
  CHECK(std::find(res.addresses.begin(), res.addresses.end(), "127.0.0.1:7946") != res.addresses.end());
}
