// dlopen of libcurl.so.4 and dlsym of each function curl_http_client calls.

#include "gce/curl_library.hpp"

#include <dlfcn.h>

#include <cstdio>

#include "util/shared_library.hpp"

namespace gce {
namespace {

std::string install_hint() {
  return "GCE and Kubernetes discovery and the metadata server need libcurl: install the Debian "
         "package libcurl4 (apt-get install libcurl4)";
}

using util::resolve_symbol;

}  // namespace

curl_load_result load_curl_library(const char* soname) {
  curl_load_result r;
  void* lib = util::open_library(soname, r.error);
  if (lib == nullptr) {
    r.error += "; " + install_hint();
    return r;
  }
  curl_api a;
  std::string missing;
  bool ok = resolve_symbol(lib, "curl_global_init", a.global_init, missing);
  ok = resolve_symbol(lib, "curl_version_info", a.version_info, missing) && ok;
  ok = resolve_symbol(lib, "curl_easy_init", a.easy_init, missing) && ok;
  ok = resolve_symbol(lib, "curl_easy_cleanup", a.easy_cleanup, missing) && ok;
  ok = resolve_symbol(lib, "curl_easy_reset", a.easy_reset, missing) && ok;
  ok = resolve_symbol(lib, "curl_easy_setopt", a.easy_setopt, missing) && ok;
  ok = resolve_symbol(lib, "curl_easy_perform", a.easy_perform, missing) && ok;
  ok = resolve_symbol(lib, "curl_easy_getinfo", a.easy_getinfo, missing) && ok;
  ok = resolve_symbol(lib, "curl_easy_strerror", a.easy_strerror, missing) && ok;
  ok = resolve_symbol(lib, "curl_slist_append", a.slist_append, missing) && ok;
  ok = resolve_symbol(lib, "curl_slist_free_all", a.slist_free_all, missing) && ok;
  if (!ok) {
    dlclose(lib);
    r.error = std::string(soname) + " is not libcurl (it has no " + missing + "); " + install_hint();
    return r;
  }
  const curl_version_info_data* v = a.version_info(CURLVERSION_NOW);
  if (v == nullptr || v->version_num < curl_min_version) {
    char need[16];
    std::snprintf(need, sizeof need, "%u.%u.%u", curl_min_version >> 16,
                  (curl_min_version >> 8) & 0xff, curl_min_version & 0xff);
    dlclose(lib);
    r.error = std::string(soname) + " is libcurl " +
              (v != nullptr && v->version ? v->version : "?") + ", older than " + need + "; " +
              install_hint();
    return r;
  }
  r.api = a;
  return r;
}

const curl_load_result& curl_library() {
  static const curl_load_result loaded = [] {
    curl_load_result r = load_curl_library(curl_soname);
    if (r.api && r.api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      r.api.reset();
      r.error = std::string("curl_global_init failed in ") + curl_soname;
    }
    return r;
  }();
  return loaded;
}

}  // namespace gce
