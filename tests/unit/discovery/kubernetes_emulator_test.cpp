// kubernetes-emulator's model (discovery/emulator/k8s_state.hpp) as pure functions,
// and kubernetes_provider against it in process: list, watch, 410 Gone, 403, tokens.

#include "discovery/emulator/k8s_state.hpp"
#include "discovery/kubernetes_provider.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using json = nlohmann::json;
namespace k8s = discovery::k8s_emulator;

namespace {

constexpr const char* fixture = R"({
  "token": "secret", "namespace": "cache",
  "nodes": {"node-a": {"topology.kubernetes.io/zone": "europe-west1-b"}},
  "pods": [
    {"name": "cache-0", "ip": "10.1.0.10", "node": "node-a", "labels": {"app": "cache"}, "ports": {"gossip": 7946}},
    {"name": "cache-1", "ip": "10.1.0.11", "node": "node-a", "labels": {"app": "cache"}, "ports": {"gossip": 7946}},
    {"name": "cache-2", "ip": "10.1.0.12", "ready": false, "labels": {"app": "cache"}},
    {"name": "web-0", "ip": "10.1.0.20", "labels": {"app": "web"}},
    {"name": "elsewhere", "namespace": "other", "ip": "10.1.0.30", "labels": {"app": "cache"}}
  ]})";

k8s::request get(const std::string& target, const std::string& token = "secret") {
  k8s::request r{"GET", target, {}, ""};
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
  return r;
}

std::vector<std::string> names(const std::string& body) {
  std::vector<std::string> out;
  const json doc = json::parse(body);
  for (const auto& p : doc["items"]) out.push_back(p["metadata"]["name"].get<std::string>());
  return out;
}

/// An http_client served by the emulator's state; a watch delivers what is there and ends.
struct state_http final : gce::http_client {
  k8s::state& st;
  std::vector<std::string> targets;
  explicit state_http(k8s::state& s) : st(s) {}
  gce::http_result get(const std::string& url, const gce::http_headers& h,
                       std::chrono::milliseconds) override {
    k8s::request r{"GET", url.substr(url.find('/', url.find("://") + 3)), h, ""};
    targets.push_back(r.target);
    k8s::response a = st.handle(r);
    return {a.status, a.body, {}, "", false};
  }
  gce::http_result get_stream(const std::string& url, const gce::http_headers& h,
                              std::chrono::milliseconds,
                              const std::function<bool(std::string_view)>& on_data) override {
    k8s::request r{"GET", url.substr(url.find('/', url.find("://") + 3)), h, ""};
    targets.push_back(r.target);
    auto start = st.start_watch(r);
    if (!start.is_watch) return {0, "", {}, "not a watch", false};
    if (start.refusal) return {start.refusal->status, start.refusal->body, {}, "", false};
    std::uint64_t from = start.w.from;
    bool gone = false;
    for (const auto& line : st.events_since(start.w, from, gone))
      if (!on_data(line + "\n")) break;
    return {200, "", {}, "", false};
  }
};

struct fixture_state {
  k8s::state st;
  fixture_state() {
    std::string error;
    REQUIRE_MESSAGE(st.load(json::parse(fixture), error), error);
  }
  std::unique_ptr<discovery::kubernetes_provider> provider(state_http** out, const std::string& token_file) {
    discovery::kubernetes_settings s;
    s.api_server = "http://127.0.0.1:1";  // never contacted: the transport is the state
    s.token_file = token_file;
    s.namespace_name = "cache";
    s.label_selector = "app=cache";
    s.rules.self_name = "cache-0";
    auto http = std::make_unique<state_http>(st);
    *out = http.get();
    std::string error;
    auto p = discovery::kubernetes_provider::create(std::move(s), std::move(http), error);
    REQUIRE_MESSAGE(p, error);
    return p;
  }
};

std::string token_file(const std::string& token) {
  const std::string path = "/tmp/cachecluster-k8s-token-" + std::to_string(::getpid());
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(token.c_str(), f);
  std::fclose(f);
  return path;
}

}  // namespace

