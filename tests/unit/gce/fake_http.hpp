#pragma once
// A scripted http_client for unit tests: answers in order, records requests.

#include <deque>
#include <string>
#include <vector>

#include "gce/http_client.hpp"

namespace gce_test {

struct fake_http final : gce::http_client {
  struct call {
    std::string url;
    gce::http_headers headers;
    std::chrono::milliseconds timeout;
    std::string method = "GET";
  };
  std::deque<gce::http_result> replies;
  std::vector<call> calls;

  gce::http_result get(const std::string& url, const gce::http_headers& headers,
                       std::chrono::milliseconds timeout) override {
    calls.push_back({url, headers, timeout});
    if (replies.empty()) return {0, "", {}, "no scripted reply", false};
    auto r = replies.front();
    replies.pop_front();
    return r;
  }

  gce::http_result post(const std::string& url, const gce::http_headers& headers,
                        const std::string& body, std::chrono::milliseconds timeout) override {
    auto r = get(url, headers, timeout);
    calls.back().method = "POST";
    (void)body;
    return r;
  }

  void ok(std::string body, gce::http_headers h = {}) {
    replies.push_back({200, std::move(body), std::move(h), "", false});
  }
  void status(int s, std::string body = "", gce::http_headers h = {}) {
    replies.push_back({s, std::move(body), std::move(h), "", false});
  }
  void timeout() { replies.push_back({0, "", {}, "Timeout was reached", true}); }
};

}  // namespace gce_test
