#pragma once
// Serf tags in node meta: 0xFF followed by a msgpack map of str -> str
// (docs/wire.md §9.1). Meta that is empty or does not start with 0xFF is
// Serf's legacy form: the whole meta is the value of a "role" tag.

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "swim/bytes.hpp"

namespace swim {

/// Tags of a member, sorted by key.
using tag_map = std::map<std::string, std::string>;

/// memberlist MetaMaxSize: the largest node meta a Go peer accepts from itself.
inline constexpr std::size_t meta_max_size = 512;

/// The one check of that limit: why `meta` cannot be a node's meta, or nullopt when it can.
std::optional<std::string> meta_error(byte_view meta);

/// Encode tags the way Serf does (keys sorted here; Go's order is random).
bytes encode_tags(const tag_map& tags);

/// Decode node meta into tags; nullopt when the msgpack after 0xFF is invalid.
std::optional<tag_map> decode_tags(byte_view meta);

}  // namespace swim