TEST_CASE("kubernetes-emulator: selectors as kubectl writes them") {
  auto sel = [](const char* text) { return k8s::selector::parse(text); };
  std::map<std::string, std::string> labels{{"app", "cache"}, {"tier", "db"}};
  CHECK(sel("app=cache")->matches(labels));
  CHECK(sel("app==cache,tier")->matches(labels));
  CHECK_FALSE(sel("app!=cache")->matches(labels));
  CHECK(sel("app in (web, cache)")->matches(labels));
  CHECK_FALSE(sel("tier notin (db)")->matches(labels));
  CHECK(sel("!gone")->matches(labels));
  CHECK_FALSE(sel("gone")->matches(labels));
  CHECK(sel("")->matches(labels));
  CHECK_FALSE(sel("app=cache,,x"));
  CHECK_FALSE(sel("a b c"));
}

TEST_CASE("kubernetes-emulator: pods by namespace and selector, with the token checked") {
  fixture_state f;
  auto r = f.st.handle(get("/api/v1/namespaces/cache/pods?labelSelector=app%3Dcache"));
  REQUIRE(r.status == 200);
  const std::vector<std::string> expected{"cache-0", "cache-1", "cache-2"};
  CHECK_MESSAGE(names(r.body) == expected, r.body);
  json pod = json::parse(r.body)["items"][0];
  CHECK(pod["status"]["podIP"] == "10.1.0.10");
  CHECK(pod["status"]["conditions"][0] == json{{"type", "Ready"}, {"status", "True"}});
  CHECK(pod["spec"]["containers"][0]["ports"][0]["name"] == "gossip");
  CHECK(f.st.handle(get("/api/v1/namespaces/cache/pods?labelSelector=app%3Dcache", "wrong")).status == 401);
  CHECK(f.st.handle(get("/api/v1/namespaces/cache/pods?labelSelector=app%3Dcache", "")).status == 401);
  CHECK(f.st.handle(get("/api/v1/namespaces/cache/pods/cache-1")).status == 200);
  CHECK(f.st.handle(get("/api/v1/namespaces/cache/pods/nope")).status == 404);
  CHECK(json::parse(f.st.handle(get("/api/v1/nodes/node-a")).body)["metadata"]["labels"]
                  ["topology.kubernetes.io/zone"] == "europe-west1-b");
  CHECK(f.st.calls().at("pods.list") == 3);
}

TEST_CASE("kubernetes-emulator: watches see changes after a version; compaction gives 410") {
  fixture_state f;
  const auto rv0 = f.st.resource_version();
  std::string error;
  REQUIRE(f.st.put_pod(json{{"name", "cache-3"}, {"ip", "10.1.0.13"}, {"labels", {{"app", "cache"}}}}, error));
  REQUIRE(f.st.put_pod(json{{"name", "web-1"}, {"labels", {{"app", "web"}}}}, error));
  REQUIRE(f.st.delete_pod("cache", "cache-1"));
  // cache-2 is relabelled out of the selection: its watchers see it deleted.
  REQUIRE(f.st.put_pod(json{{"name", "cache-2"}, {"labels", {{"app", "old"}}}}, error));
  auto start = f.st.start_watch(get("/api/v1/namespaces/cache/pods?labelSelector=app%3Dcache&watch=1&"
                                    "resourceVersion=" + std::to_string(rv0)));
  REQUIRE(start.is_watch);
  REQUIRE_FALSE(start.refusal);
  std::uint64_t from = start.w.from;
  bool gone = true;
  auto lines = f.st.events_since(start.w, from, gone);
  CHECK_FALSE(gone);
  REQUIRE(lines.size() == 3);
  CHECK(json::parse(lines[0])["type"] == "ADDED");
  CHECK(json::parse(lines[1])["type"] == "DELETED");
  CHECK(json::parse(lines[1])["object"]["metadata"]["name"] == "cache-1");
  CHECK(json::parse(lines[2])["type"] == "DELETED");
  CHECK(from == f.st.resource_version());
  CHECK(f.st.events_since(start.w, from, gone).empty());

  f.st.handle({"POST", "/admin/compact", {}, ""});
  from = rv0;
  lines = f.st.events_since(start.w, from, gone);
  CHECK(gone);
  REQUIRE(lines.size() == 1);
  CHECK(json::parse(lines[0])["object"]["code"] == 410);

  // Faults: the next two pods requests are forbidden, then all is well again.
  f.st.handle({"POST", "/admin/faults", {}, R"({"status":403,"count":2})"});
  auto refused = f.st.start_watch(get("/api/v1/namespaces/cache/pods?watch=1&labelSelector=app"));
  REQUIRE(refused.refusal);
  CHECK(refused.refusal->status == 403);
  CHECK(json::parse(refused.refusal->body)["message"].get<std::string>().find("cannot watch resource \"pods\"") !=
        std::string::npos);
  CHECK(f.st.handle(get("/api/v1/namespaces/cache/pods")).status == 403);
  CHECK(f.st.handle(get("/api/v1/namespaces/cache/pods")).status == 200);
}

