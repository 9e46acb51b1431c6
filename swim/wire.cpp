#include "swim/wire.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "swim/crc32.hpp"
#include "swim/lzw.hpp"
#include "swim/msgpack.hpp"

namespace swim::wire {

namespace {

using msgpack::reader;
using msgpack::status;
using msgpack::writer;

error to_error(status s) {
  switch (s) {
    case status::ok:
      return error::ok;
    case status::truncated:
      return error::truncated;
    case status::bad:
      return error::bad_msgpack;
    case status::out_of_range:
      return error::bad_field;  // Go: overflow / negative into unsigned
    case status::too_deep:
      return error::too_deep;
  }
  return error::bad_msgpack;
}

bytes start(message_type t) { return bytes{static_cast<std::uint8_t>(t)}; }

// An IP on the wire is 4 bytes, or 16 (IPv4-mapped when Go binds 0.0.0.0).
bool is_ip(byte_view b) { return b.size() == 4 || b.size() == 16; }
bool is_ip_or_empty(byte_view b) { return b.empty() || is_ip(b); }

// ---- struct field tables, in Go declaration order (for the array form) -------
// memberlist: net.go ping, indirectPingReq, ackResp, nackResp, suspect, alive,
// dead, pushPullHeader, pushNodeState, userMsgHeader, compress, errResp.

constexpr std::string_view ping_fields[] = {"SeqNo", "Node", "SourceAddr", "SourcePort",
                                            "SourceNode"};
constexpr std::string_view indirect_fields[] = {"SeqNo", "Target",     "Port",       "Node",
                                                "Nack",  "SourceAddr", "SourcePort", "SourceNode"};
constexpr std::string_view ack_fields[] = {"SeqNo", "Payload"};
constexpr std::string_view nack_fields[] = {"SeqNo"};
constexpr std::string_view accusation_fields[] = {"Incarnation", "Node", "From"};
constexpr std::string_view alive_fields[] = {"Incarnation", "Node", "Addr", "Port", "Meta", "Vsn"};
constexpr std::string_view header_fields[] = {"Nodes", "UserStateLen", "Join"};
constexpr std::string_view node_state_fields[] = {"Name",        "Addr",  "Port", "Meta",
                                                  "Incarnation", "State", "Vsn"};
constexpr std::string_view user_header_fields[] = {"UserMsgLen"};
constexpr std::string_view compress_fields[] = {"Algo", "Buf"};
constexpr std::string_view err_fields[] = {"Error"};

// ---- decoding bodies ---------------------------------------------------------

status read_body(reader& r, ping& m) {
  return r.read_struct(ping_fields, [&](std::size_t i) {
    switch (i) {
      case 0:
        return r.read_uint(m.seq_no);
      case 1:
        return r.read_string(m.node);
      case 2:
        return r.read_bytes(m.source_addr);
      case 3:
        return r.read_uint(m.source_port);
      default:
        return r.read_string(m.source_node);
    }
  });
}

status read_body(reader& r, indirect_ping_req& m) {
  return r.read_struct(indirect_fields, [&](std::size_t i) {
    switch (i) {
      case 0:
        return r.read_uint(m.seq_no);
      case 1:
        return r.read_bytes(m.target);
      case 2:
        return r.read_uint(m.port);
      case 3:
        return r.read_string(m.node);
      case 4:
        return r.read_bool(m.nack);
      case 5:
        return r.read_bytes(m.source_addr);
      case 6:
        return r.read_uint(m.source_port);
      default:
        return r.read_string(m.source_node);
    }
  });
}

status read_body(reader& r, ack_resp& m) {
  return r.read_struct(ack_fields, [&](std::size_t i) {
    return i == 0 ? r.read_uint(m.seq_no) : r.read_bytes(m.payload);
  });
}

status read_body(reader& r, nack_resp& m) {
  return r.read_struct(nack_fields, [&](std::size_t) { return r.read_uint(m.seq_no); });
}

template <class T>
status read_accusation(reader& r, T& m) {
  return r.read_struct(accusation_fields, [&](std::size_t i) {
    switch (i) {
      case 0:
        return r.read_uint(m.incarnation);
      case 1:
        return r.read_string(m.node);
      default:
        return r.read_string(m.from);
    }
  });
}
status read_body(reader& r, suspect& m) { return read_accusation(r, m); }
status read_body(reader& r, dead& m) { return read_accusation(r, m); }

status read_body(reader& r, alive& m) {
  return r.read_struct(alive_fields, [&](std::size_t i) {
    switch (i) {
      case 0:
        return r.read_uint(m.incarnation);
      case 1:
        return r.read_string(m.node);
      case 2:
        return r.read_bytes(m.addr);
      case 3:
        return r.read_uint(m.port);
      case 4:
        return r.read_bytes(m.meta);
      default:
        return r.read_bytes(m.vsn);
    }
  });
}

status read_body(reader& r, push_pull_header& m) {
  return r.read_struct(header_fields, [&](std::size_t i) {
    switch (i) {
      case 0:
        return r.read_int64(m.nodes);
      case 1:
        return r.read_int64(m.user_state_len);
      default:
        return r.read_bool(m.join);
    }
  });
}

status read_body(reader& r, push_node_state& m) {
  return r.read_struct(node_state_fields, [&](std::size_t i) {
    switch (i) {
      case 0:
        return r.read_string(m.name);
      case 1:
        return r.read_bytes(m.addr);
      case 2:
        return r.read_uint(m.port);
      case 3:
        return r.read_bytes(m.meta);
      case 4:
        return r.read_uint(m.incarnation);
      case 5: {
        // memberlist nodeStateType is an int; only 0..3 mean anything.
        std::int64_t v = 0;
        status s = r.read_int64(v);
        if (s != status::ok) return s;
        if (v < 0 || v > 3) return status::out_of_range;
        m.state = static_cast<member_state>(v);
        return status::ok;
      }
      default:
        return r.read_bytes(m.vsn);
    }
  });
}

status read_body(reader& r, err_resp& m) {
  return r.read_struct(err_fields, [&](std::size_t) { return r.read_string(m.error); });
}

struct compress_body {
  std::uint8_t algo = 0;
  bytes buf;
};

status read_body(reader& r, compress_body& m) {
  return r.read_struct(compress_fields, [&](std::size_t i) {
    return i == 0 ? r.read_uint(m.algo) : r.read_bytes(m.buf);
  });
}

struct user_header {
  std::int64_t user_msg_len = 0;
};

status read_body(reader& r, user_header& m) {
  return r.read_struct(user_header_fields,
                       [&](std::size_t) { return r.read_int64(m.user_msg_len); });
}

// ---- field checks after decoding (what the node cannot use) ------------------

error validate(const ping& m) {
  return is_ip_or_empty(m.source_addr) ? error::ok : error::bad_field;
}
error validate(const indirect_ping_req& m) {
  return is_ip(m.target) && is_ip_or_empty(m.source_addr) ? error::ok : error::bad_field;
}
error validate(const alive& m) { return is_ip(m.addr) ? error::ok : error::bad_field; }
error validate(const push_node_state& m) { return is_ip(m.addr) ? error::ok : error::bad_field; }
template <class T>
error validate(const T&) {
  return error::ok;
}

// Decode a single message body. Like Go's decode(), bytes after the msgpack
// object are ignored.
template <class T>
error decode_body(byte_view body, T& m) {
  reader r(body);
  if (status s = read_body(r, m); s != status::ok) return to_error(s);
  return validate(m);
}

// ---- encoding helpers ---------------------------------------------------------

void write_accusation(writer& w, std::uint32_t incarnation, const std::string& node,
                      const std::string& from) {
  w.map_header(3);
  w.str("From");
  w.str(from);
  w.str("Incarnation");
  w.uint(incarnation);
  w.str("Node");
  w.str(node);
}

// The optional source triple shared by ping and indirectPingReq (omitempty).
std::size_t source_count(const bytes& addr, const std::string& node, std::uint16_t port) {
  return (addr.empty() ? 0u : 1u) + (node.empty() ? 0u : 1u) + (port == 0 ? 0u : 1u);
}

void write_source(writer& w, const bytes& addr, const std::string& node, std::uint16_t port) {
  if (!addr.empty()) {
    w.str("SourceAddr");
    w.raw(addr);
  }
  if (!node.empty()) {
    w.str("SourceNode");
    w.str(node);
  }
  if (port != 0) {
    w.str("SourcePort");
    w.uint(port);
  }
}

void write_node_state(writer& w, const push_node_state& s) {
  w.map_header(7);
  w.str("Addr");
  w.byte_slice(s.addr);
  w.str("Incarnation");
  w.uint(s.incarnation);
  w.str("Meta");
  w.byte_slice(s.meta);
  w.str("Name");
  w.str(s.name);
  w.str("Port");
  w.uint(s.port);
  w.str("State");
  w.uint(static_cast<std::uint8_t>(s.state));
  w.str("Vsn");
  w.byte_slice(s.vsn);
}

// ---- UDP unpacking --------------------------------------------------------------

class unpacker {
 public:
  unpacker(const limits& lim, unpacked& out) : lim_(lim), out_(out) {}

