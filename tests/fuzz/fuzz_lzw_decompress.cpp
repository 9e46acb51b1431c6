// libFuzzer target: swim::lzw::decompress on arbitrary bytes. Whatever inflates
// must stay under the limit and survive a compress/decompress round trip.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "swim/lzw.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t limit = 1u << 20;
  const auto out = swim::lzw::decompress({data, size}, limit);
  if (!out) return 0;
  if (out->size() > limit) std::abort();
  const auto again = swim::lzw::decompress(swim::lzw::compress(*out), limit);
  if (!again || *again != *out) std::abort();
  return 0;
}