TEST_CASE("kubernetes_provider: this pod's address and zone; list, then watch changes") {
  fixture_state f;
  state_http* http = nullptr;
  auto p = f.provider(&http, token_file("secret"));
  CHECK(p->self().name == "cache-0");
  CHECK(p->self().address == "10.1.0.10");
  CHECK(p->self().zone == "europe-west1-b");
  CHECK(p->startup_warnings().empty());

  discovery::result r = p->list();
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.addresses == std::vector<std::string>{"10.1.0.11:7946"});  // cache-2 is not Ready
  CHECK(r.call_log == std::vector<discovery::api_call>{{"pods.list", 200}});

  std::string error;
  REQUIRE(f.st.put_pod(json{{"name", "cache-2"}, {"ip", "10.1.0.12"}, {"labels", {{"app", "cache"}}}}, error));
  REQUIRE(f.st.delete_pod("cache", "cache-1"));
  std::vector<discovery::result> published;
  discovery::result log;
  CHECK(p->watch_once([&](discovery::result x) { published.push_back(std::move(x)); }, log) == "");
  REQUIRE(published.size() == 2);  // cache-2 became ready, then cache-1 went away
  CHECK(published[0].addresses == std::vector<std::string>{"10.1.0.11:7946", "10.1.0.12:7946"});
  CHECK(published[1].addresses == std::vector<std::string>{"10.1.0.12:7946"});
  CHECK(http->targets.back().find("&watch=1&allowWatchBookmarks=true&resourceVersion=") != std::string::npos);
  CHECK(log.call_log == std::vector<discovery::api_call>{{"pods.watch", 200}});

  // Compaction: the next watch is told 410 and the provider asks for a re-list.
  f.st.handle({"POST", "/admin/compact", {}, ""});
  REQUIRE(f.st.put_pod(json{{"name", "cache-4"}, {"ip", "10.1.0.14"}, {"labels", {{"app", "cache"}}}}, error));
  discovery::result log2;
  // Every version handed out before the compaction is too old now.
  CHECK(p->watch_once([&](discovery::result) {}, log2) == "gone");
  CHECK(p->relists_after_gone() == 1);
  CHECK(p->list().addresses ==
        std::vector<std::string>{"10.1.0.12:7946", "10.1.0.14:7946"});
}

TEST_CASE("kubernetes_provider: a 403 or a refused token says what to fix") {
  fixture_state f;
  state_http* http = nullptr;
  auto p = f.provider(&http, token_file("stale"));
  REQUIRE(p->startup_warnings().size() == 1);  // cannot read its own pod
  CHECK(p->startup_warnings()[0].find("401") != std::string::npos);
  discovery::result r = p->list();
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("was refused") != std::string::npos);

  fixture_state g;
  auto q = g.provider(&http, token_file("secret"));
  g.st.handle({"POST", "/admin/faults", {}, R"({"status":403,"count":-1})"});
  r = q->list();
  CHECK_FALSE(r.ok());
  CHECK(r.permission_denied);
  CHECK(r.error.starts_with("Kubernetes API returned 403 for pods.list: pods is forbidden"));
  CHECK(r.error.find("get, list and watch on pods in namespace cache") != std::string::npos);
  CHECK(r.call_log == std::vector<discovery::api_call>{{"pods.list", 403}});
}
