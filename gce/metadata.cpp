#include "gce/metadata.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "gce/parse.hpp"
#include "util/strings.hpp"

namespace gce {

using namespace std::chrono;

namespace {

/// "nic2" -> 2; metadata paths index NICs by number, the Compute API names them.
std::optional<int> nic_index(std::string_view nic) {
  if (!nic.starts_with("nic") || nic.size() < 4) return std::nullopt;
  int n = 0;
  for (char c : nic.substr(3)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
    if (n > 64) return std::nullopt;
  }
  return n;
}

}  // namespace

std::string metadata_host_from_env() {
  for (const char* var : {"GCE_METADATA_HOST", "GCE_METADATA_ROOT"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return {};
}

std::string metadata_base_url(std::string_view host) {
  std::string h(host);
  if (h.starts_with("http://")) h.erase(0, 7);
  while (!h.empty() && h.back() == '/') h.pop_back();
  return "http://" + h + "/computeMetadata/v1/";
}

metadata_client::metadata_client(http_client& http, metadata_options options)
    : http_(http), options_(std::move(options)) {
  std::string host = options_.host;
  if (host.empty()) host = metadata_host_from_env();
  if (host.empty()) host = std::string(default_metadata_host);
  base_ = metadata_base_url(host);
  if (!options_.sleep) options_.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
  if (!options_.now) options_.now = [] { return steady_clock::now(); };
  options_.max_attempts = std::max(1, options_.max_attempts);
}

metadata_result metadata_client::request(const std::string& url, milliseconds timeout,
                                         bool expect_flavor, int attempts) {
  metadata_result out;
  milliseconds delay = options_.retry_delay;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      options_.sleep(delay);
      delay *= 2;
    }
    http_result r = http_.get(url, {{"Metadata-Flavor", "Google"}}, timeout);
    out.status = r.status;
    if (r.status == 0) {
      out.error = "metadata server: " + r.error;
      last_failure_transient_ = true;
      continue;
    }
    if (expect_flavor && r.header("metadata-flavor") != "Google") {
      // Not the metadata server; retrying will not change who answers.
      out.error = "metadata server: reply without Metadata-Flavor: Google (HTTP " +
                  std::to_string(r.status) + ")";
      last_failure_transient_ = false;
      return out;
    }
    if (r.status == 200) {
      out.value = metadata_value{std::move(r.body), r.header("etag").value_or("")};
      out.error.clear();
      return out;
    }
    out.error = "metadata server: HTTP " + std::to_string(r.status);
    // 500/503 are transient (maintenance gaps); 429 is per-endpoint rate limiting.
    last_failure_transient_ = r.status >= 500 || r.status == 429;
    if (!last_failure_transient_) return out;
  }
  return out;
}

metadata_result metadata_client::get(std::string_view path) {
  return request(base_ + std::string(path), options_.timeout, true, options_.max_attempts);
}

std::optional<identity> metadata_client::fetch_identity(std::string_view nic, std::string& error) {
  identity id;
  auto text = [&](std::string_view path, std::string& into) {
    metadata_result r = get(path);
    if (!r.value) {
      error = std::string(path) + ": " + r.error;
      return false;
    }
    into = util::trim(r.value->value);
    return true;
  };
  std::string zone_path;
  if (!text("project/project-id", id.project) || !text("instance/zone", zone_path) ||
      !text("instance/name", id.name) || !text("instance/id", id.id))
    return std::nullopt;
  id.zone = std::string(last_segment(zone_path));
  id.region = std::string(region_of(id.zone));
  const auto index = nic_index(nic);
  if (!index) {
    error = "network interface \"" + std::string(nic) + "\" is not nic0..nic7";
    last_failure_transient_ = false;
    return std::nullopt;
  }
  if (!text("instance/network-interfaces/" + std::to_string(*index) + "/ip", id.ip))
    return std::nullopt;

  metadata_result tags = get("instance/tags");
  if (tags.value) {
    auto t = parse_tags(tags.value->value);
    if (!t) {
      error = "instance/tags: not a JSON list";
      last_failure_transient_ = false;
      return std::nullopt;
    }
    id.tags = std::move(*t);
  } else if (tags.status != 404) {
    error = "instance/tags: " + tags.error;
    return std::nullopt;
  }
  metadata_result attrs = get("instance/attributes/?recursive=true");
  if (attrs.value) {
    auto a = parse_attributes(attrs.value->value);
    if (!a) {
      error = "instance/attributes: not a JSON object";
      last_failure_transient_ = false;
      return std::nullopt;
    }
    id.attributes = std::move(*a);
  } else if (attrs.status != 404) {
    error = "instance/attributes: " + attrs.error;
    return std::nullopt;
  }
  return id;
}

std::optional<access_token> metadata_client::fetch_token(std::string& error) {
  // The token reply carries no Metadata-Flavor header, so it is not required here.
  metadata_result r = request(base_ + "instance/service-accounts/default/token", options_.timeout,
                              false, options_.max_attempts);
  if (!r.value) {
    error = "token: " + r.error;
    return std::nullopt;
  }
  auto t = parse_token(r.value->value);
  if (!t) {
    error = "token: malformed reply";
    last_failure_transient_ = false;
    return std::nullopt;
  }
  return access_token{t->access_token, t->token_type, options_.now() + t->expires_in};
}

std::optional<std::string> metadata_client::bearer_token(bool force) {
  const auto now = options_.now();
  if (token_ && !force && now < refresh_at_) return token_->value;
  std::string error;
  auto fresh = fetch_token(error);
  if (!fresh) {
    // A still-valid cached token beats none while the server hiccups.
    if (token_ && now < token_->expires_at) return token_->value;
    return std::nullopt;
  }
  // Refresh early: the margin, capped at half the token's life so that
  // short-lived tokens (the emulator can issue 10 s ones) are not refetched
  // on every call.
  const auto life = fresh->expires_at - now;
  const auto margin =
      std::min<steady_clock::duration>(options_.token_refresh_margin, life / 2);
  refresh_at_ = fresh->expires_at - margin;
  token_ = std::move(fresh);
  return token_->value;
}

metadata_result metadata_client::watch(std::string_view path, std::string_view last_etag,
                                       int timeout_sec) {
  timeout_sec = std::max(1, timeout_sec);
  std::string url = base_ + std::string(path) + "?wait_for_change=true&timeout_sec=" +
                    std::to_string(timeout_sec) + "&last_etag=" +
                    url_encode(last_etag.empty() ? "0" : last_etag);
  // The server holds the request up to timeout_sec: allow that plus a margin.
  return request(url, seconds(timeout_sec) + seconds(10), true, 1);
}

preemption_state metadata_client::wait_for_preempted(std::string_view last_etag, int timeout_sec) {
  preemption_state s;
  metadata_result r = watch("instance/preempted", last_etag, timeout_sec);
  if (!r.value) {
    s.error = r.error;
    s.etag = std::string(last_etag);
    return s;
  }
  s.preempted = util::trim(r.value->value) == "TRUE";
  s.etag = r.value->etag;
  return s;
}

metadata_result metadata_client::wait_for_maintenance(std::string_view last_etag, int timeout_sec) {
  return watch("instance/maintenance-event", last_etag, timeout_sec);
}

bool wait_until_preempted(metadata_client& md, const std::function<bool()>& stop,
                          int timeout_sec) {
  std::string etag = "0";
  while (!stop()) {
    preemption_state s = md.wait_for_preempted(etag, timeout_sec);
    if (s.preempted) return true;
    if (!s.error.empty()) {
      // Maintenance gaps give 503 for under a second; Google's sample waits 1 s.
      for (int i = 0; i < 10 && !stop(); ++i) std::this_thread::sleep_for(milliseconds(100));
      continue;
    }
    etag = s.etag;
  }
  return false;
}

}  // namespace gce
