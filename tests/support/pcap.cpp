#include "support/pcap.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <tuple>

namespace test_support {

namespace {

// Link-layer header types (tcpdump.org/linktypes.html) the golden captures or
// other common loopback captures use.
constexpr std::uint32_t link_null = 0;        // BSD loopback: 4-byte family, host order
constexpr std::uint32_t link_ethernet = 1;
constexpr std::uint32_t link_raw_old = 12;    // raw IP on some BSDs
constexpr std::uint32_t link_raw = 101;
constexpr std::uint32_t link_sll = 113;       // Linux cooked v1
constexpr std::uint32_t link_ipv4 = 228;
constexpr std::uint32_t link_sll2 = 276;      // Linux cooked v2

constexpr std::uint8_t tcp_fin = 0x01;
constexpr std::uint8_t tcp_syn = 0x02;
constexpr std::uint8_t tcp_rst = 0x04;
constexpr std::uint8_t tcp_ack = 0x10;

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
std::uint32_t le32(const std::uint8_t* p) {
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0];
}

/// One direction of a TCP connection: segments keyed by offset from the ISN.
struct half {
  bool have_base = false;
  std::uint32_t base = 0;  // sequence number of the first data byte
  std::map<std::uint32_t, swim::bytes> segments;

  void add(std::uint32_t seq, swim::byte_view data) {
    if (data.empty()) return;
    if (!have_base) {
      // Capture started mid-stream: count from the first byte seen.
      have_base = true;
      base = seq;
    }
    const std::uint32_t off = seq - base;  // wraps correctly around 2^32
    // Offsets "before" the base (a retransmit of pre-capture data) show up as huge values; drop them.
    if (off > 0x7FFFFFFFu) return;
    auto& slot = segments[off];
    if (data.size() > slot.size()) slot.assign(data.begin(), data.end());
  }

  /// Contiguous bytes from offset 0; `gap` is set when a hole stops it early.
  swim::bytes assemble(bool& gap) const {
    swim::bytes out;
    for (const auto& [off, data] : segments) {
      if (off > out.size()) {
        gap = true;
        break;
      }
      // Overlap with what we have (retransmit or repacketised data): keep only the new tail.
      const std::size_t skip = out.size() - off;
      if (skip < data.size()) out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(skip), data.end());
    }
    return out;
  }
};

struct connection {
  tcp_stream info;
  half to_responder;  // initiator -> responder
  half to_initiator;  // responder -> initiator
  bool closed = false;
};

using four_tuple = std::tuple<endpoint, endpoint>;  // (lower, higher) endpoint

class reader {
 public:
  explicit reader(capture& cap) : cap_(cap) {}

  /// Decode one IPv4 datagram (starting at its IP header).
  void ipv4(const std::uint8_t* p, std::size_t n, std::uint64_t time_ns, std::size_t frame) {
    if (n < 20 || (p[0] >> 4) != 4) return skip();
    const std::size_t ihl = std::size_t{p[0] & 0x0Fu} * 4;
    const std::size_t total = be16(p + 2);
    if (ihl < 20 || total < ihl || total > n) return skip();
    // Fragments would need IP reassembly; loopback traffic is never fragmented.
    if ((be16(p + 6) & 0x3FFF) != 0) return skip();
    const endpoint src_ip{be32(p + 12), 0};
    const endpoint dst_ip{be32(p + 16), 0};
    const std::uint8_t proto = p[9];
    const std::uint8_t* l4 = p + ihl;
    const std::size_t l4_len = total - ihl;  // total length trims Ethernet padding
    if (proto == 17) return udp(src_ip.addr, dst_ip.addr, l4, l4_len, time_ns, frame);
    if (proto == 6) return tcp(src_ip.addr, dst_ip.addr, l4, l4_len, time_ns, frame);
    skip();
  }

  void skip() { ++cap_.skipped; }

