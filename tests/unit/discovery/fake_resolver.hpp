#pragma once
// A scripted resolver for unit tests: answers from maps, counts lookups.

#include <map>
#include <string>

#include "discovery/resolver.hpp"

namespace discovery_test {

struct fake_resolver final : discovery::resolver {
  std::map<std::string, discovery::address_lookup> hosts;
  std::map<std::string, discovery::srv_lookup> srv;
  int lookups = 0;

  discovery::address_lookup resolve(const std::string& host) override {
    ++lookups;
    auto it = hosts.find(host);
    if (it == hosts.end()) return {{}, "cannot resolve " + host + ": Name or service not known"};
    return it->second;
  }
  discovery::srv_lookup resolve_srv(const std::string& name) override {
    ++lookups;
    auto it = srv.find(name);
    if (it == srv.end()) return {{}, "cannot resolve SRV " + name + ": no such name"};
    return it->second;
  }
};

}  // namespace discovery_test
