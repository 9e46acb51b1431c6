#include "agent/config.hpp"
#include "swim/config.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A fresh directory under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("cachecluster-config-test-" + std::to_string(rd()) + "-" + std::to_string(++counter));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Write `text` to a file in this directory; returns its path.
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    std::ofstream out(p, std::ios::binary);
    out << text;
    return p;
  }

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The error message load_config throws for `text`, or "" if it loads.
std::string load_error(const std::string& text) {
  temp_dir dir;
  fs::path p = dir.write("cachecluster.ini", text);
  try {
    agent::load_config(p);
  } catch (const agent::config_error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const char* full_file = R"([cache]
port = 9080

[cluster]
port = 8301
heartbeat = 500ms
bind = 10.0.0.5
advertise = 10.0.0.5:8301
join = 10.0.0.6:8301, cache-2.internal,
  [2001:db8::7]:7000
profile = wan
udp_buffer_size = 1200
leave_timeout = 2s
push_pull_budget = 0

[match]
project = my-project
zone = us-central1-a
network_interface = nic1
tags = cache-node, prod

[meta]
Cache-Cluster = main
shard = "a b"

[node]
name = cache-1

[publish]
socket = /tmp/cc.sock

[http]
listen = [::1]:9200

[log]
level = debug
format = json

[tags]
role = cache
DC = east

[gce]
api_endpoint = http://127.0.0.1:8080/compute/v1/
api_calls_per_minute = 30
min_poll_interval = 2s
labels = app=cache, env=prod
status = running, STAGING
)";

}  // namespace

TEST_CASE("config: a file with every key loads every value") {
  temp_dir dir;
  auto loaded = agent::load_config(dir.write("full.ini", full_file));
  const agent::config& c = loaded.cfg;

  CHECK(c.cache.port == 9080);

  CHECK(c.cluster.port == 8301);
  CHECK(c.cluster.heartbeat == 500ms);
  CHECK(c.cluster.bind == "10.0.0.5");
  REQUIRE(c.cluster.advertise.has_value());
  CHECK(*c.cluster.advertise == agent::host_port{"10.0.0.5", 8301});
  REQUIRE(c.cluster.join.size() == 3);
  CHECK(c.cluster.join[0] == agent::host_port{"10.0.0.6", 8301});
  CHECK(c.cluster.join[1] == agent::host_port{"cache-2.internal", 8301});
  CHECK(c.cluster.join[2] == agent::host_port{"2001:db8::7", 7000});
  CHECK(c.cluster.join[2].to_string() == "[2001:db8::7]:7000");
  CHECK(c.cluster.profile == agent::timing_profile::wan);
  CHECK(c.cluster.udp_buffer_size == 1200);
  CHECK(c.cluster.leave_timeout == 2s);
  CHECK(c.cluster.push_pull_budget == 0);

  CHECK(c.match.project == "my-project");
  CHECK(c.match.zone == "us-central1-a");
  CHECK(c.match.network_interface == "nic1");
  CHECK(c.match.tags == std::vector<std::string>{"cache-node", "prod"});
  CHECK(c.match.meta ==
        std::map<std::string, std::string>{{"Cache-Cluster", "main"}, {"shard", "a b"}});

  CHECK(c.node.name == "cache-1");
  CHECK(c.publish.socket == "/tmp/cc.sock");
  CHECK(c.http.listen == agent::host_port{"::1", 9200});
  CHECK(c.log.level == agent::log_level::debug);
  CHECK(c.log.format == agent::log_format::json);
  CHECK(c.tags == std::map<std::string, std::string>{{"DC", "east"}, {"role", "cache"}});

  CHECK(c.gce.api_endpoint == "http://127.0.0.1:8080/compute/v1/");
  CHECK(c.gce.api_calls_per_minute == 30);
  CHECK(c.gce.min_poll_interval == std::chrono::seconds(2));
  CHECK(c.gce.zones.empty());
  CHECK(c.gce.region.empty());
  CHECK(c.gce.labels == std::map<std::string, std::string>{{"app", "cache"}, {"env", "prod"}});
  CHECK(c.gce.status == std::vector<std::string>{"RUNNING", "STAGING"});

  // heartbeat is set as well as profile, and profile wins.
  REQUIRE(loaded.warnings.size() == 1);
  CHECK(contains(loaded.warnings[0], "[cluster] heartbeat: ignored because profile = wan"));
}

