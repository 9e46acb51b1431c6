// libFuzzer target: swim::wire::parse_stream on an arbitrary stream prefix.
// The result must be self-consistent: `good` consumes at most the input, `bad`
// carries a reason, and a good push-pull re-encodes into an equal frame.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "swim/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  swim::wire::limits lim;
  lim.max_inflated = 1u << 20;
  lim.max_stream_frame = 1u << 20;
  lim.max_push_nodes = 4096;
  const swim::wire::stream_result r = swim::wire::parse_stream({data, size}, lim);
  switch (r.status) {
    case swim::wire::parse_status::good:
      if (r.consumed == 0 || r.consumed > size) std::abort();
      if (const auto* pp = std::get_if<swim::push_pull>(&r.message)) {
        const swim::bytes again = swim::wire::encode(*pp);
        const auto r2 = swim::wire::parse_stream(again, lim);
        if (r2.status != swim::wire::parse_status::good || r2.consumed != again.size() ||
            r2.message != r.message) {
          std::abort();
        }
      }
      break;
    case swim::wire::parse_status::bad:
      if (r.err == swim::wire::error::ok) std::abort();
      break;
    case swim::wire::parse_status::indeterminate:
      break;
  }
  return 0;
}
