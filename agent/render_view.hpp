#pragma once
// From a published snapshot to the text of a rendered file: the Mustache view
// ([render.NAME] templates, `cachecluster render`) and the rendering itself.
// Pure: no files, no clocks. The view's names are in docs/templates.md.
//
// The view, top level:
//   version, local_mode, count, has_peers
//   self                 this node (a peer object, even when a filter leaves it out)
//   peers                the filtered peers, sorted by name
//   others               the same without this node
//   zones                [{zone, count, peers, first, last}], sorted by zone
// A peer object: name, address, host (address, IPv6 in brackets), port, cache_port
// ("" without one), cache_url, endpoint (host:cache_port, "" without a cache port),
// zone, state, incarnation, tags (object: {{tags.KEY}}), tag_list [{key, value}],
// alive, suspect, has_cache_port, is_self, and in every list: index (0-based),
// number (1-based), first, last (for separators: {{^last}},{{/last}}).

#include <optional>
#include <string>
#include <string_view>

#include "agent/outputs_config.hpp"
#include "peerlib/protocol.hpp"

namespace agent {

/// A rendered text, or why there is none.
struct render_result {
  bool ok = false;
  std::string text;   ///< the file's content when ok
  std::string error;  ///< the template's parse error when not
};

/// Why `template_text` is not a valid Mustache template; nullopt when it is.
std::optional<std::string> template_error(std::string_view template_text);

/// Render `template_text` with the view of `snap` that `filter` selects, escaping {{values}}
/// as `escape` says.
render_result render_template(std::string_view template_text, const peerlib::snapshot& snap,
                              const render_filter& filter, render_escape escape);

/// True when `filter` keeps `p` (this node is `self_name`).
bool filter_keeps(const render_filter& filter, const peerlib::peer& p, std::string_view self_name);

/// `s` as the content of a JSON string: \" \\ \n \r \t and \u00XX for other control bytes.
std::string json_escape(std::string_view s);

}  // namespace agent
