#pragma once
// libcurl, loaded at run time. The agent does not link libcurl: libcurl.so.4 brings TLS,
// SSH, LDAP, Kerberos and RTMP libraries whose pages an agent with a static join list would
// carry for nothing. It is opened with dlopen() when the first HTTP client is made (GCE or
// Kubernetes discovery, the metadata server, check-config --probe), and the few curl_*
// functions curl_http_client calls are resolved into a table. curl's header gives their
// types and the option constants at compile time only.

#include <curl/curl.h>

#include <optional>
#include <string>

namespace gce {

/// The libcurl functions curl_http_client calls, resolved from the loaded library.
struct curl_api {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_version_info) version_info = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_reset) easy_reset = nullptr;
  /// Variadic, like curl_easy_setopt: pass long, pointers or curl_off_t as each option says.
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

/// The soname the agent loads: the Debian package libcurl4 ships it.
inline constexpr const char* curl_soname = "libcurl.so.4";
/// The oldest libcurl accepted: CURLOPT_PROTOCOLS_STR appeared in 7.85.0.
inline constexpr unsigned curl_min_version = 0x075500;

/// A loaded library's table, or why there is none.
struct curl_load_result {
  std::optional<curl_api> api;  ///< set when the library opened and every function resolved
  std::string error;            ///< otherwise: what failed and the package to install
};

/// Opens `soname` (dlopen, never closed) and resolves the table; checks the version but does
/// not call curl_global_init. Every call opens again: for tests. Never throws.
curl_load_result load_curl_library(const char* soname);

/// The process's libcurl: libcurl.so.4 opened and curl_global_init called on the first call
/// (thread-safe), the same answer afterwards. Never throws.
const curl_load_result& curl_library();

}  // namespace gce
