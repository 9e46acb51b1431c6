// libFuzzer target: swim::wire::unpack_packet on arbitrary datagrams. Besides
// not crashing, every message it accepts must re-encode into a packet that
// decodes to the same message (what we relay is what we understood).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "swim/wire.hpp"

namespace {

swim::wire::limits small_limits() {
  swim::wire::limits lim;
  lim.max_inflated = 1u << 20;  // keep bombs cheap for the fuzzer
  return lim;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto lim = small_limits();
  const swim::wire::unpacked u = swim::wire::unpack_packet({data, size}, lim);
  for (const auto& m : u.messages) {
    const swim::bytes again = std::visit([](const auto& msg) { return swim::wire::encode(msg); }, m);
    const swim::wire::unpacked v = swim::wire::unpack_packet(again, lim);
    if (!v.errors.empty() || v.messages.size() != 1 || v.messages[0] != m) std::abort();
  }
  return 0;
}
