// gce-emulator's metadata server handler (gce/emulator/metadata_api.hpp) as a
// pure function: identity by source address, the flavor checks, keys, ETags,
// tokens, parked watches and metadata faults. No sockets.

#include "gce/emulator/metadata_api.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace emu = gce::emulator;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1000h;

constexpr const char* fixture = R"({
  "project": "acme-prod", "project_number": "123456789012",
  "instances": [
    {"name": "vm-1", "zone": "us-central1-a", "networkIP": "127.0.4.10", "tags": ["peer", "http"],
     "metadata": {"cluster": "a", "flag": ""}, "id": "9300000000000000001"},
    {"name": "vm-2", "zone": "us-central1-f", "hostname": "two.example",
     "networkInterfaces": [{"name": "nic0", "networkIP": "10.0.0.2", "natIP": "34.1.2.3"},
                           {"name": "nic1", "networkIP": "127.0.4.11"}]},
    {"name": "vm-3", "zone": "us-central1-a", "networkIP": "127.0.4.12"}
  ]})";

struct emulator {
  emu::state st;

  emulator() {
    std::string error;
    REQUIRE(st.load(json::parse(fixture), error));
  }

  emu::request req(const std::string& path, const std::string& source = "127.0.4.10") const {
    return {"GET", "/computeMetadata/v1/" + path, {{"Metadata-Flavor", "Google"}}, "", source};
  }

  emu::response get(const std::string& path, const std::string& source = "127.0.4.10",
                    std::chrono::steady_clock::time_point now = t0) {
    return emu::handle_metadata(st, req(path, source), now);
  }

  /// The body of a 200; fails the test otherwise.
  std::string value(const std::string& path, const std::string& source = "127.0.4.10") {
    const emu::response r = get(path, source);
    INFO(path << " from " << source << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.body;
  }
};

}  // namespace

TEST_CASE("emulator metadata: the caller's source address picks the VM") {
  emulator e;
  CHECK(e.value("instance/name") == "vm-1");
  CHECK(e.value("instance/name", "127.0.4.12") == "vm-3");
  CHECK(e.value("instance/name", "127.0.4.11") == "vm-2");  // any NIC's address
  CHECK(e.value("instance/id") == "9300000000000000001");
  CHECK(e.value("instance/network-interfaces/0/ip", "127.0.4.12") == "127.0.4.12");

  const emu::response stranger = e.get("instance/name", "127.0.9.9");
  CHECK(stranger.status == 404);
  CHECK(stranger.body.find("127.0.9.9") != std::string::npos);
  e.st.default_instance = "vm-3";
  CHECK(e.value("instance/name", "127.0.9.9") == "vm-3");
  CHECK(e.value("instance/name") == "vm-1");  // a known address still wins
  e.st.default_instance = "gone";
  CHECK(e.get("instance/name", "127.0.9.9").status == 404);
}

TEST_CASE("emulator metadata: Metadata-Flavor is required, X-Forwarded-For refused") {
  emulator e;
  emu::request r = e.req("instance/name");
  r.headers.clear();
  emu::response res = emu::handle_metadata(e.st, r, t0);
  CHECK(res.status == 403);
  CHECK(res.header("Metadata-Flavor") == "Google");
  r.headers = {{"metadata-flavor", "google"}};  // the value is case-sensitive
  CHECK(emu::handle_metadata(e.st, r, t0).status == 403);
  r.headers = {{"METADATA-FLAVOR", "Google"}};  // the name is not
  CHECK(emu::handle_metadata(e.st, r, t0).status == 200);
  r.headers.emplace_back("X-Forwarded-For", "1.2.3.4");
  CHECK(emu::handle_metadata(e.st, r, t0).status == 403);
  CHECK(e.st.calls("metadata") == 4);  // refused requests count
}

