#include <utility>  // before Asio (discovery_runner.hpp): Boost 1.74 needs it under GCC 12

#include "agent/discovery_probe.hpp"

#include <exception>
#include <memory>
#include <optional>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

#include "agent/discovery_runner.hpp"
#include "gce/curl_http_client.hpp"
#include "gce/metadata.hpp"

namespace agent {
namespace {

/// What the metadata steps learnt, for the fix hints of the listing step.
struct gce_facts {
  std::string project = "PROJECT";
  std::string email = "SERVICE_ACCOUNT";
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    if (nl > start) out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

/// A scope that lets the token list instances.
bool compute_read_scope(const std::string& s) {
  for (const char* ok : {"https://www.googleapis.com/auth/compute.readonly",
                         "https://www.googleapis.com/auth/compute",
                         "https://www.googleapis.com/auth/cloud-platform"})
    if (s == ok) return true;
  return false;
}

const char* scope_fix =
    "  fix: create the instance template with --scopes=compute-ro (or cloud-platform), e.g.\n"
    "       gcloud compute instance-templates create TEMPLATE --service-account=SA "
    "--scopes=compute-ro,logging-write,monitoring-write ...\n"
    "       (a single stopped VM: gcloud compute instances set-service-account VM "
    "--scopes=compute-ro)\n";

/// The metadata server steps; false at the first failure.
bool probe_metadata(const config& cfg, std::ostream& out, gce_facts& facts) {
  if (std::string missing = gce::curl_http_client::load_error(); !missing.empty()) {
    out << "probe: HTTP client: FAILED: " << missing << "\n";
    return false;
  }
  gce::curl_options co;
  if (cfg.cluster.bind != "0.0.0.0" && cfg.cluster.bind != "::") co.local_address = cfg.cluster.bind;
  gce::curl_http_client http(co);
  gce::metadata_client md(http);
  std::string err;
  auto id = md.fetch_identity(cfg.match.network_interface, err);
  if (!id) {
    out << "probe: metadata server " << md.base_url() << ": FAILED: " << err << "\n"
        << "  fix: run on a GCE VM (the metadata server answers only there; an emulator: "
           "GCE_METADATA_HOST=host:port); elsewhere set [cluster] join or [cluster] discovery "
           "= static\n";
    return false;
  }
  facts.project = id->project;
  out << "probe: metadata server " << md.base_url() << ": instance " << id->name << " in "
      << id->zone << " (project " << id->project << "), ip " << id->ip << "\n";

  auto email = md.get("instance/service-accounts/default/email");
  if (!email.value) {
    out << "probe: service account: FAILED: "
        << (email.status == 404 ? "this VM has none" : email.error) << "\n"
        << "  fix: create the instance template with --service-account=SA "
           "--scopes=compute-ro,...\n";
    return false;
  }
  facts.email = email.value->value;
  out << "probe: service account " << facts.email << "\n";

  auto scopes = md.get("instance/service-accounts/default/scopes");
  if (scopes.value) {
    auto list = lines(scopes.value->value);
    std::string joined;
    bool ok = false;
    for (const auto& s : list) {
      joined += (joined.empty() ? "" : ", ") + s;
      ok = ok || compute_read_scope(s);
    }
    if (!ok) {
      out << "probe: scopes: " << (joined.empty() ? "(none)" : joined)
          << ": FAILED: none gives Compute read access (compute-ro, compute or cloud-platform)\n"
          << scope_fix;
      return false;
    }
    out << "probe: scopes: " << joined << "\n";
  } else {
    out << "probe: scopes: not listed by the metadata server (" << scopes.status
        << "); the listing below tells\n";
  }

  auto token = md.fetch_token(err);
  if (!token) {
    out << "probe: access token: FAILED: " << err << "\n"
        << "  fix: the VM needs a service account (--service-account=SA on the template)\n";
    return false;
  }
  out << "probe: access token: ok\n";
  return true;
}

/// One listing through the provider the agent would use.
bool probe_listing(const config& cfg, std::ostream& out, const gce_facts& facts) {
  std::shared_ptr<discovery::provider> p;
  try {
    p = make_provider(cfg, cfg.cluster.bind);
  } catch (const std::exception& e) {
    out << "probe: discovery: FAILED: " << e.what() << "\n";
    return false;
  }
  if (!p) {
    out << "probe: discovery: nothing to list (a join list of IP addresses)\n";
    return true;
  }
  const std::string what = p->name() == "gce" ? "Compute API" : "discovery " + std::string(p->name());
  discovery::result r = p->list();
  for (const auto& w : r.warnings) out << "probe: warning: " << w << "\n";
  if (!r.ok()) {
    out << "probe: " << what << ": FAILED: " << r.error << "\n";
    if (r.permission_denied && r.error.find("insufficientPermissions") != std::string::npos) {
      out << scope_fix;
    } else if (r.permission_denied) {
      out << "  fix: gcloud projects add-iam-policy-binding " << facts.project
          << " --member=serviceAccount:" << facts.email << " --role=roles/compute.viewer\n";
    }
    return false;
  }
  out << "probe: " << what << ": " << r.addresses.size() << " candidate peer(s)";
  if (r.api_calls > 0) out << " (" << r.api_calls << " call(s))";
  out << "\n";
  return true;
}

}  // namespace

int probe_discovery(const config& cfg, std::ostream& out) {
  // make_provider logs at info; the probe's own lines say it all.
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);
  const discovery_mode mode = effective_discovery(cfg);
  out << "probe: discovery " << to_string(mode) << "\n";
  gce_facts facts;
  bool ok = mode != discovery_mode::gce || probe_metadata(cfg, out, facts);
  ok = ok && probe_listing(cfg, out, facts);
  spdlog::set_level(level);
  out << (ok ? "probe: OK\n" : "probe: FAILED\n");
  return ok ? 0 : 1;
}

}  // namespace agent