  void finish() {
    for (auto& c : connections_) {
      bool gap = false;
      c.info.from_initiator = c.to_responder.assemble(gap);
      c.info.from_responder = c.to_initiator.assemble(gap);
      c.info.gap = gap;
      cap_.tcp.push_back(std::move(c.info));
    }
    connections_.clear();
  }

 private:
  void udp(std::uint32_t src, std::uint32_t dst, const std::uint8_t* p, std::size_t n,
           std::uint64_t time_ns, std::size_t frame) {
    if (n < 8) return skip();
    const std::size_t len = be16(p + 4);
    if (len < 8 || len > n) return skip();
    udp_datagram d;
    d.src = {src, be16(p)};
    d.dst = {dst, be16(p + 2)};
    d.time_ns = time_ns;
    d.frame = frame;
    d.payload.assign(p + 8, p + len);
    cap_.udp.push_back(std::move(d));
  }

  void tcp(std::uint32_t src, std::uint32_t dst, const std::uint8_t* p, std::size_t n,
           std::uint64_t time_ns, std::size_t frame) {
    if (n < 20) return skip();
    const std::size_t hdr = static_cast<std::size_t>(p[12] >> 4) * 4;
    if (hdr < 20 || hdr > n) return skip();
    const endpoint from{src, be16(p)};
    const endpoint to{dst, be16(p + 2)};
    const std::uint32_t seq = be32(p + 4);
    const std::uint8_t flags = p[13];
    const swim::byte_view data{p + hdr, n - hdr};
    const bool syn_only = (flags & tcp_syn) != 0 && (flags & tcp_ack) == 0;

    const four_tuple key = from < to ? four_tuple{from, to} : four_tuple{to, from};
    auto it = open_.find(key);
    // A fresh SYN on a tuple whose previous connection already closed is a new
    // connection (port reuse).
    if (it != open_.end() && syn_only && connections_[it->second].closed) {
      open_.erase(it);
      it = open_.end();
    }
    if (it == open_.end()) {
      connection c;
      c.info.initiator = from;
      c.info.responder = to;
      c.info.saw_syn = syn_only;
      c.info.time_ns = time_ns;
      c.info.first_frame = frame;
      connections_.push_back(std::move(c));
      it = open_.emplace(key, connections_.size() - 1).first;
    }
    connection& c = connections_[it->second];
    const bool from_initiator = from == c.info.initiator;
    half& h = from_initiator ? c.to_responder : c.to_initiator;
    std::uint32_t data_seq = seq;
    if ((flags & tcp_syn) != 0) {
      // The SYN consumes one sequence number; data starts right after it.
      h.have_base = true;
      h.base = seq + 1;
      data_seq = seq + 1;
    }
    h.add(data_seq, data);
    if ((flags & (tcp_fin | tcp_rst)) != 0) {
      c.closed = true;
      c.info.saw_fin = true;
    }
  }

  capture& cap_;
  std::vector<connection> connections_;
  std::map<four_tuple, std::size_t> open_;
};

}  // namespace

std::string endpoint::to_string() const {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 0xFF) + "." +
         std::to_string((addr >> 8) & 0xFF) + "." + std::to_string(addr & 0xFF) + ":" +
         std::to_string(port);
}