  // memberlist: net.go handleCommand, applied recursively to compound parts
  // and inflated payloads.
  void handle(byte_view buf, std::size_t depth) {
    if (buf.empty()) {
      fail(error::empty);  // Go: "missing message type byte"
      return;
    }
    const byte_view body = buf.subspan(1);
    switch (static_cast<message_type>(buf[0])) {
      case message_type::ping:
        decode_into<ping>(body);
        break;
      case message_type::indirect_ping:
        decode_into<indirect_ping_req>(body);
        break;
      case message_type::ack:
        decode_into<ack_resp>(body);
        break;
      case message_type::nack:
        decode_into<nack_resp>(body);
        break;
      case message_type::suspect:
        decode_into<suspect>(body);
        break;
      case message_type::alive:
        decode_into<alive>(body);
        break;
      case message_type::dead:
        decode_into<dead>(body);
        break;
      case message_type::user:
        // UDP user messages carry the raw payload, no header.
        out_.messages.emplace_back(user_msg{bytes(body.begin(), body.end())});
        break;
      case message_type::compound:
        if (depth >= lim_.max_depth) {
          fail(error::too_deep);
        } else {
          handle_compound(body, depth + 1);
        }
        break;
      case message_type::compress:
        if (depth >= lim_.max_depth) {
          fail(error::too_deep);
        } else {
          handle_compress(body, depth + 1);
        }
        break;
      default:
        // push-pull and err are stream-only; hasCrc and labels only count at
        // the outermost layer; an encrypted datagram has no type byte at all.
        fail(error::unknown_type);
        break;
    }
  }

