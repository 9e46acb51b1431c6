#include "gce/discovery.hpp"

#include <algorithm>
#include <map>

#include "gce/curl_http_client.hpp"

namespace gce {

std::string join_host_port(std::string_view ip, std::uint16_t port) {
  const bool v6 = ip.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(ip) + "]" : std::string(ip)) + ":" + std::to_string(port);
}

namespace {

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

static_provider::static_provider(std::vector<std::string> addresses)
    : addresses_(std::move(addresses)) {
  sort_unique(addresses_);
}

discovery_result static_provider::discover() {
  discovery_result r;
  r.addresses = addresses_;
  return r;
}

gce_provider::gce_provider(gce_settings settings, std::unique_ptr<http_client> metadata_http,
                           std::unique_ptr<http_client> compute_http)
    : settings_(std::move(settings)),
      metadata_http_(std::move(metadata_http)),
      compute_http_(std::move(compute_http)),
      metadata_(*metadata_http_, [&] {
        metadata_options o = settings_.metadata;
        o.host = settings_.metadata_host;
        return o;
      }()) {}

std::unique_ptr<gce_provider> gce_provider::create(gce_settings settings, std::string& error,
                                                   bool* transient) {
  // Without libcurl nothing below can work, and retrying will not install it.
  if (std::string missing = curl_http_client::load_error(); !missing.empty()) {
    error = "gce: " + missing;
    if (transient != nullptr) *transient = false;
    return nullptr;
  }
  curl_options o;
  o.local_address = settings.local_address;
  auto api = std::make_unique<curl_http_client>(o);  // honours HTTPS_PROXY / NO_PROXY
  o.no_proxy = true;                                   // the metadata server: never proxied
  auto md = std::make_unique<curl_http_client>(o);
  return create(std::move(settings), std::move(md), std::move(api), error, transient);
}

std::unique_ptr<gce_provider> gce_provider::create(gce_settings settings,
                                                   std::unique_ptr<http_client> metadata_http,
                                                   std::unique_ptr<http_client> compute_http,
                                                   std::string& error, bool* transient) {
  if (transient != nullptr) *transient = false;
  if (!metadata_http || !compute_http) {
    error = "gce: no HTTP transport";
    return nullptr;
  }
  std::unique_ptr<gce_provider> p(
      new gce_provider(std::move(settings), std::move(metadata_http), std::move(compute_http)));
  gce_settings& s = p->settings_;
  std::string why;
  auto self = p->metadata_.fetch_identity(s.rules.network_interface, why);
  if (!self) {
    error = "gce: cannot read this instance's identity from the metadata server at " +
            p->metadata_.base_url() + ": " + why;
    if (transient != nullptr) *transient = p->metadata_.last_failure_transient();
    return nullptr;
  }
  p->self_ = std::move(*self);
  if (s.project.empty()) s.project = p->self_.project;
  if (s.zone.empty()) s.zone = p->self_.zone;
  if (s.self_ip.empty()) s.self_ip = p->self_.ip;
  if (s.region.empty() && s.zones.empty()) s.zones = {s.zone};

  compute_options c = s.compute;
  c.endpoint = s.api_endpoint;
  c.project = s.project;
  metadata_client* md = &p->metadata_;
  c.token = [md](bool refresh) { return md->bearer_token(refresh); };
  p->compute_ = std::make_unique<compute_client>(*p->compute_http_, std::move(c));
  p->filter_ = server_filter(s.rules);

  // Validate access once at start-up so a missing scope or permission is an
  // actionable error now, not a silent empty cluster later.
  if (!md->bearer_token()) {
    error = "gce: no service-account token from the metadata server at " +
            p->metadata_.base_url() + " (does the VM have a service account?)";
    if (transient != nullptr) *transient = p->metadata_.last_failure_transient();
    return nullptr;
  }
  return p;
}

namespace {

/// Add a listing's calls, warnings and failure to `out`; false when it failed.
bool absorb(discovery_result& out, list_result& l, const std::string& what) {
  out.api_calls += l.calls;
  out.call_log.insert(out.call_log.end(), l.call_log.begin(), l.call_log.end());
  if (l.rate_limited_until) out.rate_limited_until = l.rate_limited_until;
  for (const auto& w : l.warnings)
    out.warnings.push_back(w.code + (w.scope.empty() ? "" : " " + w.scope) + ": " + w.message);
  if (l.ok()) return true;
  out.permission_denied = l.permission_denied();
  out.error = "gce: " + what + l.error;
  return false;
}

}  // namespace

discovery_result gce_provider::discover_group() {
  discovery_result out;
  const bool regional = !settings_.region.empty();
  const std::string& group = settings_.instance_group;
  list_result m = compute_->list_managed(
      regional ? "regions/" + settings_.region : "zones/" + settings_.zone, group);
  if (!absorb(out, m, "instance group " + group + ": ")) return out;
  // name -> zone of the members that count as peers
  std::map<std::string, std::string> members;
  for (const auto& mi : m.managed) {
    if (!action_keeps_peer(mi.current_action)) continue;  // being deleted, recreated, ...
    const auto& ok = settings_.rules.statuses;
    if (std::find(ok.begin(), ok.end(), mi.status) == ok.end()) continue;
    members[mi.name] = mi.zone;
  }
  if (members.empty()) return out;  // nobody to look up: one call this poll
  list_result l = regional ? compute_->list_region(settings_.region, filter_)
                           : compute_->list(settings_.zone, filter_);
  if (!absorb(out, l, "instance group " + group + " addresses: ")) return out;
  for (const auto& in : l.instances) {
    auto it = members.find(in.name);
    if (it == members.end() || (!it->second.empty() && it->second != in.zone)) continue;
    if (!matches(in, settings_.rules)) continue;
    const auto ip = peer_ip(in, settings_.rules.network_interface);
    if (!ip || *ip == settings_.self_ip) continue;
    out.addresses.push_back(join_host_port(*ip, settings_.port));
  }
  sort_unique(out.addresses);
  return out;
}

discovery_result gce_provider::discover() {
  if (!settings_.instance_group.empty()) return discover_group();
  discovery_result out;
  list_result l = !settings_.region.empty()
                      ? compute_->list_region(settings_.region, filter_)
                      : compute_->list_zones(settings_.zones, filter_);
  out.api_calls = l.calls;
  out.call_log = std::move(l.call_log);
  out.permission_denied = l.permission_denied();
  out.rate_limited_until = l.rate_limited_until;
  for (const auto& w : l.warnings)
    out.warnings.push_back(w.code + (w.scope.empty() ? "" : " " + w.scope) + ": " + w.message);
  if (!l.ok()) {
    out.error = "gce: " + l.error;
    return out;
  }
  for (const auto& in : l.instances) {
    if (!matches(in, settings_.rules)) continue;
    const auto ip = peer_ip(in, settings_.rules.network_interface);
    if (!ip || *ip == settings_.self_ip) continue;
    out.addresses.push_back(join_host_port(*ip, settings_.port));
  }
  sort_unique(out.addresses);
  return out;
}

}  // namespace gce