std::optional<capture> parse_pcap(swim::byte_view file, std::string* error) {
  const auto fail = [error](const char* why) -> std::optional<capture> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  if (file.size() < 24) return fail("shorter than a pcap file header");

  const std::uint32_t magic = le32(file.data());
  bool swapped = false;  // the file is big-endian
  bool nanos = false;
  switch (magic) {
    case 0xA1B2C3D4u: break;
    case 0xA1B23C4Du: nanos = true; break;
    case 0xD4C3B2A1u: swapped = true; break;
    case 0x4D3CB2A1u: swapped = true; nanos = true; break;
    default: return fail("not a classic pcap file (pcapng is not supported)");
  }
  const auto u32 = [swapped](const std::uint8_t* p) { return swapped ? be32(p) : le32(p); };

  capture cap;
  cap.link_type = u32(file.data() + 20) & 0x0FFFFFFFu;  // upper bits: FCS flags
  switch (cap.link_type) {
    case link_null: case link_ethernet: case link_raw_old: case link_raw:
    case link_sll: case link_ipv4: case link_sll2: break;
    default: return fail("unsupported link type");
  }

  reader r(cap);
  std::size_t pos = 24;
  while (file.size() - pos >= 16) {
    const std::uint8_t* rec = file.data() + pos;
    const std::uint64_t sec = u32(rec);
    const std::uint64_t frac = u32(rec + 4);
    const std::size_t incl = u32(rec + 8);
    if (incl > file.size() - pos - 16) break;  // truncated last record
    pos += 16;
    ++cap.frames;
    const std::uint8_t* p = rec + 16;
    const std::size_t n = incl;
    pos += incl;
    const std::uint64_t time_ns = sec * 1'000'000'000u + (nanos ? frac : frac * 1000u);

    switch (cap.link_type) {
      case link_null: {
        // The family is in the byte order of the capturing host; AF_INET is 2 everywhere.
        if (n < 4) { r.skip(); break; }
        const std::uint32_t family = le32(p) == 2 || be32(p) == 2 ? 2u : 0u;
        if (family != 2) { r.skip(); break; }
        r.ipv4(p + 4, n - 4, time_ns, cap.frames);
        break;
      }
      case link_ethernet: {
        if (n < 14) { r.skip(); break; }
        std::size_t off = 12;
        std::uint16_t type = be16(p + off);
        while ((type == 0x8100 || type == 0x88A8) && n >= off + 6) {  // VLAN tags
          off += 4;
          type = be16(p + off);
        }
        if (type != 0x0800) { r.skip(); break; }
        r.ipv4(p + off + 2, n - off - 2, time_ns, cap.frames);
        break;
      }
      case link_sll: {
        if (n < 16 || be16(p + 14) != 0x0800) { r.skip(); break; }
        r.ipv4(p + 16, n - 16, time_ns, cap.frames);
        break;
      }
      case link_sll2: {
        if (n < 20 || be16(p) != 0x0800) { r.skip(); break; }
        r.ipv4(p + 20, n - 20, time_ns, cap.frames);
        break;
      }
      default:  // raw IP: the version nibble tells v4 from v6
        r.ipv4(p, n, time_ns, cap.frames);
        break;
    }
  }
  r.finish();
  return cap;
}

std::optional<capture> read_pcap(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error != nullptr) *error = "cannot open " + path;
    return std::nullopt;
  }
  const swim::bytes file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_pcap(file, error);
}

namespace {

/// Just enough msgpack to read compress{Algo, Buf}: a map of str keys whose
/// values are a positive integer or a str/bin blob.
class mini_msgpack {
 public:
  explicit mini_msgpack(swim::byte_view in) : in_(in) {}

  std::optional<std::size_t> map_header() {
    const auto b = byte();
    if (!b) return std::nullopt;
    if ((*b & 0xF0) == 0x80) return *b & 0x0Fu;
    if (*b == 0xDE) return be(2);
    return std::nullopt;
  }

  /// A str (any width) or bin (any width) body.
  std::optional<swim::byte_view> blob() {
    const auto b = byte();
    if (!b) return std::nullopt;
    std::optional<std::uint64_t> n;
    if ((*b & 0xE0) == 0xA0) n = *b & 0x1Fu;
    else if (*b == 0xD9 || *b == 0xC4) n = be(1);
    else if (*b == 0xDA || *b == 0xC5) n = be(2);
    else if (*b == 0xDB || *b == 0xC6) n = be(4);
    if (!n || *n > in_.size() - pos_) return std::nullopt;
    const auto out = in_.subspan(pos_, static_cast<std::size_t>(*n));
    pos_ += static_cast<std::size_t>(*n);
    return out;
  }

