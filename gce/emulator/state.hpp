#pragma once
// The GCE emulator's logic as a pure request -> response function over an
// in-memory project (like Asio's request_handler): main.cpp only moves bytes.
//
// Served paths (see docs/gce.md for the full list and the admin API):
//   /computeMetadata/v1/...                      metadata server; the caller's VM is
//                                                picked by its SOURCE ADDRESS (the
//                                                instance whose NIC has that IP)
//   /compute/v1/projects/P/zones/Z/instances     instances.list
//   /compute/v1/projects/P/aggregated/instances  instances.aggregatedList
//   /compute/v1/projects/P/zones, .../regions/R  zones.list, regions.get
//   /admin/...                                   test control: instances, faults,
//                                                page size, tokens, call counters

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gce::emulator {

/// One HTTP request as the server received it.
struct request {
  std::string method;                                       ///< "GET", "POST", ...
  std::string target;                                       ///< path and query
  std::vector<std::pair<std::string, std::string>> headers; ///< as received
  std::string body;                                         ///< request body
  std::string source_ip;                                    ///< peer address of the connection
  bool recheck = false;  ///< re-evaluation of a parked watch (not counted, no faults)
  bool expired = false;  ///< the parked watch's timeout_sec has passed: answer now

  /// First header called `name`, case-insensitive.
  std::optional<std::string> header(std::string_view name) const;
};

/// The answer, or an instruction to park the request (a metadata watch).
struct response {
  int status = 200;                                         ///< HTTP status
  std::string body;                                         ///< body
  std::vector<std::pair<std::string, std::string>> headers; ///< including Content-Type
  std::chrono::milliseconds delay{0};  ///< injected latency before sending
  bool park = false;                   ///< hold the request; call handle() again later
  std::chrono::seconds park_for{0};    ///< with park: the watch's timeout_sec
};

/// One NIC of an emulated VM.
struct emu_nic {
  std::string name;         ///< nic0...
  std::string ip;           ///< internal IP; also the VM's source address for metadata
  std::string external_ip;  ///< optional
};

/// One emulated VM.
struct emu_instance {
  std::string name, zone, id, status = "RUNNING", hostname;
  std::vector<emu_nic> nics;
  std::vector<std::string> tags;
  std::map<std::string, std::string> metadata;
  std::map<std::string, std::string> labels;
  bool preempted = false;
  std::string maintenance_event = "NONE";
};

/// The emulated project and its test knobs.
class state {
 public:
  /// Load {"project", "project_number", "zones", "instances": [...]} or a bare
  /// array of instances. false and `error` on invalid input.
  bool load(const nlohmann::json& doc, std::string& error);

  /// Answer one request. `now` drives token expiry and watches, `wall` quota minutes.
  response handle(const request& req, std::chrono::steady_clock::time_point now,
                  std::chrono::system_clock::time_point wall);

  bool require_auth = true;            ///< compute calls need a token issued here
  std::string default_instance;        ///< metadata identity for unknown source addresses
  int page_size = 500;                 ///< largest page served
  bool empty_pages = false;            ///< put an empty page (with a token) before each page
  std::chrono::seconds token_ttl{3600};///< lifetime of issued tokens

 private:
  struct fault_counter {
    int remaining = 0;         ///< requests still affected; -1 = until cleared
    std::string target = "compute";
    bool take(std::string_view t) {
      if (remaining == 0 || (target != "all" && target != t)) return false;
      if (remaining > 0) --remaining;
      return true;
    }
  };

  response handle_metadata(const request& req, std::string_view path, std::string_view query,
                           std::chrono::steady_clock::time_point now);
  response handle_compute(const request& req, std::string_view path, std::string_view query,
                          std::chrono::steady_clock::time_point now,
                          std::chrono::system_clock::time_point wall);
  response handle_admin(const request& req, std::string_view path,
                        std::chrono::steady_clock::time_point now);
  response list_instances(const std::vector<const emu_instance*>& all, const std::string& scope,
                          std::string_view query, bool aggregated);
  bool add_instance(const nlohmann::json& j, std::string& error);
  nlohmann::json to_api(const emu_instance& in) const;
  std::string zone_url(std::string_view zone) const;
  std::set<std::string> all_zones() const;
  void count(const std::string& what) { ++calls_[what]; }

  std::string project_ = "emulated-project";
  std::string project_number_ = "123456789012";
  std::set<std::string> zones_;
  std::map<std::string, emu_instance> instances_;  // by name
  std::map<std::string, std::chrono::steady_clock::time_point> tokens_;  // token -> expiry
  std::uint64_t next_token_ = 1;
  std::map<std::string, std::uint64_t> calls_;

  // Faults.
  int fault_status_ = 0;
  fault_counter status_fault_;
  fault_counter malformed_fault_;
  fault_counter delay_fault_;
  std::chrono::milliseconds delay_{0};
  std::chrono::system_clock::time_point rate_limited_until_{};
  int quota_per_minute_ = 0;  // 0 = unlimited
  std::int64_t quota_minute_ = -1;
  int quota_used_ = 0;
};

}  // namespace gce::emulator
