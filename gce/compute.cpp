#include "gce/compute.hpp"

#include <algorithm>
#include <thread>

namespace gce {

using namespace std::chrono;

compute_client::compute_client(http_client& http, compute_options options)
    : http_(http), options_(std::move(options)) {
  if (options_.endpoint.empty() || options_.endpoint.back() != '/') options_.endpoint += '/';
  rng_.seed(options_.seed != 0 ? options_.seed : std::random_device{}());
  if (!options_.sleep) options_.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
  if (!options_.now) options_.now = [] { return system_clock::now(); };
  options_.max_pages = std::max(1, options_.max_pages);
  options_.max_attempts = std::max(1, options_.max_attempts);
}

system_clock::time_point compute_client::next_quota_minute(system_clock::time_point now) {
  return floor<minutes>(now) + minutes(1);
}

milliseconds compute_client::backoff(int attempt) {
  // "Equal jitter": half the exponential step is fixed, half random, so
  // retries of many agents that failed together spread out.
  const auto step = std::min<std::int64_t>(options_.backoff_max.count(),
                                           options_.backoff_base.count() << std::min(attempt, 20));
  std::uniform_int_distribution<std::int64_t> half(0, step / 2);
  return milliseconds(step - step / 2 + half(rng_));
}

std::string explain_api_error(const api_error& e, std::string_view method) {
  std::string out = e.code == 0 ? "Compute API " + std::string(method) + " failed"
                                : "Compute API returned " + std::to_string(e.code);
  if (!e.reason.empty()) out += " (" + e.reason + ")";
  if (!e.message.empty()) out += ": " + e.message;
  const std::string permission =
      method == "instanceGroupManagers.listManagedInstances" ? "compute.instanceGroupManagers.get"
                                                             : "compute.instances.list";
  if (e.code == 403 && e.reason == "insufficientPermissions") {
    out += "; the VM's access scopes lack Compute read access: give it the compute-ro "
           "(https://www.googleapis.com/auth/compute.readonly) or cloud-platform scope";
  } else if (e.code == 403) {
    out += "; the service account needs " + permission +
           " (roles/compute.viewer) and the VM the compute-ro or cloud-platform scope";
  } else if (e.code == 401) {
    out += "; the metadata server's token was refused (does the VM have a service account?)";
  } else if (e.code == 404) {
    out += "; check [match] project, the zones or region, and [gce] instance_group";
  }
  return out;
}

list_result compute_client::run(const std::string& base_url, const std::string& filter, kind k) {
  list_result out;
  const bool aggregated = k == kind::aggregated;
  const std::string method =
      k == kind::aggregated ? "instances.aggregatedList"
      : k == kind::list     ? "instances.list"
      : base_url.find("/regions/") != std::string::npos
          ? "regionInstanceGroupManagers.listManagedInstances"
          : "instanceGroupManagers.listManagedInstances";
  std::string token;
  bool refreshed = false;
  auto fetch_token = [&](bool refresh) {
    if (!options_.token) return true;
    auto t = options_.token(refresh);
    if (!t) return false;
    token = *t;
    return true;
  };
  if (!fetch_token(false)) {
    out.error = "no access token from the metadata server";
    return out;
  }
  std::string page_token;
  while (true) {
    if (out.pages >= options_.max_pages) {
      out.error = "listing exceeded " + std::to_string(options_.max_pages) +
                  " pages; stopping (nextPageToken loop?)";
      return out;
    }
    std::string url = base_url;
    char sep = '?';
    auto param = [&](const std::string& key, const std::string& v) {
      url += sep;
      url += key + "=" + url_encode(v);
      sep = '&';
    };
    if (!filter.empty()) param("filter", filter);
    if (options_.max_results > 0 && k != kind::managed)
      param("maxResults", std::to_string(options_.max_results));
    if (aggregated) param("returnPartialSuccess", "true");
    if (!page_token.empty()) param("pageToken", page_token);
    http_headers headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);

    std::string body;
    for (int attempt = 0;; ++attempt) {
      http_result r = k == kind::managed ? http_.post(url, headers, "", options_.timeout)
                                         : http_.get(url, headers, options_.timeout);
      ++out.calls;
      out.call_log.push_back({method, r.status});
      if (r.status == 200) {
        body = std::move(r.body);
        break;
      }
      api_error e = r.status == 0 ? api_error{0, "", r.error, error_kind::retryable}
                                  : parse_api_error(r.status, r.body);
      if (e.kind == error_kind::rate_limited) {
        auto until = next_quota_minute(options_.now());
        if (auto ra = r.header("retry-after"); ra) {
          // Only the delta-seconds form; an HTTP date is rare from Google front-ends.
          char* end = nullptr;
          const long s = std::strtol(ra->c_str(), &end, 10);
          if (end != ra->c_str() && s > 0 && s < 3600)
            until = std::max(until, options_.now() + seconds(s));
        }
        out.rate_limited_until = until;
        out.http_status = e.code;
        out.error_reason = e.reason;
        out.error = "rate limited (" + std::to_string(e.code) + " " + e.reason + "): " + e.message;
        return out;
      }
      if (e.kind == error_kind::unauthorized && !refreshed) {
        refreshed = true;
        if (!fetch_token(true)) {
          out.error = "401 and no fresh access token";
          return out;
        }
        headers.clear();
        if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
        continue;
      }
      if (e.kind != error_kind::retryable || attempt + 1 >= options_.max_attempts) {
        out.http_status = e.code;
        out.error_reason = e.reason;
        out.error = explain_api_error(e, method);
        return out;
      }
      options_.sleep(backoff(attempt));
    }

    if (k == kind::managed) {
      managed_result m = parse_managed_instances(body);
      if (!m.page) {
        out.error = m.error;
        return out;
      }
      ++out.pages;
      for (auto& in : m.page->instances) out.managed.push_back(std::move(in));
      if (m.page->next_page_token.empty()) return out;
      page_token = std::move(m.page->next_page_token);
      continue;
    }
    page_result p = aggregated ? parse_aggregated_list(body) : parse_instance_list(body);
    if (!p.page) {
      out.error = p.error;
      return out;
    }
    ++out.pages;
    for (auto& in : p.page->instances) out.instances.push_back(std::move(in));
    for (auto& w : p.page->warnings) out.warnings.push_back(std::move(w));
    for (auto& u : p.page->unreachables)
      out.warnings.push_back({"UNREACHABLE", "scope unreachable", u});
    // An empty page may still carry a token (AIP-158): only its absence ends the listing.
    if (p.page->next_page_token.empty()) return out;
    page_token = std::move(p.page->next_page_token);
  }
}

