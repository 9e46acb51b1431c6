#pragma once
// Opening a shared library at run time (dlopen) and resolving its functions (dlsym), for the
// libraries the agent loads only when a feature needs them (gce/curl_library,
// agent/crypto_library). The caller keeps the handle for the life of the process.

#include <dlfcn.h>

#include <string>

namespace util {

/// dlopen(soname) with every symbol bound now. nullptr on failure, with `error` set to
/// "cannot load SONAME (dlerror's reason)".
inline void* open_library(const char* soname, std::string& error) {
  dlerror();  // clear
  void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    error = std::string("cannot load ") + soname + " (" + (why != nullptr ? why : "unknown error") + ")";
  }
  return lib;
}

/// Look up `name` in `lib` into the function pointer `out`. False when it is missing, and the
/// first missing name is kept in `missing`, so a table of lookups names what the library lacks.
template <class F>
bool resolve_symbol(void* lib, const char* name, F& out, std::string& missing) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  if (out != nullptr) return true;
  if (missing.empty()) missing = name;
  return false;
}

}  // namespace util
