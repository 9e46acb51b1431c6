#include "swim/serf.hpp"

#include "swim/messages.hpp"
#include "swim/msgpack.hpp"

namespace swim::serf {

namespace {
// serf: messages.go messageLeave {LTime, Node, Prune} and messageJoin
// {LTime, Node}, in declaration order (the array form).
constexpr std::string_view intent_fields[] = {"LTime", "Node", "Prune"};
}  // namespace

bytes encode_intent(const intent& i) {
  // serf: messages.go encodeMessage: serfType byte, then the struct with
  // go-msgpack's sorted keys. A join intent has no Prune field.
  const bool leave = i.type == message_type::leave;
  bytes out{static_cast<std::uint8_t>(swim::message_type::user),
            static_cast<std::uint8_t>(leave ? message_type::leave : message_type::join)};
  msgpack::writer w(out);
  w.map_header(leave ? 3 : 2);
  w.str("LTime");
  w.uint(i.ltime);
  w.str("Node");
  w.str(i.node);
  if (leave) {
    w.str("Prune");
    w.boolean(i.prune);
  }
  return out;
}

std::optional<intent> decode_intent(byte_view user_payload) {
  if (user_payload.empty()) return std::nullopt;
  intent result;
  const auto type = static_cast<message_type>(user_payload[0]);
  if (type != message_type::leave && type != message_type::join) return std::nullopt;
  result.type = type;
  // A join has no Prune; Go would skip an unknown key, so it is skipped here too.
  const std::size_t field_count = type == message_type::leave ? 3 : 2;
  const std::span<const std::string_view> fields(intent_fields, field_count);
  msgpack::reader r(user_payload.subspan(1));
  const msgpack::status s = r.read_struct(fields, [&](std::size_t f) {
    switch (f) {
      case 0:
        return r.read_uint(result.ltime);
      case 1:
        return r.read_string(result.node);
      default:
        return r.read_bool(result.prune);
    }
  });
  if (s != msgpack::status::ok) return std::nullopt;
  return result;
}

}  // namespace swim::serf

// ---- events, queries, responses, relays, key payloads ----
//
// serf/messages.go, serf/keymanager.go and serf/internal_query.go at v0.9.4. go-msgpack
// writes a struct's fields sorted by name, so each encoder below writes its keys in that
// order; a nil Go slice is nil (c0), which writer::byte_slice gives for an empty one.

