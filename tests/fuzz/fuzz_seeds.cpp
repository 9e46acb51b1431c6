// Writes libFuzzer seed corpora from pcap captures:
//   <out>/corpus-packet/  every UDP payload
//   <out>/corpus-stream/  every non-empty TCP stream direction
//   <out>/corpus-lzw/     every LZW buffer of a compress message
// Usage: fuzz_seeds <out-dir> <capture.pcap>...
// File names are a hash of the content, so repeated runs and duplicates collapse.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/pcap.hpp"
#include "util/fnv.hpp"

namespace {

bool write_seed(const std::filesystem::path& dir, const swim::bytes& b) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(util::fnv1a_64(b)));
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <out-dir> <capture.pcap>...\n", argv[0]);
    return 64;
  }
  const std::filesystem::path out = argv[1];
  const auto packets = out / "corpus-packet";
  const auto streams = out / "corpus-stream";
  const auto lzw = out / "corpus-lzw";
  for (const auto& d : {packets, streams, lzw}) std::filesystem::create_directories(d);

  std::size_t n_packets = 0, n_streams = 0, n_lzw = 0;
  for (int i = 2; i < argc; ++i) {
    std::string why;
    const auto cap = test_support::read_pcap(argv[i], &why);
    if (!cap) {
      std::fprintf(stderr, "%s: %s\n", argv[i], why.c_str());
      return 1;
    }
    bool ok = true;
    for (const auto& d : cap->udp) {
      ok = write_seed(packets, d.payload) && ok;
      ++n_packets;
    }
    for (const auto& s : cap->tcp) {
      for (const swim::bytes* dir : {&s.from_initiator, &s.from_responder}) {
        if (dir->empty()) continue;
        ok = write_seed(streams, *dir) && ok;
        ++n_streams;
      }
    }
    for (const auto& p : test_support::find_lzw_payloads(*cap)) {
      ok = write_seed(lzw, p.buf) && ok;
      ++n_lzw;
    }
    if (!ok) {
      std::fprintf(stderr, "cannot write seeds under %s\n", out.c_str());
      return 1;
    }
  }
  std::printf("seeds: %zu packets, %zu streams, %zu lzw buffers\n", n_packets, n_streams, n_lzw);
  return 0;
}