TEST_CASE("emulator metadata: project and instance keys") {
  emulator e;
  CHECK(e.value("project/project-id") == "acme-prod");
  CHECK(e.value("project/numeric-project-id") == "123456789012");
  CHECK(e.value("instance/zone") == "projects/123456789012/zones/us-central1-a");
  CHECK(e.value("instance/hostname") == "vm-1.us-central1-a.c.acme-prod.internal");
  CHECK(e.value("instance/hostname", "127.0.4.11") == "two.example");
  CHECK(json::parse(e.value("instance/tags")) == json::array({"peer", "http"}));
  CHECK(e.value("instance/preempted") == "FALSE");
  CHECK(e.value("instance/maintenance-event") == "NONE");
  CHECK(e.value("instance/service-accounts/default/email") == "emulated@acme-prod.iam.gserviceaccount.com");
  CHECK(e.value("") == "instance/\nproject/\n");
  CHECK(e.value("project/") == "attributes/\nnumeric-project-id\nproject-id\n");
  CHECK(e.get("nothing").status == 404);

  const emu::response r = e.get("instance/name");
  CHECK(r.header("Content-Type") == "application/text");
  CHECK(r.header("Metadata-Flavor") == "Google");
  CHECK(r.header("Server") == "Metadata Server for VM");
  REQUIRE(r.header("ETag"));
  CHECK(r.header("ETag")->size() == 16);
  CHECK(r.header("ETag")->find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("emulator metadata: attributes as a listing, as JSON, one by one") {
  emulator e;
  CHECK(e.value("instance/attributes/") == "cluster\nflag\n");
  CHECK(json::parse(e.value("instance/attributes/?recursive=true")) == json{{"cluster", "a"}, {"flag", ""}});
  CHECK(e.value("instance/attributes/cluster") == "a");
  CHECK(e.value("instance/attributes/flag").empty());
  CHECK(e.get("instance/attributes/missing").status == 404);
  CHECK(e.value("instance/attributes/", "127.0.4.12").empty());
}

TEST_CASE("emulator metadata: network interfaces") {
  emulator e;
  CHECK(e.value("instance/network-interfaces/", "127.0.4.11") == "0/\n1/\n");
  CHECK(e.value("instance/network-interfaces/1/ip", "127.0.4.11") == "127.0.4.11");
  CHECK(e.value("instance/network-interfaces/0/network", "127.0.4.11") ==
        "projects/123456789012/networks/default");
  CHECK(e.value("instance/network-interfaces/0/access-configs/0/external-ip", "127.0.4.11") == "34.1.2.3");
  CHECK(e.get("instance/network-interfaces/1/access-configs/0/external-ip", "127.0.4.11").status == 404);
  CHECK(e.get("instance/network-interfaces/2/ip", "127.0.4.11").status == 404);
  CHECK(e.get("instance/network-interfaces/100/ip", "127.0.4.11").status == 404);  // at most 2 digits
  CHECK(e.get("instance/network-interfaces/x/ip", "127.0.4.11").status == 404);
}

TEST_CASE("emulator metadata: paths: double slashes pass, a trailing slash needs a directory") {
  emulator e;
  CHECK(e.value("instance//name") == "vm-1");
  CHECK(e.get("instance/name/").status == 404);
  CHECK(e.value("instance/").find("\nname\n") != std::string::npos);
  emu::request r = e.req("");
  r.target = "/computeMetadata/v2/instance/name";
  CHECK(emu::handle_metadata(e.st, r, t0).status == 404);
  r.target = "/computeMetadata/v1beta/instance/name";
  CHECK(emu::handle_metadata(e.st, r, t0).status == 404);
}

TEST_CASE("emulator metadata: one token per VM until it expires, then a new one") {
  emulator e;
  const std::string path = "instance/service-accounts/default/token";
  emu::response r = e.get(path);
  REQUIRE(r.status == 200);
  CHECK_FALSE(r.header("Metadata-Flavor"));  // as on the real server
  json tok = json::parse(r.body);
  const std::string first = tok["access_token"];
  CHECK(first.starts_with("ya29.emu-vm-1-"));
  CHECK(tok["expires_in"] == 3600);
  CHECK(tok["token_type"] == "Bearer");

  tok = json::parse(e.get(path, "127.0.4.10", t0 + 600s).body);
  CHECK(tok["access_token"] == first);  // cached, counting down
  CHECK(tok["expires_in"] == 3000);
  CHECK(e.st.token_valid(first, t0 + 3599s));
  CHECK_FALSE(e.st.token_valid(first, t0 + 3600s));

  const std::string other = json::parse(e.get(path, "127.0.4.12").body)["access_token"];
  CHECK(other != first);  // per VM

  e.st.token_ttl = 60s;
  tok = json::parse(e.get(path, "127.0.4.10", t0 + 3599s).body);  // 1 s left: renewed
  CHECK(tok["access_token"] != first);
  CHECK(tok["expires_in"] == 60);
  CHECK(e.st.calls("metadata.token") == 4);

  CHECK(e.get(path + "?wait_for_change=true").status == 400);
}

TEST_CASE("emulator metadata: ETags follow the value") {
  emulator e;
  const auto etag = [&] { return *e.get("instance/preempted").header("ETag"); };
  const std::string before = etag();
  CHECK(etag() == before);
  e.st.find("vm-1")->preempted = true;
  CHECK(etag() != before);
  // An ETag is a hash of the key and the value: the same for two VMs with the
  // same value, another for the same value under another key.
  CHECK(*e.get("instance/maintenance-event", "127.0.4.12").header("ETag") ==
        *e.get("instance/maintenance-event").header("ETag"));
  CHECK(e.value("instance/attributes/flag").empty());
  CHECK(e.value("instance/attributes/", "127.0.4.12").empty());
  CHECK(*e.get("instance/attributes/flag").header("ETag") !=
        *e.get("instance/attributes/", "127.0.4.12").header("ETag"));
}

TEST_CASE("emulator metadata: wait_for_change parks until the ETag changes or the timeout passes") {
  emulator e;
  const std::string etag = *e.get("instance/preempted").header("ETag");
  const std::string watch = "instance/preempted?wait_for_change=true&timeout_sec=30&last_etag=" + etag;

  emu::request r = e.req(watch);
  emu::response res = emu::handle_metadata(e.st, r, t0);
  CHECK(res.park);
  CHECK(res.park_for == 30s);
  CHECK(e.st.calls("metadata.watch") == 1);

  r.recheck = true;  // the server's periodic re-evaluation: not counted again
  CHECK(emu::handle_metadata(e.st, r, t0 + 1s).park);
  e.st.find("vm-1")->preempted = true;
  res = emu::handle_metadata(e.st, r, t0 + 2s);
  CHECK_FALSE(res.park);
  CHECK(res.status == 200);
  CHECK(res.body == "TRUE");
  CHECK(res.header("ETag") != etag);
  CHECK(e.st.calls("metadata.watch") == 1);
  CHECK(e.st.calls("metadata") == 2);

  // An expired watch answers with the unchanged value.
  emu::request r3 = e.req("instance/name?wait_for_change=true&last_etag=" +
                          *e.get("instance/name").header("ETag"));
  r3.recheck = true;
  r3.expired = true;
  res = emu::handle_metadata(e.st, r3, t0);
  CHECK_FALSE(res.park);
  CHECK(res.body == "vm-1");

  // A stale last_etag (or 0, the first call) answers at once.
  CHECK_FALSE(e.get("instance/name?wait_for_change=true&last_etag=0").park);
  CHECK_FALSE(e.get("instance/name?wait_for_change=true").park);

  // timeout_sec is clamped to 1-3600; unreadable means 3600.
  const std::string name_tag = *e.get("instance/name").header("ETag");
  CHECK(e.get("instance/name?wait_for_change=true&timeout_sec=0&last_etag=" + name_tag).park_for == 1s);
  CHECK(e.get("instance/name?wait_for_change=true&timeout_sec=9999&last_etag=" + name_tag).park_for == 3600s);
  CHECK(e.get("instance/name?wait_for_change=true&timeout_sec=x&last_etag=" + name_tag).park_for == 3600s);

  // A directory is watched only recursively.
  CHECK(e.get("instance/attributes/?wait_for_change=true").status == 400);
  const std::string attrs_tag = *e.get("instance/attributes/?recursive=true").header("ETag");
  CHECK(e.get("instance/attributes/?recursive=true&wait_for_change=true&last_etag=" + attrs_tag).park);
}

TEST_CASE("emulator metadata: status faults aimed at metadata, never on a recheck") {
  emulator e;
  e.st.faults.status = 503;
  e.st.faults.status_fault = {2, "compute"};
  CHECK(e.get("instance/name").status == 200);  // aimed at the Compute API

  e.st.faults.status_fault = {2, "metadata"};
  emu::response r = e.get("instance/name");
  CHECK(r.status == 503);
  CHECK(r.header("Metadata-Flavor") == "Google");
  emu::request again = e.req("instance/name");
  again.recheck = true;
  CHECK(emu::handle_metadata(e.st, again, t0).status == 200);
  CHECK(e.get("instance/name").status == 503);
  CHECK(e.get("instance/name").status == 200);

  // Delay and truncation faults are Compute-only.
  e.st.faults.delay = 100ms;
  e.st.faults.slow = {1, "all"};
  e.st.faults.malformed = {1, "all"};
  r = e.get("instance/name");
  CHECK(r.delay == 0ms);
  CHECK(r.body == "vm-1");
}
