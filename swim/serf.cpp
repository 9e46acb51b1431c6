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
