#include "discovery/kubernetes_provider.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "discovery/schedule.hpp"
#include "gce/curl_http_client.hpp"
#include "util/strings.hpp"

namespace discovery {
namespace {

using namespace std::chrono;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

/// Sleep `d` in short slices, returning early once `stopped()`.
void sleep_unless(milliseconds d, const std::function<bool()>& stopped) {
  const auto until = steady_clock::now() + d;
  while (!stopped() && steady_clock::now() < until)
    std::this_thread::sleep_for(std::min<steady_clock::duration>(milliseconds(50), until - steady_clock::now()));
}

}  // namespace

kubernetes_provider::kubernetes_provider(kubernetes_settings s, std::unique_ptr<gce::http_client> http)
    : s_(std::move(s)), http_(std::move(http)) {}

std::unique_ptr<kubernetes_provider> kubernetes_provider::create(kubernetes_settings s,
                                                                 std::string& error) {
  if (std::string missing = gce::curl_http_client::load_error(); !missing.empty()) {
    error = missing;
    return nullptr;
  }
  gce::curl_options o;
  o.local_address = s.local_address;
  o.ca_file = s.ca_file.empty() ? std::string(service_account_dir) + "/ca.crt" : s.ca_file;
  auto http = std::make_unique<gce::curl_http_client>(o);  // honours HTTPS_PROXY / NO_PROXY
  gce::curl_http_client* raw = http.get();
  auto p = create(std::move(s), std::move(http), error);
  if (p) p->cancel_ = [raw] { raw->cancel(); };
  return p;
}

std::unique_ptr<kubernetes_provider> kubernetes_provider::create(
    kubernetes_settings s, std::unique_ptr<gce::http_client> http, std::string& error) {
  if (s.api_server.empty()) {
    const std::string host = env("KUBERNETES_SERVICE_HOST");
    const std::string port = env("KUBERNETES_SERVICE_PORT");
    if (host.empty()) {
      error = "not inside a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set); set "
              "[kubernetes] api_server";
      return nullptr;
    }
    s.api_server = "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                   ":" + (port.empty() ? "443" : port);
  }
  while (!s.api_server.empty() && s.api_server.back() == '/') s.api_server.pop_back();
  if (s.token_file.empty()) s.token_file = std::string(service_account_dir) + "/token";
  if (s.namespace_name.empty()) {
    auto ns = read_file(std::string(service_account_dir) + "/namespace");
    s.namespace_name = ns ? std::string(util::trim(*ns)) : "default";
    if (s.namespace_name.empty()) s.namespace_name = "default";
  }
  if (s.label_selector.empty()) {
    error = "[kubernetes] label_selector is not set";
    return nullptr;
  }
  std::unique_ptr<kubernetes_provider> p(new kubernetes_provider(std::move(s), std::move(http)));
  p->first_self_ = p->read_self();
  if (!p->first_self_.ok) p->warnings_.push_back(p->first_self_.error);
  return p;
}

gce::http_headers kubernetes_provider::headers() {
  const auto now = steady_clock::now();
  if (token_read_ == steady_clock::time_point{} || now - token_read_ >= s_.token_reread) {
    token_read_ = now;
    if (auto t = read_file(s_.token_file)) token_ = std::string(util::trim(*t));
    else token_.clear();  // no token: anonymous (a local emulator, kubectl proxy)
  }
  gce::http_headers h{{"Accept", "application/json"}};
  if (!token_.empty()) h.emplace_back("Authorization", "Bearer " + token_);
  return h;
}

std::string kubernetes_provider::pods_url() const {
  return s_.api_server + "/api/v1/namespaces/" + gce::url_encode(s_.namespace_name) +
         "/pods?labelSelector=" + query_encode(s_.label_selector);
}

std::string kubernetes_provider::explain(int status, const std::string& body,
                                         const std::string& what) const {
  if (status == 0) return "Kubernetes API " + what + " at " + s_.api_server + " failed: " + body;
  // A Status body: {"kind":"Status","message":...,"reason":"Forbidden","code":403}
  std::string message;
  {
    std::string err;
    auto j = parse_watch_event(R"({"type":"ERROR","object":)" + (body.empty() ? "{}" : body) + "}", err);
    if (j) message = j->message;
  }
  if (message.empty()) message = body.substr(0, 200);
  std::string out = "Kubernetes API returned " + std::to_string(status) + " for " + what;
  if (!message.empty()) out += ": " + message;
  if (status == 403)
    out += "; the pod's service account needs get, list and watch on pods in namespace " +
           s_.namespace_name + " (a Role and RoleBinding: examples/kubernetes/rbac.yaml)";
  else if (status == 401)
    out += "; the token in " + s_.token_file + " was refused";
  return out;
}

kubernetes_provider::self_read kubernetes_provider::read_self() {
  const std::string& me = s_.rules.self_name;
  if (me.empty()) return {};
  self_.name = me;
  auto transient = [](int status) { return status == 0 || status == 429 || status >= 500; };
  auto r = http_->get(s_.api_server + "/api/v1/namespaces/" + gce::url_encode(s_.namespace_name) +
                          "/pods/" + gce::url_encode(me),
                      headers(), s_.request_timeout);
  if (r.status != 200)
    return {false, transient(r.status),
            "cannot read this pod (" + me + "): " +
                explain(r.status, r.status == 0 ? r.error : r.body, "pods.get")};
  std::string err;
  auto p = parse_pod(r.body, err);
  if (!p) return {false, false, "this pod (" + me + "): " + err};
  self_.address = p->ip;
  if (p->node_name.empty()) return {};
  auto n = http_->get(s_.api_server + "/api/v1/nodes/" + gce::url_encode(p->node_name), headers(),
                      s_.request_timeout);
  if (n.status != 200)
    return {false, transient(n.status),
            "no zone: cannot read node " + p->node_name + " (" +
                (n.status == 0 ? n.error : "HTTP " + std::to_string(n.status)) +
                (n.status == 403 ? "; reading nodes needs a ClusterRole)" : ")")};
  if (auto labels = parse_node_labels(n.body)) {
    auto it = labels->find("topology.kubernetes.io/zone");
    if (it != labels->end()) self_.zone = it->second;
  }
  return {};
}

result kubernetes_provider::list() {
  result out;
  auto r = http_->get(pods_url(), headers(), s_.request_timeout);
  out.api_calls = 1;
  out.call_log.push_back({"pods.list", r.status});
  if (r.status != 200) {
    out.permission_denied = r.status == 403;
    out.error = explain(r.status, r.status == 0 ? r.error : r.body, "pods.list");
    return out;
  }
  std::string err;
  auto l = parse_pod_list(r.body, err);
  if (!l) {
    out.error = "Kubernetes API pods.list: " + err;
    return out;
  }
  set_.reset(*l);
  out.addresses = set_.candidates(s_.rules);
  published_ = out.addresses;
  return out;
}

std::string kubernetes_provider::watch_once(const std::function<void(result)>& publish,
                                            result& log) {
  ++watches_;
  const std::string url = pods_url() + "&watch=1&allowWatchBookmarks=true&resourceVersion=" +
                          query_encode(set_.resource_version()) +
                          "&timeoutSeconds=" + std::to_string(s_.watch_timeout.count());
  line_splitter lines;
  std::string ended;  // why the stream stopped early
  auto on_line = [&](std::string_view line) {
    if (!ended.empty()) return;
    std::string err;
    auto e = parse_watch_event(line, err);
    if (!e) {
      ended = "Kubernetes API pods.watch: " + err;
      return;
    }
    if (e->type == watch_event::kind::error) {
      ended = e->code == 410 ? "gone"
                             : "Kubernetes API pods.watch: error event " + std::to_string(e->code) +
                                   ": " + e->message;
      return;
    }
    if (!set_.apply(*e)) return;
    auto now = set_.candidates(s_.rules);
    if (now == published_) return;
    published_ = now;
    result r = std::move(log);
    log = result{};
    r.addresses = std::move(now);
    publish(std::move(r));
  };
  // The server ends the watch after timeoutSeconds; allow a margin before giving up.
  auto r = http_->get_stream(url, headers(), s_.watch_timeout + seconds(15),
                             [&](std::string_view chunk) {
                               if (!lines.feed(chunk, on_line)) ended = "watch line too long";
                               return ended.empty();
                             });
  log.api_calls += 1;
  log.call_log.push_back({"pods.watch", r.status});
  if (!ended.empty()) {
    if (ended == "gone") ++gone_;
    return ended;
  }
  if (r.status == 410) {
    ++gone_;
    return "gone";
  }
  if (r.status == 0 && r.timed_out) return "";  // our margin passed: start a new watch
  if (r.status != 200) {
    log.permission_denied = r.status == 403;
    return explain(r.status, r.status == 0 ? r.error : r.body, "pods.watch");
  }
  return "";
}

void kubernetes_provider::run_watch(const std::function<void(result)>& publish,
                                    const std::function<bool()>& stopped) {
  std::mt19937_64 rng(std::random_device{}());
  int failures = 0;
  auto back_off = [&](result r) {
    ++failures;
    publish(std::move(r));
    sleep_unless(watch_backoff(failures, rng), stopped);
  };
  while (!stopped()) {
    result listed = list();
    if (!listed.ok()) {
      back_off(std::move(listed));
      continue;
    }
    failures = 0;
    publish(std::move(listed));
    while (!stopped()) {
      result log;
      const std::string why = watch_once(publish, log);
      if (stopped()) return;
      if (why.empty()) {
        log.addresses = published_;  // the watch ended normally: report its call
        publish(std::move(log));
        continue;
      }
      if (why == "gone") {
        log.addresses = published_;
        publish(std::move(log));
        break;  // re-list at once: our resourceVersion is too old
      }
      log.error = why;
      back_off(std::move(log));
      break;  // then re-list: events may have been missed
    }
  }
}

void kubernetes_provider::cancel() {
  if (cancel_) cancel_();
}

}  // namespace discovery
