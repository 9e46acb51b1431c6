#include "discovery/kubernetes_pods.hpp"

#include <doctest/doctest.h>

using namespace discovery;

namespace {

std::string pod_json(const std::string& name, const std::string& ip, const std::string& phase,
                     bool ready, const std::string& rv, const std::string& extra_md = "") {
  return R"({"kind":"Pod","metadata":{"name":")" + name + R"(","resourceVersion":")" + rv + "\"" +
         extra_md + R"(},"spec":{"nodeName":"node-a","containers":[{"name":"app","ports":[{"name":"http","containerPort":80}]},)"
         R"({"name":"agent","ports":[{"name":"gossip","containerPort":7000,"protocol":"UDP"},{"containerPort":9}]}]},)"
         R"("status":{"phase":")" + phase + "\"" + (ip.empty() ? "" : R"(,"podIP":")" + ip + "\"") +
         R"(,"conditions":[{"type":"PodScheduled","status":"True"},{"type":"Ready","status":")" +
         (ready ? "True" : "False") + R"("}]}})";
}

watch_event event(const std::string& line) {
  std::string err;
  auto e = parse_watch_event(line, err);
  REQUIRE_MESSAGE(e, err);
  return *e;
}

}  // namespace

TEST_CASE("kubernetes_pods: a PodList decodes the fields discovery needs") {
  std::string err;
  auto l = parse_pod_list(R"({"kind":"PodList","metadata":{"resourceVersion":"1234"},"items":[)" +
                              pod_json("a", "10.1.0.1", "Running", true, "1200") + "," +
                              pod_json("b", "", "Pending", false, "1201") + "]}",
                          err);
  REQUIRE_MESSAGE(l, err);
  CHECK(l->resource_version == "1234");
  REQUIRE(l->pods.size() == 2);
  const pod& a = l->pods[0];
  CHECK(a.name == "a");
  CHECK(a.ip == "10.1.0.1");
  CHECK(a.phase == "Running");
  CHECK(a.ready);
  CHECK(a.node_name == "node-a");
  CHECK(a.ports == std::map<std::string, std::uint16_t>{{"gossip", 7000}, {"http", 80}});
  CHECK(l->pods[1].ip.empty());
  CHECK_FALSE(l->pods[1].ready);
  CHECK_FALSE(parse_pod_list("[]", err));
  CHECK_FALSE(parse_pod_list(R"({"items":{}})", err));
  CHECK(parse_pod_list(R"({"metadata":{}})", err)->pods.empty());  // items omitted: none
}

TEST_CASE("kubernetes_pods: candidates are Running, Ready (when required), with an IP, not us") {
  std::string err;
  pod_set s;
  s.reset(*parse_pod_list(
      R"({"metadata":{"resourceVersion":"10"},"items":[)" + pod_json("a", "10.1.0.1", "Running", true, "1") +
          "," + pod_json("b", "10.1.0.2", "Running", false, "2") + "," +
          pod_json("c", "", "Pending", false, "3") + "," + pod_json("self", "10.1.0.9", "Running", true, "4") +
          "," + pod_json("d", "10.1.0.4", "Running", true, "5", R"(,"deletionTimestamp":"2026-01-01T00:00:00Z")") +
          "," + pod_json("e", "fd00::5", "Running", true, "6") + "]}",
      err));
  pod_rules rules;
  rules.self_name = "self";
  CHECK(s.candidates(rules) == std::vector<std::string>{"10.1.0.1:7946", "[fd00::5]:7946"});
  rules.require_ready = false;
  CHECK(s.candidates(rules) ==
        std::vector<std::string>{"10.1.0.1:7946", "10.1.0.2:7946", "[fd00::5]:7946"});
  rules.port_name = "gossip";
  CHECK(s.candidates(rules) ==
        std::vector<std::string>{"10.1.0.1:7000", "10.1.0.2:7000", "[fd00::5]:7000"});
  rules.port_name = "nope";  // pods without the named port are skipped
  CHECK(s.candidates(rules).empty());
  CHECK(s.resource_version() == "10");
}

TEST_CASE("kubernetes_pods: watch events add, modify and delete; bookmarks move the version") {
  pod_set s;
  s.reset({{}, "100"});
  pod_rules rules;
  CHECK(s.apply(event(R"({"type":"ADDED","object":)" + pod_json("a", "", "Pending", false, "101") + "}")));
  CHECK(s.candidates(rules).empty());
  CHECK(s.apply(event(R"({"type":"MODIFIED","object":)" + pod_json("a", "10.1.0.1", "Running", true, "102") + "}")));
  CHECK(s.candidates(rules) == std::vector<std::string>{"10.1.0.1:7946"});
  CHECK(s.resource_version() == "102");
  CHECK_FALSE(s.apply(event(R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"150"}}})")));
  CHECK(s.resource_version() == "150");
  CHECK(s.apply(event(R"({"type":"DELETED","object":)" + pod_json("a", "10.1.0.1", "Running", true, "151") + "}")));
  CHECK(s.candidates(rules).empty());
  CHECK_FALSE(s.apply(event(R"({"type":"DELETED","object":)" + pod_json("zz", "", "Running", true, "152") + "}")));

  const watch_event gone = event(
      R"x({"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 1 (200)","reason":"Expired","code":410}})x");
  CHECK(gone.type == watch_event::kind::error);
  CHECK(gone.code == 410);
  CHECK(gone.message.find("too old") != std::string::npos);
  CHECK_FALSE(s.apply(gone));

  std::string err;
  CHECK_FALSE(parse_watch_event("{", err));
  CHECK_FALSE(parse_watch_event(R"({"type":"WHAT","object":{}})", err));
  CHECK_FALSE(parse_watch_event(R"({"type":"ADDED"})", err));
  CHECK_FALSE(parse_watch_event(R"({"type":"ADDED","object":{"metadata":{}}})", err));
}

TEST_CASE("kubernetes_pods: a stream is cut into lines whatever the chunking") {
  const std::string stream = "{\"a\":1}\n{\"b\":2}\n\n{\"c\":3}\n{\"partial";
  for (std::size_t step : {1u, 2u, 5u, 100u}) {
    line_splitter split;
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < stream.size(); i += step)
      CHECK(split.feed(std::string_view(stream).substr(i, step),
                       [&](std::string_view l) { lines.emplace_back(l); }));
    CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"});
  }
  line_splitter tiny(8);
  CHECK_FALSE(tiny.feed("0123456789", [](std::string_view) {}));
}

TEST_CASE("kubernetes_pods: node labels and selectors in queries") {
  auto labels = parse_node_labels(
      R"({"kind":"Node","metadata":{"name":"n","labels":{"topology.kubernetes.io/zone":"europe-west1-b"}}})");
  REQUIRE(labels);
  CHECK(labels->at("topology.kubernetes.io/zone") == "europe-west1-b");
  CHECK_FALSE(parse_node_labels("nope"));
  CHECK(query_encode("app=cache,tier in (a,b)") == "app%3Dcache%2Ctier%20in%20%28a%2Cb%29");
}