  std::optional<std::uint64_t> uint() {
    const auto b = byte();
    if (!b) return std::nullopt;
    if (*b < 0x80) return *b;
    if (*b >= 0xCC && *b <= 0xCF) return be(std::size_t{1} << (*b - 0xCC));
    return std::nullopt;
  }

 private:
  std::optional<std::uint8_t> byte() {
    if (pos_ >= in_.size()) return std::nullopt;
    return in_[pos_++];
  }
  std::optional<std::uint64_t> be(std::size_t n) {
    if (n > in_.size() - pos_) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | in_[pos_++];
    return v;
  }

  swim::byte_view in_;
  std::size_t pos_ = 0;
};

/// Decode the body of a compress message (after its type byte).
std::optional<lzw_payload> read_compress(swim::byte_view body) {
  mini_msgpack m(body);
  const auto n = m.map_header();
  if (!n) return std::nullopt;
  lzw_payload out;
  bool have_buf = false;
  for (std::size_t i = 0; i < *n; ++i) {
    const auto key = m.blob();
    if (!key) return std::nullopt;
    const std::string_view k(reinterpret_cast<const char*>(key->data()), key->size());
    if (k == "Algo") {
      const auto v = m.uint();
      if (!v) return std::nullopt;
      out.algo = *v;
    } else if (k == "Buf") {
      const auto v = m.blob();
      if (!v) return std::nullopt;
      out.buf.assign(v->begin(), v->end());
      have_buf = true;
    } else {
      return std::nullopt;
    }
  }
  if (!have_buf) return std::nullopt;
  return out;
}

/// Look for compress messages in one message, recursing into compound parts.
void scan_message(swim::byte_view msg, std::size_t frame, std::vector<lzw_payload>& out, int depth) {
  if (msg.empty() || depth > 4) return;
  if (msg[0] == 9) {
    if (auto p = read_compress(msg.subspan(1))) {
      p->frame = frame;
      out.push_back(std::move(*p));
    }
  } else if (msg[0] == 7 && msg.size() >= 2) {
    const std::size_t parts = msg[1];
    std::size_t pos = 2 + 2 * parts;
    if (pos > msg.size()) return;
    for (std::size_t i = 0; i < parts; ++i) {
      const std::size_t len = be16(msg.data() + 2 + 2 * i);
      if (len > msg.size() - pos) return;
      scan_message(msg.subspan(pos, len), frame, out, depth + 1);
      pos += len;
    }
  }
}

}  // namespace

std::optional<lzw_payload> read_compress_message(swim::byte_view message) {
  if (message.empty() || message[0] != 9) return std::nullopt;
  return read_compress(message.subspan(1));
}

std::vector<lzw_payload> find_lzw_payloads(const capture& cap) {
  std::vector<lzw_payload> out;
  for (const auto& d : cap.udp) {
    swim::byte_view msg = d.payload;
    if (msg.size() >= 5 && msg[0] == 12) msg = msg.subspan(5);  // hasCrc header
    scan_message(msg, d.frame, out, 0);
  }
  for (const auto& s : cap.tcp) {
    for (const swim::bytes* dir : {&s.from_initiator, &s.from_responder}) {
      if (dir->empty() || (*dir)[0] != 9) continue;
      if (auto p = read_compress(swim::byte_view(*dir).subspan(1))) {
        p->frame = s.first_frame;
        p->tcp = true;
        out.push_back(std::move(*p));
      }
    }
  }
  return out;
}

std::string golden_path(std::string_view name) {
#ifdef CACHECLUSTER_GOLDEN_DIR
  return std::string(CACHECLUSTER_GOLDEN_DIR) + "/" + std::string(name);
#else
  return std::string("tests/golden/") + std::string(name);
#endif
}

}  // namespace test_support
