#include "agent/config_cache.hpp"

#include <algorithm>

#include "agent/cache_check.hpp"
#include "peerlib/protocol.hpp"

namespace agent {

void validate_cache_check(const config_reader& r, cache_config& c) {
  using std::chrono::milliseconds;
  if (auto v = r.get_scalar("cache", "check")) {
    std::string why;
    if (!v->empty() && !parse_check_target(*v, &why)) r.fail("cache", "check", *v, why);
    c.check = *v;
  }
  r.duration("cache", "check_interval", milliseconds(50), std::chrono::hours(1), c.check_interval);
  // The default timeout is 1 s, or the interval when that is shorter.
  c.check_timeout = std::min(c.check_timeout, c.check_interval);
  r.duration("cache", "check_timeout", milliseconds(10), std::chrono::hours(1), c.check_timeout);
  if (c.check_timeout > c.check_interval)
    r.fail("cache", "check_timeout", format_duration(c.check_timeout),
           "must not exceed check_interval (" + format_duration(c.check_interval) + ")");
  r.integer<unsigned>("cache", "check_failures", 1, 100, c.check_failures);
  r.integer<unsigned>("cache", "check_successes", 1, 100, c.check_successes);
  if (!c.check.empty()) {
    const auto tags = r.section_map("tags");
    if (tags.count(peerlib::protocol::cache_tag) != 0)
      r.fail("tags", peerlib::protocol::cache_tag,
             "is reserved for the state of [cache] check while a check is set (remove the tag)");
  }
}

}  // namespace agent
