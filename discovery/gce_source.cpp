#include "discovery/gce_source.hpp"

namespace discovery {

identity gce_source::self() const {
  const auto& me = p_->self();
  return {me.name, me.ip, me.zone};
}

result gce_source::list() { return from_gce(p_->discover()); }

result from_gce(gce::discovery_result r) {
  result out;
  out.addresses = std::move(r.addresses);
  out.error = std::move(r.error);
  out.rate_limited_until = r.rate_limited_until;
  out.warnings = std::move(r.warnings);
  out.api_calls = r.api_calls;
  out.call_log = std::move(r.call_log);
  out.permission_denied = r.permission_denied;
  return out;
}

}  // namespace discovery