namespace swim::serf {

namespace {

using msgpack::status;

/// A reader over the body after the serfType byte, when that byte is `want`.
std::optional<byte_view> body_of(byte_view user_payload, message_type want) {
  if (user_payload.empty() || user_payload[0] != static_cast<std::uint8_t>(want))
    return std::nullopt;
  return user_payload.subspan(1);
}

bytes start(message_type t) { return bytes{static_cast<std::uint8_t>(t)}; }

/// True when the next value is nil (and then consumes it).
bool take_nil(msgpack::reader& r) {
  if (r.remaining() == 0 || r.rest()[0] != 0xc0) return false;
  return r.skip() == status::ok;
}

/// A Go []string: nil or an array of strings.
status read_strings(msgpack::reader& r, std::vector<std::string>& out) {
  out.clear();
  if (take_nil(r)) return status::ok;
  std::size_t n = 0;
  if (status s = r.read_array_header(n); s != status::ok) return s;
  for (std::size_t i = 0; i < n; ++i) {
    std::string v;
    if (status s = r.read_string(v); s != status::ok) return s;
    out.push_back(std::move(v));
  }
  return status::ok;
}

/// A Go [][]byte: nil or an array of byte strings.
status read_byte_slices(msgpack::reader& r, std::vector<bytes>& out) {
  out.clear();
  if (take_nil(r)) return status::ok;
  std::size_t n = 0;
  if (status s = r.read_array_header(n); s != status::ok) return s;
  for (std::size_t i = 0; i < n; ++i) {
    bytes v;
    if (status s = r.read_bytes(v); s != status::ok) return s;
    out.push_back(std::move(v));
  }
  return status::ok;
}

constexpr std::string_view user_event_fields[] = {"LTime", "Name", "Payload", "CC"};
constexpr std::string_view query_fields[] = {"LTime",      "ID",      "Addr",   "Port",
                                             "SourceNode", "Filters", "Flags",  "RelayFactor",
                                             "Timeout",    "Name",    "Payload"};
constexpr std::string_view query_response_fields[] = {"LTime", "ID", "From", "Flags", "Payload"};
constexpr std::string_view relay_header_fields[] = {"DestAddr", "DestName"};
constexpr std::string_view udp_addr_fields[] = {"IP", "Port", "Zone"};
constexpr std::string_view key_request_fields[] = {"Key"};
constexpr std::string_view key_response_fields[] = {"Result", "Message", "Keys", "PrimaryKey"};
constexpr std::string_view tag_filter_fields[] = {"Tag", "Expr"};

}  // namespace

std::optional<message_type> type_of(byte_view user_payload) {
  if (user_payload.empty()) return std::nullopt;
  return static_cast<message_type>(user_payload[0]);
}

bytes encode(const user_event& e) {
  bytes out = start(message_type::user_event);
  msgpack::writer w(out);
  w.map_header(4);
  w.str("CC");
  w.boolean(e.cc);
  w.str("LTime");
  w.uint(e.ltime);
  w.str("Name");
  w.str(e.name);
  w.str("Payload");
  w.byte_slice(e.payload);
  return out;
}

std::optional<user_event> decode_user_event(byte_view user_payload) {
  auto body = body_of(user_payload, message_type::user_event);
  if (!body) return std::nullopt;
  user_event e;
  msgpack::reader r(*body);
  const status s = r.read_struct(user_event_fields, [&](std::size_t f) {
    switch (f) {
      case 0:
        return r.read_uint(e.ltime);
      case 1:
        return r.read_string(e.name);
      case 2:
        return r.read_bytes(e.payload);
      default:
        return r.read_bool(e.cc);
    }
  });
  if (s != status::ok) return std::nullopt;
  return e;
}

bytes encode(const query& q) {
  bytes out = start(message_type::query);
  msgpack::writer w(out);
  w.map_header(11);
  w.str("Addr");
  w.byte_slice(q.addr);
  w.str("Filters");
  if (q.filters.empty()) {
    w.nil();
  } else {
    w.array_header(q.filters.size());
    for (const auto& f : q.filters) w.byte_slice(f);
  }
  w.str("Flags");
  w.uint(q.flags);
  w.str("ID");
  w.uint(q.id);
  w.str("LTime");
  w.uint(q.ltime);
  w.str("Name");
  w.str(q.name);
  w.str("Payload");
  w.byte_slice(q.payload);
  w.str("Port");
  w.uint(q.port);
  w.str("RelayFactor");
  w.uint(q.relay_factor);
  w.str("SourceNode");
  w.str(q.source_node);
  w.str("Timeout");
  w.sint(q.timeout_ns);
  return out;
}

std::optional<query> decode_query(byte_view user_payload) {
  auto body = body_of(user_payload, message_type::query);
  if (!body) return std::nullopt;
  query q;
  msgpack::reader r(*body);
  const status s = r.read_struct(query_fields, [&](std::size_t f) {
    switch (f) {
      case 0:
        return r.read_uint(q.ltime);
      case 1:
        return r.read_uint(q.id);
      case 2:
        return r.read_bytes(q.addr);
      case 3:
        return r.read_uint(q.port);
      case 4:
        return r.read_string(q.source_node);
      case 5:
        return read_byte_slices(r, q.filters);
      case 6:
        return r.read_uint(q.flags);
      case 7:
        return r.read_uint(q.relay_factor);
      case 8:
        return r.read_int64(q.timeout_ns);
      case 9:
        return r.read_string(q.name);
      default:
        return r.read_bytes(q.payload);
    }
  });
  if (s != status::ok) return std::nullopt;
  return q;
}

bytes encode(const query_response& resp) {
  bytes out = start(message_type::query_response);
  msgpack::writer w(out);
  w.map_header(5);
  w.str("Flags");
  w.uint(resp.flags);
  w.str("From");
  w.str(resp.from);
  w.str("ID");
  w.uint(resp.id);
  w.str("LTime");
  w.uint(resp.ltime);
  w.str("Payload");
  w.byte_slice(resp.payload);
  return out;
}

std::optional<query_response> decode_query_response(byte_view user_payload) {
  auto body = body_of(user_payload, message_type::query_response);
  if (!body) return std::nullopt;
  query_response resp;
  msgpack::reader r(*body);
  const status s = r.read_struct(query_response_fields, [&](std::size_t f) {
    switch (f) {
      case 0:
        return r.read_uint(resp.ltime);
      case 1:
        return r.read_uint(resp.id);
      case 2:
        return r.read_string(resp.from);
      case 3:
        return r.read_uint(resp.flags);
      default:
        return r.read_bytes(resp.payload);
    }
  });
  if (s != status::ok) return std::nullopt;
  return resp;
}

bytes encode_relay(const relay_header& h, byte_view inner) {
  // messages.go encodeRelayMessage: relayHeader{DestAddr net.UDPAddr{IP, Port, Zone},
  // DestName}, then the inner message's type byte and body.
  bytes out = start(message_type::relay);
  msgpack::writer w(out);
  w.map_header(2);
  w.str("DestAddr");
  w.map_header(3);
  w.str("IP");
  w.byte_slice(h.dest_ip);
  w.str("Port");
  w.sint(h.dest_port);
  w.str("Zone");
  w.str(h.dest_zone);
  w.str("DestName");
  w.str(h.dest_name);
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

std::optional<relay> decode_relay(byte_view user_payload) {
  auto body = body_of(user_payload, message_type::relay);
  if (!body) return std::nullopt;
  relay out;
  msgpack::reader r(*body);
  const status s = r.read_struct(relay_header_fields, [&](std::size_t f) {
    if (f == 1) return r.read_string(out.header.dest_name);
    return r.read_struct(udp_addr_fields, [&](std::size_t g) {
      switch (g) {
        case 0:
          return r.read_bytes(out.header.dest_ip);
        case 1:
          return r.read_int64(out.header.dest_port);
        default:
          return r.read_string(out.header.dest_zone);
      }
    });
  });
  if (s != status::ok || r.remaining() == 0) return std::nullopt;
  const byte_view rest = r.rest();
  out.inner.assign(rest.begin(), rest.end());
  return out;
}

bytes encode(const key_request& k) {
  bytes out = start(message_type::key_request);
  msgpack::writer w(out);
  w.map_header(1);
  w.str("Key");
  w.byte_slice(k.key);
  return out;
}

std::optional<key_request> decode_key_request(byte_view query_payload) {
  // internal_query.go decodes q.Payload[1:] without looking at the type byte.
  if (query_payload.empty()) return std::nullopt;
  key_request k;
  msgpack::reader r(query_payload.subspan(1));
  const status s =
      r.read_struct(key_request_fields, [&](std::size_t) { return r.read_bytes(k.key); });
  if (s != status::ok) return std::nullopt;
  return k;
}

bytes encode(const key_response& k) {
  bytes out = start(message_type::key_response);
  msgpack::writer w(out);
  w.map_header(4);
  w.str("Keys");
  if (k.keys.empty()) {
    w.nil();
  } else {
    w.array_header(k.keys.size());
    for (const auto& key : k.keys) w.str(key);
  }
  w.str("Message");
  w.str(k.message);
  w.str("PrimaryKey");
  w.str(k.primary_key);
  w.str("Result");
  w.boolean(k.result);
  return out;
}

std::optional<key_response> decode_key_response(byte_view response_payload) {
  auto body = body_of(response_payload, message_type::key_response);
  if (!body) return std::nullopt;
  key_response k;
  msgpack::reader r(*body);
  const status s = r.read_struct(key_response_fields, [&](std::size_t f) {
    switch (f) {
      case 0:
        return r.read_bool(k.result);
      case 1:
        return r.read_string(k.message);
      case 2:
        return read_strings(r, k.keys);
      default:
        return r.read_string(k.primary_key);
    }
  });
  if (s != status::ok) return std::nullopt;
  return k;
}

std::optional<push_pull_clocks> decode_push_pull_clocks(byte_view user_state) {
  static constexpr std::string_view fields[] = {"LTime",      "StatusLTimes", "LeftMembers",
                                                "EventLTime", "Events",       "QueryLTime"};
  auto body = body_of(user_state, message_type::push_pull);
  if (!body) return std::nullopt;
  push_pull_clocks c;
  msgpack::reader r(*body);
  const status s = r.read_struct(fields, [&](std::size_t f) {
    switch (f) {
      case 0:
        return r.read_uint(c.ltime);
      case 3:
        return r.read_uint(c.event_ltime);
      case 5:
        return r.read_uint(c.query_ltime);
      default:
        return r.skip();
    }
  });
  if (s != status::ok) return std::nullopt;
  return c;
}

bytes encode(const filter& f) {
  bytes out;
  msgpack::writer w(out);
  if (const auto* n = std::get_if<node_filter>(&f)) {
    out.push_back(0);  // filterNodeType: filterNode, a []string
    if (n->nodes.empty()) {
      w.nil();
    } else {
      w.array_header(n->nodes.size());
      for (const auto& name : n->nodes) w.str(name);
    }
  } else {
    const auto& t = std::get<tag_filter>(f);
    out.push_back(1);  // filterTagType: filterTag{Tag, Expr}
    w.map_header(2);
    w.str("Expr");
    w.str(t.expr);
    w.str("Tag");
    w.str(t.tag);
  }
  return out;
}

std::optional<filter> decode_filter(byte_view f) {
  if (f.empty()) return std::nullopt;
  msgpack::reader r(f.subspan(1));
  if (f[0] == 0) {
    node_filter n;
    if (read_strings(r, n.nodes) != status::ok) return std::nullopt;
    return filter(std::move(n));
  }
  if (f[0] == 1) {
    tag_filter t;
    const status s = r.read_struct(tag_filter_fields, [&](std::size_t g) {
      return g == 0 ? r.read_string(t.tag) : r.read_string(t.expr);
    });
    if (s != status::ok) return std::nullopt;
    return filter(std::move(t));
  }
  return std::nullopt;
}

}  // namespace swim::serf
