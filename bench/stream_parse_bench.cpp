// swim-stream-parse-bench: the cost of reading one large plain push-pull from a TCP stream in
// 16 KiB pieces, as swim/asio/driver.cpp reads it (docs/wire.md §6.1).
//
//   restart:   parse the whole buffer from its start after every read (what the driver did
//              with wire::parse_stream): quadratic in the frame size
//   resumable: one wire::stream_parser per stream, resuming after the last complete node state
//   one-shot:  wire::parse_stream on the complete frame, once (the floor)
//
// Work is counted as bytes of push-pull header and node states decoded (stream_parser::work;
// the restart figure uses a fresh parser per read, which decodes exactly what parse_stream
// does), so the comparison does not depend on the machine. Wall times are printed too.
//
// Usage: swim-stream-parse-bench [MiB (default 20)] [--no-restart]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "swim/wire.hpp"

namespace {

using namespace swim;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// A plain push-pull of about `target` bytes: ~100-byte node states like a real cluster's
// (name, IPv4, port, 24 bytes of tags, incarnation, state, Vsn).
bytes make_frame(std::size_t target) {
  push_pull pp;
  pp.join = false;
  auto add = [&pp](std::size_t i) {
    pp.states.push_back({"cache-node-" + std::to_string(i),
                         bytes{10, static_cast<std::uint8_t>(i >> 16),
                               static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)},
                         7946, bytes(24, static_cast<std::uint8_t>('a' + i % 26)),
                         static_cast<std::uint32_t>(i + 1), member_state::alive, default_vsn()});
  };
  // Size a state from a sample with 6-digit indices (the longest names), then fill.
  for (std::size_t i = 0; i < 1024; ++i) add(100000 + i);
  const std::size_t per_state = wire::encode(pp).size() / 1024 + 1;
  pp.states.clear();
  for (std::size_t i = 0; i < target / per_state; ++i) add(i);
  return wire::encode(pp);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 20;
  bool restart = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-restart") == 0)
      restart = false;
    else
      mib = static_cast<std::size_t>(std::strtoul(argv[i], nullptr, 10));
  }
  constexpr std::size_t chunk = 16 * 1024;
  // 20 MiB is the frame limit (memberlist maxPushStateBytes); the frame stays just under it.
  const bytes frame = make_frame(mib * (1u << 20));
  const std::size_t reads = (frame.size() + chunk - 1) / chunk;
  std::printf("plain push-pull: %zu bytes, read in %zu pieces of %zu bytes\n", frame.size(),
              reads, chunk);

  auto t0 = clock_type::now();
  const wire::stream_result once = wire::parse_stream(frame);
  const double once_s = seconds_since(t0);
  if (once.status != wire::parse_status::good) {
    std::printf("the frame does not parse (error %s)\n",
                std::string(wire::to_string(once.err)).c_str());
    return 1;
  }
  const std::size_t states = std::get<push_pull>(once.message).states.size();
  std::printf("%-10s %12s %16s %10s\n", "", "seconds", "bytes decoded", "x frame");
  std::printf("%-10s %12.3f %16s %10s   (%zu node states)\n", "one-shot", once_s, "-", "-", states);

  t0 = clock_type::now();
  wire::stream_parser p;
  wire::stream_result r;
  for (std::size_t n = chunk;; n += chunk) {
    r = p.parse(byte_view(frame.data(), std::min(n, frame.size())));
    if (r.status != wire::parse_status::indeterminate || n >= frame.size()) break;
  }
  const double resumable_s = seconds_since(t0);
  if (r.status != wire::parse_status::good || !(r.message == once.message)) {
    std::printf("resumable parse differs from one-shot\n");
    return 1;
  }
  std::printf("%-10s %12.3f %16zu %10.2f\n", "resumable", resumable_s, p.work(),
              static_cast<double>(p.work()) / static_cast<double>(frame.size()));

  if (restart) {
    t0 = clock_type::now();
    std::size_t work = 0;
    for (std::size_t n = chunk;; n += chunk) {
      wire::stream_parser fresh;  // starts over, exactly as parse_stream does
      r = fresh.parse(byte_view(frame.data(), std::min(n, frame.size())));
      work += fresh.work();
      if (r.status != wire::parse_status::indeterminate || n >= frame.size()) break;
    }
    const double restart_s = seconds_since(t0);
    std::printf("%-10s %12.3f %16zu %10.2f\n", "restart", restart_s, work,
                static_cast<double>(work) / static_cast<double>(frame.size()));
  }
  return 0;
}
