#include "gce/emulator/hash.hpp"

#include <cstdio>

#include "util/fnv.hpp"

namespace gce::emulator {

std::uint64_t hash(std::string_view s) { return util::fnv1a_64(s, hash_seed); }

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string digest(std::string_view s) { return hex16(hash(s)); }

}  // namespace gce::emulator