TEST_CASE("config: zones and region in [gce]") {
  temp_dir dir;
  auto zones = agent::load_config(dir.write("z.ini", "[gce]\nzones = us-east1-b,us-east1-c\n"));
  CHECK(zones.cfg.gce.zones == std::vector<std::string>{"us-east1-b", "us-east1-c"});
  auto region = agent::load_config(dir.write("r.ini", "[gce]\nregion = europe-west4\n"));
  CHECK(region.cfg.gce.region == "europe-west4");
}

TEST_CASE("config: absent keys take their defaults") {
  temp_dir dir;
  for (const char* text : {"", "; only a comment\n", "[cluster]\n", "[log]\nlevel = info\n"}) {
    CAPTURE(text);
    auto loaded = agent::load_config(dir.write("empty.ini", text));
    const agent::config& c = loaded.cfg;
    CHECK(loaded.warnings.empty());
    CHECK_FALSE(c.cache.port.has_value());
    CHECK(c.cluster.port == 7946);
    CHECK(c.cluster.heartbeat == 250ms);
    CHECK(c.cluster.bind == "0.0.0.0");
    CHECK_FALSE(c.cluster.advertise.has_value());
    CHECK(c.cluster.join.empty());
    CHECK(c.cluster.profile == agent::timing_profile::heartbeat);
    CHECK(c.cluster.udp_buffer_size == 1400);
    CHECK(c.cluster.leave_timeout == 5s);
    CHECK(c.cluster.push_pull_budget == swim::timing{}.push_pull_budget);
    CHECK(c.match.project.empty());
    CHECK(c.match.zone.empty());
    CHECK(c.match.network_interface == "nic0");
    CHECK(c.match.tags.empty());
    CHECK(c.match.meta.empty());
    CHECK_FALSE(c.node.name.empty());  // the host name
    CHECK(c.publish.socket == "/run/cachecluster/cachecluster.sock");
    CHECK(c.http.listen == agent::host_port{"127.0.0.1", 9101});
    CHECK(c.log.level == agent::log_level::info);
    CHECK(c.log.format == agent::log_format::text);
    CHECK(c.tags.empty());
    CHECK(c.gce.api_endpoint == "https://compute.googleapis.com/compute/v1/");
    CHECK(c.gce.api_calls_per_minute == 10);
    CHECK(c.gce.min_poll_interval == std::chrono::seconds(60));
    CHECK(c.gce.zones.empty());
    CHECK(c.gce.region.empty());
    CHECK(c.gce.labels.empty());
    CHECK(c.gce.status == std::vector<std::string>{"RUNNING"});
  }
}

TEST_CASE("config: join seeds without a port take [cluster] port, wherever it is set") {
  temp_dir dir;
  auto loaded =
      agent::load_config(dir.write("j.ini", "[cluster]\njoin = 10.0.0.1, ::1\nport = 9999\n"));
  REQUIRE(loaded.cfg.cluster.join.size() == 2);
  CHECK(loaded.cfg.cluster.join[0] == agent::host_port{"10.0.0.1", 9999});
  CHECK(loaded.cfg.cluster.join[1] == agent::host_port{"::1", 9999});
}

