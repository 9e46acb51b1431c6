// libcurl easy interface, one handle per client, through the function table of the
// library loaded at run time. Every curl call's result is checked and turned into
// http_result::error; nothing here throws (allocation failure aside, which ends the
// process anyway).

#include "gce/curl_http_client.hpp"

#include "gce/curl_library.hpp"

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "util/strings.hpp"

namespace gce {
namespace {

struct transfer {
  std::string body;
  http_headers headers;
  std::size_t max_body = 0;
  bool too_big = false;
  const std::atomic<bool>* cancelled = nullptr;
  const std::function<bool(std::string_view)>* on_data = nullptr;  // streaming a 200
  int status = 0;  // from the last status line
  bool stream_stopped = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  const std::size_t len = size * n;
  if (t->on_data != nullptr && t->status == 200) {
    if (!(*t->on_data)(std::string_view(data, len))) {
      t->stream_stopped = true;
      return 0;  // ends the transfer
    }
    return len;
  }
  if (t->body.size() + len > t->max_body) {
    t->too_big = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  t->body.append(data, len);
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  const std::size_t len = size * n;
  std::string_view line(data, len);
  // A new status line (after a redirect or 100-continue) starts a new header set.
  if (line.starts_with("HTTP/")) {
    t->headers.clear();
    const auto sp = line.find(' ');
    t->status = sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return len;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  // The value without the white space around it (HTTP optional white space) and the CRLF.
  t->headers.emplace_back(util::lower(line.substr(0, colon)),
                          std::string(util::trim(line.substr(colon + 1))));
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<transfer*>(user);
  return t->cancelled->load() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

curl_http_client::curl_http_client(curl_options options) : options_(std::move(options)) {
  const curl_load_result& lib = curl_library();
  if (!lib.api) return;
  api_ = &*lib.api;
  handle_ = api_->easy_init();
}

curl_http_client::~curl_http_client() {
  if (handle_ != nullptr) api_->easy_cleanup(static_cast<CURL*>(handle_));
}

std::string curl_http_client::load_error() { return curl_library().error; }

http_result curl_http_client::get(const std::string& url, const http_headers& headers,
                                  std::chrono::milliseconds timeout) {
  return perform(url, headers, nullptr, timeout, nullptr);
}

http_result curl_http_client::post(const std::string& url, const http_headers& headers,
                                   const std::string& body, std::chrono::milliseconds timeout) {
  return perform(url, headers, &body, timeout, nullptr);
}

http_result curl_http_client::get_stream(const std::string& url, const http_headers& headers,
                                         std::chrono::milliseconds timeout,
                                         const std::function<bool(std::string_view)>& on_data) {
  return perform(url, headers, nullptr, timeout, &on_data);
}

http_result curl_http_client::perform(const std::string& url, const http_headers& headers,
                                      const std::string* post_body,
                                      std::chrono::milliseconds timeout,
                                      const std::function<bool(std::string_view)>* on_data) {
  http_result out;
  if (api_ == nullptr) {
    out.error = load_error();
    return out;
  }
  const curl_api& c = *api_;
  auto* curl = static_cast<CURL*>(handle_);
  if (curl == nullptr) {
    out.error = "curl_easy_init failed";
    return out;
  }
  if (cancelled_.load()) {
    out.error = "cancelled";
    return out;
  }
  c.easy_reset(curl);
  transfer t;
  t.max_body = options_.max_body_bytes;
  t.cancelled = &cancelled_;
  t.on_data = on_data;

  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    const std::string line = name + ": " + value;
    curl_slist* next = c.slist_append(list, line.c_str());
    if (next != nullptr) list = next;
  }
  // Refuse other schemes so a bad endpoint cannot turn into a file:// read.
  c.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  c.easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (post_body != nullptr) {
    c.easy_setopt(curl, CURLOPT_POST, 1L);
    c.easy_setopt(curl, CURLOPT_POSTFIELDS, post_body->c_str());
    c.easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  } else {
    c.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  c.easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  c.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM
  c.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  c.easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                static_cast<long>(std::max<std::int64_t>(1, timeout.count())));
  c.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                static_cast<long>(std::min(options_.connect_timeout, timeout).count()));
  // The metadata server is plain HTTP on a link-local address: its clients never go
  // through a proxy picked up from the environment. API clients do (libcurl's default).
  if (options_.no_proxy) c.easy_setopt(curl, CURLOPT_NOPROXY, "*");
  if (!options_.ca_file.empty()) c.easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  c.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  c.easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  c.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  c.easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  c.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  c.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  c.easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  if (!options_.local_address.empty())
    c.easy_setopt(curl, CURLOPT_INTERFACE, ("host!" + options_.local_address).c_str());

  const CURLcode rc = c.easy_perform(curl);
  c.slist_free_all(list);
  if (rc != CURLE_OK && t.stream_stopped) {
    out.status = 200;  // the caller ended the stream: not a failure
    out.headers = std::move(t.headers);
    return out;
  }
  if (rc != CURLE_OK) {
    out.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    out.error = t.too_big ? "response body too large"
                : cancelled_.load() ? "cancelled"
                                    : c.easy_strerror(rc);
    return out;
  }
  long status = 0;
  c.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  out.body = std::move(t.body);
  out.headers = std::move(t.headers);
  return out;
}

}  // namespace gce