list_result compute_client::list(const std::string& zone, const std::string& filter) {
  return run(options_.endpoint + "projects/" + url_encode(options_.project) + "/zones/" +
                 url_encode(zone) + "/instances",
             filter, kind::list);
}

list_result compute_client::list_zones(const std::vector<std::string>& zones,
                                       const std::string& filter) {
  list_result out;
  int failed = 0;
  for (const auto& zone : zones) {
    list_result one = list(zone, filter);
    out.calls += one.calls;
    out.pages += one.pages;
    out.call_log.insert(out.call_log.end(), one.call_log.begin(), one.call_log.end());
    for (auto& w : one.warnings) out.warnings.push_back(std::move(w));
    if (one.rate_limited_until) {
      out.rate_limited_until = one.rate_limited_until;
      out.error = one.error;
      out.http_status = one.http_status;
      out.error_reason = one.error_reason;
      return out;
    }
    if (!one.ok()) {
      ++failed;
      out.warnings.push_back({"ZONE_FAILED", one.error, "zones/" + zone});
      if (out.error.empty()) {
        out.error = "zone " + zone + ": " + one.error;
        out.http_status = one.http_status;
        out.error_reason = one.error_reason;
      }
      continue;
    }
    for (auto& in : one.instances) out.instances.push_back(std::move(in));
  }
  if (failed < static_cast<int>(zones.size())) {
    out.error.clear();
    out.http_status = 0;
    out.error_reason.clear();
  }
  if (zones.empty()) out.error = "no zones to list";
  return out;
}

list_result compute_client::aggregated_list(const std::string& filter) {
  return run(options_.endpoint + "projects/" + url_encode(options_.project) +
                 "/aggregated/instances",
             filter, kind::aggregated);
}

list_result compute_client::list_managed(const std::string& scope, const std::string& group) {
  return run(options_.endpoint + "projects/" + url_encode(options_.project) + "/" + scope +
                 "/instanceGroupManagers/" + url_encode(group) + "/listManagedInstances",
             "", kind::managed);
}

list_result compute_client::list_region(const std::string& region, const std::string& filter) {
  list_result out = aggregated_list(filter);
  std::erase_if(out.instances,
                [&](const instance& in) { return region_of(in.zone) != region; });
  return out;
}

}  // namespace gce
