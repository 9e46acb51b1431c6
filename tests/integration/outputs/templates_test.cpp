// The templates shipped in examples/templates/, rendered with a three-peer view
// and checked by the programs that read them: nginx -t, haproxy -c,
// nutcracker -t, and a JSON parser for Envoy's EDS file and the groupcache list.
// A program that is not installed skips its check with a message.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/atomic_file.hpp"
#include "agent/render_view.hpp"
#include "support/process.hpp"

using namespace agent;
namespace fs = std::filesystem;

namespace {

const fs::path templates = fs::path(CACHECLUSTER_GOLDEN_DIR) / ".." / ".." / "examples" / "templates";

peerlib::snapshot cluster(std::size_t n = 3) {
  peerlib::snapshot s;
  s.version = 42;
  s.local_mode = false;
  const char* zones[] = {"us-central1-a", "us-central1-b", "us-central1-a"};
  for (std::size_t i = 0; i < n; ++i) {
    peerlib::peer p;
    p.name = "cache-" + std::to_string(i + 1);
    p.address = "127.0.14." + std::to_string(i + 1);
    p.port = 7946;
    p.cache_port = 11211;
    p.cache_url = "http://" + p.address + ":11211";
    p.zone = zones[i % 3];
    p.state = i == 2 ? peerlib::peer_state::suspect : peerlib::peer_state::alive;
    s.peers.push_back(p);
  }
  if (!s.peers.empty()) s.self = s.peers[0];
  return s;
}

std::string render(const std::string& name, const peerlib::snapshot& s,
                   render_escape e = render_escape::none) {
  auto text = read_file(templates / name);
  REQUIRE_MESSAGE(text, (templates / name).string());
  render_filter f;
  f.cache_only = true;
  auto r = render_template(*text, s, f, e);
  INFO(r.error);
  REQUIRE(r.ok);
  return r.text;
}

/// `program` in PATH or /usr/sbin.
std::string find_program(const std::string& program) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    fs::path p = fs::path(dir) / program;
    if (fs::exists(p)) return p.string();
  }
  return {};
}

}  // namespace

TEST_CASE("templates: nginx upstream passes nginx -t, with peers and with none") {
  const std::string nginx = find_program("nginx");
  if (nginx.empty()) {
    MESSAGE("nginx is not installed: skipping the nginx -t check");
    return;
  }
  for (std::size_t n : {3u, 0u}) {
    test_support::temp_dir dir("cc-nginx");
    const std::string d = dir.path().string();
    auto upstream = render("nginx-upstream.conf.mustache", cluster(n));
    if (n == 3) CHECK(upstream.find("server 127.0.14.3:11211;  # cache-3 us-central1-a suspect") != std::string::npos);
    test_support::write_file(dir / "upstream.conf", upstream);
    test_support::write_file(
        dir / "nginx.conf",
        "pid " + d + "/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n"
        "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n"
        "  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n"
        "  scgi_temp_path " + d + "/scgi;\n  include " + d + "/upstream.conf;\n"
        "  server {\n    listen 127.0.14.200:18080;\n    location / { proxy_pass http://cachecluster; }\n"
        "  }\n}\n");
    auto r = test_support::run_cli({nginx, "-t", "-q", "-e", "stderr", "-p", d + "/", "-c",
                                    d + "/nginx.conf"});
    INFO(upstream);
    INFO(r.err);
    CHECK(r.exit == 0);
  }
}

TEST_CASE("templates: HAProxy backend passes haproxy -c") {
  const std::string haproxy = find_program("haproxy");
  if (haproxy.empty()) {
    MESSAGE("haproxy is not installed: skipping the haproxy -c check");
    return;
  }
  test_support::temp_dir dir("cc-haproxy");
  auto backend = render("haproxy-backend.cfg.mustache", cluster());
  CHECK(backend.find("server cache-2 127.0.14.2:11211 check") != std::string::npos);
  test_support::write_file(dir / "backend.cfg", backend);
  test_support::write_file(dir / "main.cfg",
                           "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n"
                           "  timeout server 1s\nfrontend f\n  bind 127.0.14.200:18081\n"
                           "  default_backend cachecluster\n");
  auto r = test_support::run_cli({haproxy, "-c", "-f", (dir / "main.cfg").string(), "-f",
                                  (dir / "backend.cfg").string()});
  INFO(backend);
  INFO(std::string(r.out + r.err));
  CHECK(r.exit == 0);
}

TEST_CASE("templates: twemproxy config passes nutcracker -t; the listen address comes from a tag") {
  auto s = cluster();
  s.self.tags["twemproxy_listen"] = "127.0.14.1:22121";
  auto yml = render("nutcracker.yml.mustache", s);
  CHECK(yml.find("  listen: 127.0.14.1:22121\n") != std::string::npos);
  CHECK(yml.find("   - 127.0.14.1:11211:1 cache-1\n") != std::string::npos);
  CHECK(render("nutcracker.yml.mustache", cluster()).find("  listen: 127.0.0.1:22121\n") !=
        std::string::npos);
  const std::string nutcracker = find_program("nutcracker");
  if (nutcracker.empty()) {
    MESSAGE("nutcracker is not installed: skipping the nutcracker -t check");
    return;
  }
  test_support::temp_dir dir("cc-nutcracker");
  test_support::write_file(dir / "nutcracker.yml", yml);
  auto r = test_support::run_cli({nutcracker, "-t", "-c", (dir / "nutcracker.yml").string()});
  INFO(yml);
  INFO(std::string(r.out + r.err));
  CHECK(r.exit == 0);
}

TEST_CASE("templates: Envoy EDS and the groupcache list are valid JSON with every peer") {
  auto eds = nlohmann::json::parse(render("envoy-eds.json.mustache", cluster(), render_escape::json),
                                   nullptr, false);
  REQUIRE_FALSE(eds.is_discarded());
  CHECK(eds["version_info"] == "42");
  const auto& cla = eds["resources"][0];
  CHECK(cla["@type"] == "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment");
  REQUIRE(cla["endpoints"].size() == 2);  // two zones
  CHECK(cla["endpoints"][0]["locality"]["zone"] == "us-central1-a");
  CHECK(cla["endpoints"][0]["lb_endpoints"].size() == 2);
  const auto& suspect = cla["endpoints"][0]["lb_endpoints"][1];
  CHECK(suspect["endpoint"]["address"]["socket_address"]["port_value"] == 11211);
  CHECK(suspect["health_status"] == "DEGRADED");
  auto one = nlohmann::json::parse(render("envoy-eds.json.mustache", cluster(1), render_escape::json),
                                   nullptr, false);
  CHECK_FALSE(one.is_discarded());

  auto urls = nlohmann::json::parse(
      render("groupcache-peers.json.mustache", cluster(), render_escape::json), nullptr, false);
  REQUIRE_FALSE(urls.is_discarded());
  CHECK(urls == nlohmann::json::array({"http://127.0.14.1:11211", "http://127.0.14.2:11211",
                                       "http://127.0.14.3:11211"}));
  CHECK(nlohmann::json::parse(render("groupcache-peers.json.mustache", cluster(0), render_escape::json)) ==
        nlohmann::json::array());
}

TEST_CASE("templates: memcached proxy routes list one backend per peer") {
  auto lua = render("memcached-proxy.lua.mustache", cluster());
  for (int i = 1; i <= 3; ++i)
    CHECK(lua.find("\"127.0.14." + std::to_string(i) + ":11211\", -- cache-" + std::to_string(i)) !=
          std::string::npos);
  CHECK(lua.find("pools{") != std::string::npos);
}