 private:
  void fail(error e) { out_.errors.push_back(e); }

  template <class T>
  void decode_into(byte_view body) {
    T m;
    if (error e = decode_body(body, m); e != error::ok) {
      fail(e);
      return;
    }
    out_.messages.emplace_back(std::move(m));
  }

  // memberlist: util.go decodeCompoundMessage. Parts that run past the end are
  // dropped (one `truncated` each); the ones before them still count.
  void handle_compound(byte_view buf, std::size_t depth) {
    if (buf.empty()) {
      fail(error::truncated);  // "missing compound length byte"
      return;
    }
    const std::size_t n = buf[0];
    buf = buf.subspan(1);
    if (buf.size() < 2 * n) {
      fail(error::truncated);  // "truncated len slice"
      return;
    }
    const byte_view lengths = buf.first(2 * n);
    buf = buf.subspan(2 * n);
    // Slice all parts first, as Go does, then handle them.
    std::size_t offset = 0;
    std::size_t complete = 0;
    for (; complete < n; ++complete) {
      const std::size_t len =
          static_cast<std::size_t>(lengths[2 * complete]) << 8 | lengths[2 * complete + 1];
      if (buf.size() - offset < len) break;
      offset += len;
    }
    offset = 0;
    for (std::size_t i = 0; i < complete; ++i) {
      const std::size_t len = static_cast<std::size_t>(lengths[2 * i]) << 8 | lengths[2 * i + 1];
      handle(buf.subspan(offset, len), depth);
      offset += len;
    }
    for (std::size_t i = complete; i < n; ++i) fail(error::truncated);
  }

