#pragma once
// The Kubernetes API emulator's model and handlers (kubernetes-emulator, for
// tests and demos): pods of namespaces with labels, nodes with labels, a
// resourceVersion that every change bumps, the change log watches read (and a
// compaction point before which a watch gets 410 Gone), a bearer token, and
// injected faults. Pure: request in, response out; main.cpp is the socket
// server around it and streams watches from events_since().
//
// Served (the subset discovery reads, shaped like core/v1):
//   GET /api/v1/namespaces/NS/pods?labelSelector=S     PodList
//   GET /api/v1/namespaces/NS/pods?watch=1&resourceVersion=RV&timeoutSeconds=N
//                                                        a watch (main.cpp streams it)
//   GET /api/v1/namespaces/NS/pods/NAME                 Pod
//   GET /api/v1/nodes/NAME                              Node (labels)
//   /admin/...                                          test control (docs/kubernetes.md)

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace discovery::k8s_emulator {

/// One request as the server read it.
struct request {
  std::string method;
  std::string target;  ///< path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// First header called `name`, case-insensitive.
  std::optional<std::string> header(std::string_view name) const;
};

/// One answer (not a watch).
struct response {
  int status = 200;
  std::string body;  ///< JSON
};

/// A label selector (equality- and set-based, as kubectl writes them):
/// "a=b", "a==b", "a!=b", "a", "!a", "a in (x,y)", "a notin (x,y)", comma-separated.
class selector {
 public:
  /// nullopt when `text` is not a selector.
  static std::optional<selector> parse(std::string_view text);
  bool matches(const std::map<std::string, std::string>& labels) const;

 private:
  struct term {
    std::string key;
    enum class op { eq, ne, exists, not_exists, in, not_in } o = op::eq;
    std::vector<std::string> values;
  };
  std::vector<term> terms_;
};

/// One pod of the emulated cluster.
struct emu_pod {
  std::string name, ns = "default", ip, phase = "Running", node;
  bool ready = true;
  bool terminating = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, int> ports;  ///< named container ports
  std::uint64_t rv = 0;              ///< resourceVersion of its last change
};

/// A watch request, parsed.
struct watch_request {
  std::string ns;
  selector sel;
  std::uint64_t from = 0;  ///< resourceVersion to start after
  int timeout_seconds = 60;
};

/// The emulated cluster.
class state {
 public:
  /// Load {"token", "namespace", "nodes": {NAME: {LABEL: VALUE}}, "pods": [...]}; pods in
  /// fixture form: name, namespace, ip, phase, ready, terminating, node, labels, ports.
  bool load(const nlohmann::json& doc, std::string& error);
  /// Add or replace a pod (fixture form); a change bumps the resourceVersion.
  bool put_pod(const nlohmann::json& j, std::string& error);
  /// Delete a pod; false when there is none.
  bool delete_pod(const std::string& ns, const std::string& name);

  /// Answer a request that is not a watch (pods, pods/NAME, nodes/NAME, /admin/...).
  response handle(const request& r);
  /// Whether `r` asks for a pods watch; when it does, either the watch to stream or the
  /// answer that refuses it (token, faults, bad selector), counted as pods.watch.
  struct watch_start {
    bool is_watch = false;
    std::optional<response> refusal;
    watch_request w;
  };
  watch_start start_watch(const request& r);
  /// The event lines (JSON, no newline) of changes after `from` that `w` selects, and the
  /// resourceVersion they reach; a `from` before the compaction point gives one ERROR
  /// event (410 Gone) and `gone`.
  std::vector<std::string> events_since(const watch_request& w, std::uint64_t& from, bool& gone) const;

  std::uint64_t resource_version() const { return rv_; }
  /// Counter of the watch-closing generation (POST /admin/close_watches bumps it).
  std::uint64_t close_generation() const { return close_gen_; }
  /// Calls by kind ("pods.list", "pods.watch", "pods.get", "nodes.get").
  const std::map<std::string, std::uint64_t>& calls() const { return calls_; }
  /// Watches open now (the server keeps it).
  int open_watches = 0;

 private:
  struct change {
    std::uint64_t rv;
    std::string type;  ///< ADDED, MODIFIED, DELETED
    emu_pod pod;
    std::map<std::string, std::string> old_labels;  ///< MODIFIED: before the change
  };
  std::optional<response> refuse(const request& r, const std::string& what);
  nlohmann::json pod_json(const emu_pod& p) const;

  std::string token_;
  std::string default_ns_ = "default";
  std::map<std::string, std::map<std::string, std::string>> nodes_;
  std::map<std::pair<std::string, std::string>, emu_pod> pods_;  // (ns, name)
  std::vector<change> log_;
  std::uint64_t rv_ = 1000;
  std::uint64_t compacted_ = 0;  ///< watches from before this get 410 (POST /admin/compact)
  std::uint64_t close_gen_ = 0;
  int fault_status_ = 0;         ///< injected status for pods requests
  int fault_count_ = 0;          ///< how many more; -1 = until cleared
  bool nodes_forbidden_ = false;
  std::map<std::string, std::uint64_t> calls_;
};

}  // namespace discovery::k8s_emulator
