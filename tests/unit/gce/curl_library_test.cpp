// libcurl loaded at run time (gce/curl_library.hpp): the error values of a library that is
// missing or is not libcurl, and the real libcurl.so.4 of this box resolved and used.

#include "gce/curl_library.hpp"

#include <doctest/doctest.h>

#include <chrono>

#include "gce/curl_http_client.hpp"

using namespace gce;

TEST_CASE("curl_library: a missing library is an error naming it and the package, not a crash") {
  const curl_load_result r = load_curl_library("libcurl-not-installed.so.4");
  CHECK_FALSE(r.api.has_value());
  CHECK(r.error.find("cannot load libcurl-not-installed.so.4") != std::string::npos);
  CHECK(r.error.find("install the Debian package libcurl4") != std::string::npos);
}

TEST_CASE("curl_library: a library without curl's functions is refused, naming the first missing") {
  const curl_load_result r = load_curl_library("libm.so.6");
  CHECK_FALSE(r.api.has_value());
  CHECK(r.error.find("libm.so.6 is not libcurl (it has no curl_global_init)") != std::string::npos);
  CHECK(r.error.find("libcurl4") != std::string::npos);
}

TEST_CASE("curl_library: libcurl.so.4 resolves every function and is new enough") {
  const curl_load_result r = load_curl_library(curl_soname);
  REQUIRE_MESSAGE(r.api.has_value(), r.error);
  CHECK(r.error.empty());
  const curl_version_info_data* v = r.api->version_info(CURLVERSION_NOW);
  REQUIRE(v != nullptr);
  CHECK(v->version_num >= curl_min_version);
  CHECK(std::string(r.api->easy_strerror(CURLE_OK)) == "No error");
}

TEST_CASE("curl_library: the process's library is loaded once; clients work through it") {
  const curl_load_result& a = curl_library();
  const curl_load_result& b = curl_library();
  CHECK(&a == &b);
  REQUIRE_MESSAGE(a.api.has_value(), a.error);
  CHECK(curl_http_client::load_error().empty());
  // A request that never leaves the process: the scheme is refused by the options the
  // client sets through the table (CURLOPT_PROTOCOLS_STR), so no file is read.
  curl_http_client http;
  const http_result r = http.get("file:///etc/hostname", {}, std::chrono::seconds(1));
  CHECK(r.status == 0);
  CHECK(r.body.empty());
  CHECK(r.error.find("nsupported protocol") != std::string::npos);
}