  // memberlist: net.go handleCompressed / util.go decompressPayload.
  void handle_compress(byte_view body, std::size_t depth) {
    compress_body c;
    if (error e = decode_body(body, c); e != error::ok) {
      fail(e);
      return;
    }
    if (c.algo != 0) {
      fail(error::bad_compress);  // only lzwAlgo exists
      return;
    }
    // One budget for the whole datagram: each payload gets at most what the ones before it
    // left, so a compound of many small bombs inflates no more than one big one.
    const std::size_t left = lim_.max_inflated_total - std::min(inflated_, lim_.max_inflated_total);
    if (left == 0) {
      fail(error::too_large);
      return;
    }
    std::optional<bytes> inflated = lzw::decompress(c.buf, std::min(lim_.max_inflated, left));
    if (!inflated) {
      fail(error::bad_compress);
      return;
    }
    inflated_ += inflated->size();
    handle(*inflated, depth);
  }

  const limits& lim_;
  unpacked& out_;
  std::size_t inflated_ = 0;  // bytes inflated so far in this datagram
};

// ---- stream parsing --------------------------------------------------------------

stream_result bad(error e) {
  stream_result r;
  r.status = parse_status::bad;
  r.err = e;
  return r;
}

// A msgpack failure while reading a stream prefix. `truncated` normally means
// "read more", unless the input already reaches the frame size limit: then
// the frame can only be too large.
stream_result stream_failure(status s, std::size_t available, const limits& lim) {
  if (s == status::truncated) {
    if (available >= lim.max_stream_frame) return bad(error::too_large);
    return stream_result{};  // indeterminate
  }
  return bad(to_error(s));
}

// The part of `data` a frame may occupy (at least the type byte, so a zero
// limit still yields a decision instead of an empty view).
byte_view clip(byte_view data, const limits& lim) {
  return data.first(std::min(data.size(), std::max<std::size_t>(1, lim.max_stream_frame)));
}

stream_result good(stream_message m, std::size_t consumed) {
  stream_result r;
  r.status = parse_status::good;
  r.consumed = consumed;
  r.message = std::move(m);
  return r;
}

template <class T>
stream_result parse_simple(reader& r, std::size_t available, const limits& lim) {
  T m;
  if (status s = read_body(r, m); s != status::ok) return stream_failure(s, available, lim);
  if (error e = validate(m); e != error::ok) return bad(e);
  return good(std::move(m), 1 + r.position());
}

// Raw bytes of `len` after a msgpack header that ended at `start` in `data`.
// Returns nullopt and sets `res` when they are not (all) there.
std::optional<bytes> take_raw(byte_view data, std::size_t start, std::int64_t len,
                              const limits& lim, stream_result& res) {
  if (len < 0) {
    res = bad(error::bad_field);
    return std::nullopt;
  }
  const auto n = static_cast<std::uint64_t>(len);
  if (n > lim.max_stream_frame || start + n > lim.max_stream_frame) {
    res = bad(error::too_large);
    return std::nullopt;
  }
  if (data.size() - start < n) {
    res = stream_result{};  // indeterminate
    return std::nullopt;
  }
  const auto first = data.begin() + static_cast<std::ptrdiff_t>(start);
  return bytes(first, first + static_cast<std::ptrdiff_t>(n));
}

// One plain frame: type | msgpack [| raw bytes]. memberlist: net.go handleConn,
// readRemoteState, readUserMsg.
stream_result parse_plain(byte_view data, const limits& lim) {
  if (data.empty()) return stream_result{};
  const std::size_t available = data.size();
  // Never look past the frame limit: whatever needs more is too large.
  const byte_view view = clip(data, lim);
  reader r(view.subspan(1));
  switch (static_cast<message_type>(data[0])) {
    case message_type::ping:
      return parse_simple<ping>(r, available, lim);
    case message_type::ack:
      return parse_simple<ack_resp>(r, available, lim);
    case message_type::err:
      return parse_simple<err_resp>(r, available, lim);
    case message_type::user: {
      user_header h;
      if (status s = read_body(r, h); s != status::ok) return stream_failure(s, available, lim);
      stream_result res;
      std::optional<bytes> payload = take_raw(view, 1 + r.position(), h.user_msg_len, lim, res);
      if (!payload) return res;
      const std::size_t consumed = 1 + r.position() + payload->size();
      return good(user_msg{std::move(*payload)}, consumed);
    }
    case message_type::push_pull: {
      push_pull_header h;
      if (status s = read_body(r, h); s != status::ok) return stream_failure(s, available, lim);
      if (h.nodes < 0 || h.user_state_len < 0) return bad(error::bad_field);
      if (static_cast<std::uint64_t>(h.nodes) > lim.max_push_nodes) return bad(error::too_large);
      if (static_cast<std::uint64_t>(h.user_state_len) > lim.max_stream_frame) {
        return bad(error::too_large);
      }
      push_pull pp;
      pp.join = h.join;
      // No reserve(): `Nodes` is only a claim; the input bounds the loop.
      for (std::int64_t i = 0; i < h.nodes; ++i) {
        push_node_state st;
        if (status s = read_body(r, st); s != status::ok) return stream_failure(s, available, lim);
        if (error e = validate(st); e != error::ok) return bad(e);
        pp.states.push_back(std::move(st));
      }
      stream_result res;
      std::optional<bytes> user = take_raw(view, 1 + r.position(), h.user_state_len, lim, res);
      if (!user) return res;
      const std::size_t consumed = 1 + r.position() + user->size();
      pp.user_state = std::move(*user);
      return good(std::move(pp), consumed);
    }
    default:
      return bad(error::unknown_type);
  }
}

}  // namespace

// ---- public: names ------------------------------------------------------------

std::string_view to_string(error e) {
  switch (e) {
    case error::ok:
      return "ok";
    case error::empty:
      return "empty";
    case error::truncated:
      return "truncated";
    case error::bad_msgpack:
      return "bad_msgpack";
    case error::bad_field:
      return "bad_field";
    case error::unknown_type:
      return "unknown_type";
    case error::bad_crc:
      return "bad_crc";
    case error::bad_compress:
      return "bad_compress";
    case error::too_deep:
      return "too_deep";
    case error::too_large:
      return "too_large";
    case error::bad_label:
      return "bad_label";
    case error::encrypted:
      return "encrypted";
    case error::decrypt_failed:
      return "decrypt_failed";
    case error::not_encrypted:
      return "not_encrypted";
    case error::count_:
      break;
  }
  return "unknown";
}

// ---- public: single messages (keys in Go's sorted order) ----------------------

bytes encode(const ping& m) {
  bytes out = start(message_type::ping);
  writer w(out);
  w.map_header(2 + source_count(m.source_addr, m.source_node, m.source_port));
  w.str("Node");
  w.str(m.node);
  w.str("SeqNo");
  w.uint(m.seq_no);
  write_source(w, m.source_addr, m.source_node, m.source_port);
  return out;
}

bytes encode(const indirect_ping_req& m) {
  bytes out = start(message_type::indirect_ping);
  writer w(out);
  w.map_header(5 + source_count(m.source_addr, m.source_node, m.source_port));
  w.str("Nack");
  w.boolean(m.nack);
  w.str("Node");
  w.str(m.node);
  w.str("Port");
  w.uint(m.port);
  w.str("SeqNo");
  w.uint(m.seq_no);
  write_source(w, m.source_addr, m.source_node, m.source_port);
  w.str("Target");
  w.byte_slice(m.target);
  return out;
}

bytes encode(const ack_resp& m) {
  bytes out = start(message_type::ack);
  writer w(out);
  w.map_header(2);
  w.str("Payload");
  w.byte_slice(m.payload);
  w.str("SeqNo");
  w.uint(m.seq_no);
  return out;
}

bytes encode(const nack_resp& m) {
  bytes out = start(message_type::nack);
  writer w(out);
  w.map_header(1);
  w.str("SeqNo");
  w.uint(m.seq_no);
  return out;
}

bytes encode(const suspect& m) {
  bytes out = start(message_type::suspect);
  writer w(out);
  write_accusation(w, m.incarnation, m.node, m.from);
  return out;
}

bytes encode(const dead& m) {
  bytes out = start(message_type::dead);
  writer w(out);
  write_accusation(w, m.incarnation, m.node, m.from);
  return out;
}

bytes encode(const alive& m) {
  bytes out = start(message_type::alive);
  writer w(out);
  w.map_header(6);
  w.str("Addr");
  w.byte_slice(m.addr);
  w.str("Incarnation");
  w.uint(m.incarnation);
  w.str("Meta");
  w.byte_slice(m.meta);
  w.str("Node");
  w.str(m.node);
  w.str("Port");
  w.uint(m.port);
  w.str("Vsn");
  w.byte_slice(m.vsn);
  return out;
}

bytes encode(const err_resp& m) {
  bytes out = start(message_type::err);
  writer w(out);
  w.map_header(1);
  w.str("Error");
  w.str(m.error);
  return out;
}

bytes encode(const user_msg& m) {
  bytes out = start(message_type::user);
  out.insert(out.end(), m.payload.begin(), m.payload.end());
  return out;
}

// ---- public: framing ------------------------------------------------------------

bytes make_compound(const std::vector<bytes>& parts) {
  // memberlist: util.go makeCompoundMessage.
  bytes out = start(message_type::compound);
  out.push_back(static_cast<std::uint8_t>(parts.size()));
  std::size_t total = 0;
  for (const bytes& p : parts) {
    out.push_back(static_cast<std::uint8_t>(p.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(p.size()));
    total += p.size();
  }
  out.reserve(out.size() + total);
  for (const bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bytes add_crc(byte_view message) {
  // memberlist: net.go rawSendMsgPacket; CRC over the message, big-endian.
  const std::uint32_t crc = crc32_ieee(message);
  bytes out = start(message_type::has_crc);
  out.reserve(5 + message.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(crc >> shift));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

bytes compress(byte_view message) {
  // memberlist: util.go compressPayload: compress{Algo: lzwAlgo, Buf}.
  const bytes lzw_bytes = lzw::compress(message);
  bytes out = start(message_type::compress);
  writer w(out);
  w.map_header(2);
  w.str("Algo");
  w.uint(0);
  w.str("Buf");
  w.raw(lzw_bytes);
  return out;
}

// ---- public: UDP -----------------------------------------------------------------

unpacked unpack_packet(byte_view datagram, const limits& lim) {
  unpacked out;
  if (datagram.empty()) {
    out.errors.push_back(error::empty);
    return out;
  }
  // memberlist >= 0.3.0: 0xF4 | len (>= 1) | label, in front of everything.
  if (datagram[0] == static_cast<std::uint8_t>(message_type::has_label)) {
    if (datagram.size() < 2 || datagram[1] == 0 || datagram.size() < 2u + datagram[1]) {
      out.errors.push_back(error::bad_label);
      return out;
    }
    datagram = datagram.subspan(2u + datagram[1]);
    out.had_label = true;
    if (datagram.empty()) {
      out.errors.push_back(error::empty);
      return out;
    }
  }
  // memberlist: net.go ingestPacket. The CRC is checked only here, at the top.
  if (datagram[0] == static_cast<std::uint8_t>(message_type::has_crc)) {
    if (datagram.size() < 5) {
      out.errors.push_back(error::truncated);
      return out;
    }
    const std::uint32_t expected = static_cast<std::uint32_t>(datagram[1]) << 24 |
                                   static_cast<std::uint32_t>(datagram[2]) << 16 |
                                   static_cast<std::uint32_t>(datagram[3]) << 8 | datagram[4];
    datagram = datagram.subspan(5);
    if (crc32_ieee(datagram) != expected) {
      out.errors.push_back(error::bad_crc);
      return out;
    }
    out.had_crc = true;
  }
  unpacker(lim, out).handle(datagram, 0);
  return out;
}

// ---- public: TCP streams ----------------------------------------------------------

stream_result parse_stream(byte_view data, const limits& lim) {
  if (data.empty()) return stream_result{};
  const auto type = static_cast<message_type>(data[0]);
  if (type == message_type::encrypt) return bad(error::encrypted);
  if (type != message_type::compress) return parse_plain(data, lim);

  // memberlist: net.go readStream. One compress layer whose Buf inflates to a
  // plain frame; the compress map itself delimits the frame.
  const std::size_t available = data.size();
  const byte_view view = clip(data, lim);
  reader r(view.subspan(1));
  compress_body c;
  if (status s = read_body(r, c); s != status::ok) return stream_failure(s, available, lim);
  if (c.algo != 0) return bad(error::bad_compress);
  // The inflated frame is the whole request, so the frame limit applies.
  std::optional<bytes> inflated = lzw::decompress(c.buf, lim.max_stream_frame);
  if (!inflated) return bad(error::bad_compress);
  if (inflated->empty()) return bad(error::empty);
  const auto inner = static_cast<message_type>((*inflated)[0]);
  if (inner == message_type::compress || inner == message_type::encrypt) {
    return bad(error::unknown_type);
  }
  stream_result res = parse_plain(*inflated, lim);
  if (res.status == parse_status::indeterminate) return bad(error::truncated);
  if (res.status == parse_status::good) res.consumed = 1 + r.position();
  return res;
}

stream_result stream_parser::parse(byte_view data) {
  if (data.empty()) return stream_result{};
  if (static_cast<message_type>(data[0]) != message_type::push_pull) {
    return parse_stream(data, lim_);  // sized by a header: cheap until complete
  }
  // parse_plain's push-pull case, resumable: the same reads on the same bytes, each done once
  // (a node state cut short by the end of `data` is read again, from its start, next time).
  const std::size_t available = data.size();
  const byte_view view = clip(data, lim_);
  if (!started_) {
    reader r(view.subspan(1));
    push_pull_header h;
    const status s = read_body(r, h);
    work_ += r.position();
    if (s != status::ok) return stream_failure(s, available, lim_);
    if (h.nodes < 0 || h.user_state_len < 0) return bad(error::bad_field);
    if (static_cast<std::uint64_t>(h.nodes) > lim_.max_push_nodes) return bad(error::too_large);
    if (static_cast<std::uint64_t>(h.user_state_len) > lim_.max_stream_frame) {
      return bad(error::too_large);
    }
    started_ = true;
    nodes_ = h.nodes;
    user_state_len_ = h.user_state_len;
    pp_.join = h.join;
    pos_ = 1 + r.position();
  }
  while (static_cast<std::int64_t>(pp_.states.size()) < nodes_) {
    reader r(view.subspan(pos_));
    push_node_state st;
    const status s = read_body(r, st);
    work_ += r.position();
    if (s != status::ok) return stream_failure(s, available, lim_);
    if (error e = validate(st); e != error::ok) return bad(e);
    pp_.states.push_back(std::move(st));
    pos_ += r.position();
  }
  stream_result res;
  std::optional<bytes> user = take_raw(view, pos_, user_state_len_, lim_, res);
  if (!user) return res;
  const std::size_t consumed = pos_ + user->size();
  pp_.user_state = std::move(*user);
  return good(std::move(pp_), consumed);
}

bytes encode(const push_pull& m) {
  // memberlist: net.go sendLocalState.
  bytes out = start(message_type::push_pull);
  writer w(out);
  w.map_header(3);
  w.str("Join");
  w.boolean(m.join);
  w.str("Nodes");
  w.uint(m.states.size());
  w.str("UserStateLen");
  w.uint(m.user_state.size());
  for (const push_node_state& s : m.states) write_node_state(w, s);
  out.insert(out.end(), m.user_state.begin(), m.user_state.end());
  return out;
}

bytes encode_user_stream(byte_view payload) {
  // memberlist: net.go rawSendMsgStream with a userMsgHeader.
  bytes out = start(message_type::user);
  writer w(out);
  w.map_header(1);
  w.str("UserMsgLen");
  w.uint(payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace swim::wire
