#pragma once
// Where the interop tests find Serf.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace interop {

/// The serf binary: $SERF_BIN, else `serf` in /usr/bin, /usr/local/bin or /bin; "" when none
/// (the tests then fail, never skip).
inline std::string serf_binary() {
  if (const char* env = std::getenv("SERF_BIN"); env && *env) return env;
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    auto p = std::filesystem::path(dir) / "serf";
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

}  // namespace interop
