#pragma once
// One HTTP exchange as the emulator's handlers see it: a request struct in, a
// response struct out. main.cpp moves these to and from Beast; the handlers
// (metadata_api, compute_api, admin_api, router) never touch a socket.

#include <chrono>
#include <optional>
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

  /// Value of the first header called `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

/// `j` as compact JSON with Content-Type application/json; charset=UTF-8.
response json_response(int status, const nlohmann::json& j);

/// A plain body with the given Content-Type.
response text_response(int status, std::string body, std::string_view type = "text/plain");

/// The 400 for a request whose input made a handler throw (a JSON field of the
/// wrong type, text that cannot be encoded): {"error": "bad request: WHAT"}.
response bad_request(std::string_view what);

}  // namespace gce::emulator
