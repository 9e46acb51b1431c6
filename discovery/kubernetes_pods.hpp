#pragma once
// The Kubernetes side of discovery without I/O: Pod and PodList bodies, watch
// event lines, and the pod set a list-then-watch keeps (resourceVersion,
// add/modify/delete), from which the candidates come. Shapes follow the API's
// core/v1 Pod and watch.Event (one JSON object per line); errors are values.
// https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace discovery {

/// The fields of a Pod that discovery needs.
struct pod {
  std::string name;
  std::string ip;                              ///< status.podIP; "" until scheduled and started
  std::string phase;                           ///< status.phase: Pending, Running, ...
  bool ready = false;                          ///< condition Ready is "True"
  bool terminating = false;                    ///< metadata.deletionTimestamp is set
  std::string node_name;                       ///< spec.nodeName
  std::map<std::string, std::uint16_t> ports;  ///< named container ports, every container
  std::string resource_version;                ///< metadata.resourceVersion
};

/// A PodList: its pods and the list's resourceVersion (where a watch starts).
struct pod_list {
  std::vector<pod> pods;
  std::string resource_version;
};

/// Decode a PodList body; nullopt and `error` when it is not one.
std::optional<pod_list> parse_pod_list(std::string_view body, std::string& error);

/// Decode one Pod body (GET pods/NAME).
std::optional<pod> parse_pod(std::string_view body, std::string& error);

/// The labels of a Node body (GET nodes/NAME); nullopt when it is not one.
std::optional<std::map<std::string, std::string>> parse_node_labels(std::string_view body);

/// One line of a watch stream.
struct watch_event {
  enum class kind { added, modified, deleted, bookmark, error };
  kind type = kind::error;
  pod object;                ///< added/modified/deleted; bookmark: only resource_version
  int code = 0;              ///< error: the Status code (410 = resourceVersion too old)
  std::string message;       ///< error: the Status message
};

/// Decode one watch line; nullopt and `error` when it is not an event.
std::optional<watch_event> parse_watch_event(std::string_view line, std::string& error);

/// Cuts a byte stream into lines ('\n'); a line longer than `max_line` is an error.
class line_splitter {
 public:
  explicit line_splitter(std::size_t max_line = 4u << 20) : max_(max_line) {}
  /// Feed bytes; `on_line` gets each complete line (without '\n'). False when a line
  /// grew past the limit (the stream should be dropped).
  bool feed(std::string_view bytes, const std::function<void(std::string_view)>& on_line);

 private:
  std::size_t max_;
  std::string partial_;
};

/// What makes a pod a candidate.
struct pod_rules {
  bool require_ready = true;   ///< the Ready condition must be True
  std::string port_name;       ///< take the gossip port from this named port ("" = default)
  std::uint16_t default_port = 7946;
  std::string self_name;       ///< our own pod, left out
};

/// The pods of a label selector as a list and its watch describe them.
class pod_set {
 public:
  /// Start over from a list.
  void reset(const pod_list& list);
  /// Apply one event. True when the set changed (added, modified or deleted a pod).
  /// A bookmark only moves the resourceVersion; an error event changes nothing.
  bool apply(const watch_event& e);
  /// Where the next watch starts.
  const std::string& resource_version() const { return rv_; }
  /// Candidates as "ip:port", sorted and unique: Running, with an IP, not terminating,
  /// Ready when required, with the named port when one is required, not ourselves.
  std::vector<std::string> candidates(const pod_rules& rules) const;
  /// The pods by name.
  const std::map<std::string, pod>& pods() const { return pods_; }

 private:
  std::map<std::string, pod> pods_;
  std::string rv_;
};

/// Percent-encode a query value (label selectors hold '=', '!', ',', '(' ...).
std::string query_encode(std::string_view s);

}  // namespace discovery