TEST_CASE("config: a gce-cache-cluster file loads, with warnings for its Go-only keys") {
  temp_dir dir;
  auto loaded = agent::load_config(dir.write("gcc.ini", R"([cache]
port = 9080
gc_percent = 200
periodic_release = 60

[cluster]
port = 9999
heartbeat = 250

[match]
network_interface = nic0
tags = groupcache

[meta]
group = main
)"));
  CHECK(loaded.cfg.cache.port == 9080);
  CHECK(loaded.cfg.cluster.port == 9999);
  CHECK(loaded.cfg.cluster.heartbeat == 250ms);
  CHECK(loaded.cfg.match.tags == std::vector<std::string>{"groupcache"});
  CHECK(loaded.cfg.match.meta.at("group") == "main");
  REQUIRE(loaded.warnings.size() == 2);
  CHECK(contains(loaded.warnings[0], "[cache] gc_percent"));
  CHECK(contains(loaded.warnings[1], "[cache] periodic_release"));
}

TEST_CASE("config: the example cachecluster.ini is valid and warning-free") {
  // CACHECLUSTER_GOLDEN_DIR is <source>/tests/golden.
  fs::path example =
      fs::path(CACHECLUSTER_GOLDEN_DIR).parent_path().parent_path() / "cachecluster.ini";
  auto loaded = agent::load_config(example);
  CHECK(loaded.warnings.empty());
  CHECK(loaded.cfg.cache.port == 9080);
  CHECK(loaded.cfg.cluster.heartbeat == 250ms);
}

TEST_CASE("config: durations") {
  CHECK(agent::parse_duration("250") == 250ms);
  CHECK(agent::parse_duration("250ms") == 250ms);
  CHECK(agent::parse_duration("5s") == 5s);
  CHECK(agent::parse_duration(" 2m ") == 2min);
  CHECK(agent::parse_duration("0") == 0ms);
  for (const char* bad : {"", "ms", "-5s", "1.5s", "5 s", "5h", "5sec", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(agent::parse_duration(bad).has_value());
  }
  CHECK(agent::format_duration(250ms) == "250ms");
  CHECK(agent::format_duration(5s) == "5s");
  CHECK(agent::format_duration(2min) == "2m");
  CHECK(agent::format_duration(0ms) == "0ms");
}

TEST_CASE("config: each bad value names the file, [section] key, value and what is allowed") {
  struct bad_case {
    const char* text;
    const char* expected;
  };
  const bad_case cases[] = {
      {"[cluster]\nport = 70000\n", R"([cluster] port = "70000": must be an integer 1-65535)"},
      {"[cluster]\nport = 0\n", "[cluster] port = \"0\": must be an integer 1-65535"},
      {"[cluster]\nport = abc\n", "[cluster] port = \"abc\": must be an integer 1-65535"},
      {"[cache]\nport = -1\n", "[cache] port = \"-1\": must be an integer 1-65535"},
      {"[cluster]\nport = 1\nport = 2\n", "[cluster] port = \"1\\n2\": set more than once"},
      {"[cluster]\nheartbeat = fast\n", "[cluster] heartbeat = \"fast\": must be a duration"},
      {"[cluster]\nheartbeat = 5ms\n",
       "[cluster] heartbeat = \"5ms\": must be between 10ms and 1m"},
      {"[cluster]\nleave_timeout = 6m\n", "[cluster] leave_timeout = \"6m\": must be between"},
      {"[cluster]\nbind = localhost\n", "[cluster] bind = \"localhost\": must be an IPv4 or IPv6"},
      {"[cluster]\nadvertise = 0.0.0.0\n", "[cluster] advertise = \"0.0.0.0\": must be an address"},
      {"[cluster]\nadvertise = host:1\n", "[cluster] advertise = \"host:1\": must be an IP"},
      {"[cluster]\njoin = a:1, b:99999\n", "[cluster] join = \"a:1, b:99999\": seed \"b:99999\""},
      {"[cluster]\njoin = [::1\n", "[cluster] join = \"[::1\": seed"},
      {"[cluster]\nprofile = fast\n",
       "[cluster] profile = \"fast\": must be one of lan, wan, local"},
      {"[cluster]\nudp_buffer_size = 100\n",
       "[cluster] udp_buffer_size = \"100\": must be an integer 512-65507"},
      {"[cluster]\npush_pull_budget = -1\n",
       "[cluster] push_pull_budget = \"-1\": must be an integer 0-1000000"},
      {"[match]\nzone = US_CENTRAL\n", "[match] zone = \"US_CENTRAL\": must be a zone name"},
      {"[match]\nnetwork_interface = eth 0\n", "[match] network_interface = \"eth 0\""},
      {"[match]\ntags = ok, Not_OK\n", "[match] tags = \"ok, Not_OK\": tag \"Not_OK\" must be"},
      {"[match]\nproject = my project\n", "[match] project = \"my project\": must be a project"},
      {"[node]\nname = two words\n", "[node] name = \"two words\": must be 1-128 characters"},
      {"[publish]\nsocket = run/x.sock\n",
       "[publish] socket = \"run/x.sock\": must be an absolute"},
      {"[http]\nlisten = 127.0.0.1\n", "[http] listen = \"127.0.0.1\": must be IP:PORT"},
      {"[log]\nlevel = verbose\n",
       "[log] level = \"verbose\": must be one of trace, debug, info, warn, error"},
      {"[log]\nformat = xml\n", "[log] format = \"xml\": must be one of text, json"},
      {"[gce]\napi_endpoint = ftp://x\n", "[gce] api_endpoint = \"ftp://x\": must be an http://"},
      {"[gce]\napi_calls_per_minute = 0\n",
       "[gce] api_calls_per_minute = \"0\": must be an integer 1-6000"},
      {"[gce]\nmin_poll_interval = 500ms\n",
       "[gce] min_poll_interval = \"500ms\": must be between 1s and 60m"},
      {"[gce]\nzones = us-east1-b, Bad\n", "[gce] zones = \"us-east1-b, Bad\": zone \"Bad\""},
      {"[gce]\nregion = Europe\n", "[gce] region = \"Europe\": must be a region name"},
      {"[gce]\nlabels = app\n", "[gce] labels = \"app\": label \"app\" must be KEY=VALUE"},
      {"[gce]\nlabels = App=x\n", "[gce] labels = \"App=x\": label \"App=x\""},
      {"[gce]\nstatus = ALIVE\n", "[gce] status = \"ALIVE\": status \"ALIVE\" must be one of"},
      {"[gce]\nstatus = ,\n", "[gce] status = \",\": must name at least one status"},
      {"[match]\nzone = us-east1-b\n[gce]\nregion = us-east1\n",
       "[match] zone, [gce] zones, [gce] region: set only one"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    std::string error = load_error(c.text);
    CHECK(contains(error, "cachecluster.ini: "));
    CHECK(contains(error, c.expected));
  }
}

TEST_CASE("config: [tags] must fit in memberlist's 512-byte node meta") {
  std::string text = "[tags]\n";
  for (int i = 0; i < 4; ++i) {
    text += "key" + std::to_string(i) + " = " + std::string(150, 'v') + "\n";
  }
  std::string error = load_error(text);
  CHECK(contains(error, "cachecluster.ini: [tags]: the encoded meta takes 634 bytes"));
  CHECK(contains(error, "at most 512"));
  CHECK(load_error("[tags]\nrole = " + std::string(150, 'v') + "\n").empty());
}

TEST_CASE("config: syntax errors give the file and line") {
  CHECK(contains(load_error("[cluster]\nport = 7946\nthis line has no equals sign\n"),
                 "cachecluster.ini:3: INI syntax error"));
  CHECK(contains(load_error("[cluster\nport = 1\n"), "cachecluster.ini:1: INI syntax error"));
  // Lines may be long: a long join list fits on one line.
  std::string long_line = "[cluster]\njoin = ";
  for (int i = 1; i <= 40; ++i) long_line += "10.0.0." + std::to_string(i) + ":7946, ";
  CHECK(load_error(long_line + "\n").empty());
}

TEST_CASE("config: a file that cannot be read names the file") {
  temp_dir dir;
  fs::path missing = dir.path() / "missing.ini";
  CHECK_THROWS_WITH_AS(agent::load_config(missing),
                       (missing.string() + ": cannot open: No such file or directory").c_str(),
                       agent::config_error);
  CHECK_THROWS_AS(agent::load_config(dir.path()), agent::config_error);
}

TEST_CASE("config: unknown sections are warnings, unknown keys in known sections errors") {
  temp_dir dir;
  auto loaded = agent::load_config(dir.write("w.ini", R"(stray = 1
[clustr]
port = 1
other = 2
[cluster]
Port = 7001
[http]
listen = 127.0.0.1:9300
[meta]
AnyKey = fine
[tags]
AnyTag = fine
)"));
  CHECK(loaded.cfg.cluster.port == 7001);  // key names are not case-sensitive
  CHECK(loaded.cfg.http.listen.port == 9300);
  REQUIRE(loaded.warnings.size() == 2);
  CHECK(contains(loaded.warnings[0], "w.ini: stray: key outside any [section]"));
  CHECK(contains(loaded.warnings[1],
                 "w.ini: [clustr]: unknown section (ignored); did you mean "
                 "cluster?"));

  // A misspelt key would leave its setting at the default: [match] tag would match every
  // instance of the zone.
  CHECK(contains(load_error("[cluster]\nprot = 7000\n"),
                 "/cachecluster.ini:2: [cluster] prot: unknown key; did you mean port?"));
  CHECK(contains(load_error("[match]\nzone = us-central1-a\n\ntag = cache # typo\n"),
                 "cachecluster.ini:4: [match] tag: unknown key; did you mean tags?"));
  const std::string no_hint = load_error("[log]\nwhatever = 1\n");
  CHECK(no_hint.ends_with("/cachecluster.ini:2: [log] whatever: unknown key"));
  // gce-cache-cluster's Go runtime keys stay accepted.
  CHECK(load_error("[cache]\ngc_percent = 15\nperiodic_release = 30\n").empty());
}

TEST_CASE("config: [publish] max_sessions") {
  temp_dir dir;
  CHECK(agent::load_config(dir.write("d.ini", "")).cfg.publish.max_sessions == 256);
  CHECK(agent::load_config(dir.write("m.ini", "[publish]\nmax_sessions = 4\n"))
            .cfg.publish.max_sessions == 4);
  CHECK(contains(load_error("[publish]\nmax_sessions = 0\n"),
                 "[publish] max_sessions = \"0\": must be an integer 1-100000"));
  CHECK(contains(load_error("[publish]\nmax_sessions = lots\n"), "[publish] max_sessions"));
}

TEST_CASE("config: [http] listen off loopback is a warning (the endpoint has no authentication)") {
  temp_dir dir;
  for (const char* listen : {"0.0.0.0:9101", "10.0.0.5:9101", "[::]:9101", "[2001:db8::1]:9101",
                             "[::ffff:10.0.0.1]:9101"}) {
    CAPTURE(listen);
    auto loaded =
        agent::load_config(dir.write("h.ini", std::string("[http]\nlisten = ") + listen));
    REQUIRE(loaded.warnings.size() == 1);
    CHECK(contains(loaded.warnings[0], "h.ini: [http] listen = "));
    CHECK(contains(loaded.warnings[0], "is not a loopback address"));
    CHECK(contains(loaded.warnings[0], "no authentication"));
  }
  for (const char* listen :
       {"127.0.0.1:9101", "127.9.8.7:9101", "[::1]:9101", "[::ffff:127.0.0.1]:9101"}) {
    CAPTURE(listen);
    auto loaded =
        agent::load_config(dir.write("h.ini", std::string("[http]\nlisten = ") + listen));
    CHECK(loaded.warnings.empty());
  }
}

TEST_CASE("config: an http:// [gce] api_endpoint off loopback is a warning (token in clear)") {
  temp_dir dir;
  for (const char* url : {"http://10.0.0.9:8080/compute/v1/", "http://compute.example.com/v1/",
                          "http://[2001:db8::9]/compute/v1/", "http://127.0.0.1@10.0.0.9/",
                          "http://localhost.example.com/"}) {
    CAPTURE(url);
    auto loaded =
        agent::load_config(dir.write("g.ini", std::string("[gce]\napi_endpoint = ") + url));
    REQUIRE(loaded.warnings.size() == 1);
    CHECK(contains(loaded.warnings[0], std::string("g.ini: [gce] api_endpoint = ") + url));
    CHECK(contains(loaded.warnings[0], "bearer token would travel in clear"));
  }
  for (const char* url :
       {"https://compute.googleapis.com/compute/v1/", "https://10.0.0.9/compute/v1/",
        "http://127.0.0.1:8080/compute/v1/", "http://127.0.4.2:9000", "http://[::1]:8080/x",
        "http://localhost:8080/compute/v1/", "http://LOCALHOST/", "http://api.localhost/",
        "http://user@127.0.0.1:8080/"}) {
    CAPTURE(url);
    auto loaded =
        agent::load_config(dir.write("g.ini", std::string("[gce]\napi_endpoint = ") + url));
    CHECK(loaded.warnings.empty());
  }
}

TEST_CASE("config: exposure warnings come with the other warnings, and from check-config's load") {
  temp_dir dir;
  auto loaded = agent::load_config(dir.write("both.ini", R"([clustr]
port = 1
[http]
listen = 0.0.0.0:9101
[gce]
api_endpoint = http://10.0.0.9/compute/v1/
)"));
  REQUIRE(loaded.warnings.size() == 3);
  CHECK(contains(loaded.warnings[0], "[clustr]: unknown section"));
  CHECK(contains(loaded.warnings[1], "[http] listen = 0.0.0.0:9101 is not a loopback address"));
  CHECK(contains(loaded.warnings[2], "[gce] api_endpoint = http://10.0.0.9/compute/v1/"));
}

TEST_CASE("config: gce-cache-cluster's readme example loads, comments left out") {
  std::ifstream in(std::string(CACHECLUSTER_GOLDEN_DIR) + "/gce-cache-cluster-readme.ini");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  auto loaded = agent::parse_config(text.str(), "cachecluster.ini");
  const auto& cfg = loaded.cfg;
  CHECK(cfg.cache.port == 9080);
  CHECK(cfg.cluster.port == 9999);
  CHECK(cfg.cluster.heartbeat == std::chrono::milliseconds(250));
  CHECK(cfg.match.project == "my-project");
  CHECK(cfg.match.zone == "us-central1-b");
  CHECK(cfg.match.network_interface == "nic0");
  CHECK(cfg.match.tags == std::vector<std::string>{"http-server"});
  CHECK(cfg.match.meta == std::map<std::string, std::string>{{"service", "web"}});
  CHECK(loaded.warnings.empty());
}
