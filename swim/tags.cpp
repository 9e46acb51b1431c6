#include "swim/tags.hpp"

#include "swim/msgpack.hpp"

namespace swim {

namespace {
// serf: serf.go tagMagicByte, the marker of msgpack-encoded tags.
constexpr std::uint8_t tag_magic = 0xff;
}  // namespace

bytes encode_tags(const tag_map& tags) {
  // serf: serf.go encodeTags (protocol >= 3).
  bytes out{tag_magic};
  msgpack::writer w(out);
  w.map_header(tags.size());
  for (const auto& [key, value] : tags) {
    w.str(key);
    w.str(value);
  }
  return out;
}

std::optional<tag_map> decode_tags(byte_view meta) {
  // serf: serf.go decodeTags. Anything without the magic byte is the legacy
  // form, where the whole meta is the role.
  if (meta.empty() || meta[0] != tag_magic) {
    return tag_map{{"role", std::string(meta.begin(), meta.end())}};
  }
  msgpack::reader r(meta.subspan(1));
  std::size_t n = 0;
  if (r.read_map_header(n) != msgpack::status::ok) return std::nullopt;
  tag_map tags;
  // Each entry takes at least two bytes, so a huge `n` ends at the input's end.
  for (std::size_t i = 0; i < n; ++i) {
    std::string key;
    std::string value;
    if (r.read_string(key) != msgpack::status::ok) return std::nullopt;
    if (r.read_string(value) != msgpack::status::ok) return std::nullopt;
    tags.insert_or_assign(std::move(key), std::move(value));  // Go: a later duplicate wins
  }
  return tags;
}

std::optional<std::string> meta_error(byte_view meta) {
  if (meta.size() <= meta_max_size) return std::nullopt;
  return "the encoded meta takes " + std::to_string(meta.size()) +
         " bytes; memberlist and Serf accept at most " + std::to_string(meta_max_size);
}

}  // namespace swim
