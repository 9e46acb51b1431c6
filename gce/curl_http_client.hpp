#pragma once
// http_client over one libcurl easy handle (reused, so connections are kept
// alive between calls). Not thread-safe except for cancel(): give each worker
// thread its own client. libcurl is loaded at run time by the first client
// (gce/curl_library.hpp); without it every request fails with load_error().

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "gce/http_client.hpp"

namespace gce {

struct curl_api;

/// Transport options of curl_http_client.
struct curl_options {
  /// Source IP to bind (CURLOPT_INTERFACE), e.g. the agent's bind address, so a
  /// metadata server that identifies VMs by source address sees the right one.
  /// Empty = let the kernel choose.
  std::string local_address;
  /// Connection set-up limit, within the per-request timeout.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(3)};
  /// Largest response body kept; longer bodies fail the request (a guard
  /// against a runaway server, far above any real instance list page).
  std::size_t max_body_bytes = 64u << 20;
  /// Never use a proxy. Otherwise libcurl honours the environment as usual:
  /// https_proxy/HTTPS_PROXY for https:// URLs, http_proxy (lower case only) for
  /// http://, ALL_PROXY, and NO_PROXY/no_proxy (VMs without external IPs often reach
  /// Google APIs through a proxy). The metadata server's clients set it: that server
  /// is link-local and must never be asked through a proxy.
  bool no_proxy = false;
  /// CA bundle to verify the server with (CURLOPT_CAINFO); "" = the system's.
  std::string ca_file;
};

/// libcurl-backed blocking client.
class curl_http_client final : public http_client {
 public:
  /// A client with its own easy handle. Loads libcurl and calls curl_global_init once per
  /// process.
  explicit curl_http_client(curl_options options = {});
  ~curl_http_client() override;
  curl_http_client(const curl_http_client&) = delete;
  curl_http_client& operator=(const curl_http_client&) = delete;

  /// See http_client::get. Never throws.
  http_result get(const std::string& url, const http_headers& headers,
                  std::chrono::milliseconds timeout) override;
  /// See http_client::post. Never throws.
  http_result post(const std::string& url, const http_headers& headers, const std::string& body,
                   std::chrono::milliseconds timeout) override;
  /// See http_client::get_stream. Never throws.
  http_result get_stream(const std::string& url, const http_headers& headers,
                         std::chrono::milliseconds timeout,
                         const std::function<bool(std::string_view)>& on_data) override;

  /// Abort the request in flight (and every later one) as soon as possible;
  /// callable from any thread. Used to stop a hanging metadata watch at shutdown.
  void cancel() { cancelled_.store(true); }

  /// Empty when libcurl is loaded (loading it now if it was not), else why it cannot be,
  /// naming the package to install. For start-up checks that should fail with that message.
  static std::string load_error();

 private:
  http_result perform(const std::string& url, const http_headers& headers, const std::string* post_body,
                      std::chrono::milliseconds timeout,
                      const std::function<bool(std::string_view)>* on_data);

  curl_options options_;
  const curl_api* api_ = nullptr;  // null when libcurl could not be loaded
  void* handle_ = nullptr;         // CURL*, kept opaque so users need no curl headers
  std::atomic<bool> cancelled_{false};
};

}  // namespace gce
