#pragma once
// The one seam between gce's logic and the network: a blocking HTTP GET. The
// metadata and compute clients are written against this interface, so unit
// tests hand them a scripted fake and production hands them curl_http_client.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gce {

/// Request or response headers as (name, value) pairs, in order.
using http_headers = std::vector<std::pair<std::string, std::string>>;

/// What one GET produced. status == 0 means no HTTP answer arrived (see error).
struct http_result {
  int status = 0;          ///< HTTP status, or 0 on a transport failure
  std::string body;        ///< response body, possibly empty
  http_headers headers;    ///< response headers; names lower-cased
  std::string error;       ///< why status is 0 ("timeout", "connection refused", ...)
  bool timed_out = false;  ///< the transport failure was the timeout

  /// Value of the first header called `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

/// One API request and how it ended, for metrics ("instances.list", 200; status 0 = no
/// HTTP answer).
struct api_call {
  std::string method;  ///< API method name
  int status = 0;      ///< HTTP status, 0 on a transport failure

  friend bool operator==(const api_call&, const api_call&) = default;
};

/// A blocking HTTP client. Implementations never throw; failures come back in
/// http_result. One instance is used by one thread at a time.
class http_client {
 public:
  virtual ~http_client() = default;
  /// GET `url` with `headers`; give up after `timeout` in total.
  virtual http_result get(const std::string& url, const http_headers& headers,
                          std::chrono::milliseconds timeout) = 0;

  /// POST `body` (listManagedInstances takes an empty one). Clients that never need it
  /// keep this default, which fails without sending anything.
  virtual http_result post(const std::string& url, const http_headers& headers,
                           const std::string& body, std::chrono::milliseconds timeout) {
    (void)url, (void)headers, (void)body, (void)timeout;
    return {0, "", {}, "POST is not supported by this client", false};
  }

  /// GET a long response (a Kubernetes watch) and hand a 200's body to `on_data` as it
  /// arrives, chunk by chunk; `on_data` returning false ends the request. Other statuses
  /// come back with their body in http_result, as get() does. The default runs get() and
  /// hands over the whole body at once.
  virtual http_result get_stream(const std::string& url, const http_headers& headers,
                                 std::chrono::milliseconds timeout,
                                 const std::function<bool(std::string_view)>& on_data) {
    http_result r = get(url, headers, timeout);
    if (r.status == 200) {
      on_data(r.body);
      r.body.clear();
    }
    return r;
  }
};

/// Percent-encode everything but RFC 3986 unreserved characters (for query values).
std::string url_encode(std::string_view s);

}  // namespace gce
