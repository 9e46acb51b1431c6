#pragma once
// Discovery of pods through the Kubernetes API: list the pods of a label
// selector in a namespace, then watch them from the list's resourceVersion
// (re-list on 410 Gone, back off 1 s doubling to 30 s on errors), publishing
// the candidates (discovery/kubernetes_pods.hpp says which pods count) each
// time they change and at the end of every watch. In a pod every setting but
// the selector has an in-cluster default: the service-account token, CA and
// namespace files, and KUBERNETES_SERVICE_HOST/PORT.
//
// This node: its pod (POD_NAME, else HOSTNAME, unless the agent's node name was
// set) gives the address, and its node's topology.kubernetes.io/zone label the
// zone when the service account may read nodes (a ClusterRole; without it the
// zone is left empty).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "discovery/kubernetes_pods.hpp"
#include "discovery/provider.hpp"
#include "gce/http_client.hpp"

namespace discovery {

/// The in-cluster service-account directory.
inline constexpr const char* service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

/// What kubernetes_provider lists and watches; empty strings take in-cluster defaults.
struct kubernetes_settings {
  std::string api_server;      ///< "" = https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
  std::string token_file;      ///< "" = service_account_dir/token
  std::string ca_file;         ///< "" = service_account_dir/ca.crt
  std::string namespace_name;  ///< "" = service_account_dir/namespace, else "default"
  std::string label_selector;  ///< required
  pod_rules rules;             ///< Ready, port name, default port; self_name = our pod
  std::string local_address;   ///< source IP of requests ("" = any)
  std::chrono::seconds watch_timeout{60};                        ///< timeoutSeconds of a watch
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};  ///< list and get
  std::chrono::seconds token_reread{60};                         ///< projected tokens rotate
};

/// The kubernetes provider.
class kubernetes_provider final : public provider {
 public:
  /// Fill the defaults, then read this pod (and its node's zone). Blocking. nullptr and
  /// `error` when there is no API server to talk to; a refused read of our own pod is a
  /// warning (startup_warnings()), not an error: discovery reports through /ready.
  static std::unique_ptr<kubernetes_provider> create(kubernetes_settings s, std::string& error);
  /// Same, over a given transport (tests).
  static std::unique_ptr<kubernetes_provider> create(kubernetes_settings s,
                                                     std::unique_ptr<gce::http_client> http,
                                                     std::string& error);

  std::string_view name() const override { return "kubernetes"; }
  identity self() const override { return self_; }
  /// One list of the pods (also resets the watch state).
  result list() override;
  bool watches() const override { return true; }
  void run_watch(const std::function<void(result)>& publish,
                 const std::function<bool()>& stopped) override;
  void cancel() override;

  const kubernetes_settings& settings() const { return s_; }
  const std::vector<std::string>& startup_warnings() const { return warnings_; }

  /// How a read of this pod (its IP) and its node (the zone) went.
  struct self_read {
    bool ok = true;
    bool transient = false;  ///< on failure: no answer, 429 or 5xx, so trying again may help
    std::string error;       ///< on failure: why (also in startup_warnings() for create()'s)
  };
  /// What create()'s read gave.
  const self_read& first_self_read() const { return first_self_; }
  /// Read this pod and its node again (the agent's start-up retry while the API server is
  /// slow or briefly gone); self() is updated with what was read.
  self_read read_self();
  /// Watches started, and re-lists after a 410 Gone (tests, logs).
  std::uint64_t watches_started() const { return watches_; }
  std::uint64_t relists_after_gone() const { return gone_; }

  /// One watch from the current resourceVersion, applying its events and calling
  /// `publish` when the candidates change. Returns how it ended: "" (the server closed
  /// it or its timeout passed), "gone" (410: re-list), or an error message.
  std::string watch_once(const std::function<void(result)>& publish, result& log);

 private:
  kubernetes_provider(kubernetes_settings s, std::unique_ptr<gce::http_client> http);
  gce::http_headers headers();
  std::string pods_url() const;
  std::string explain(int status, const std::string& body, const std::string& what) const;

  kubernetes_settings s_;
  std::unique_ptr<gce::http_client> http_;
  std::function<void()> cancel_;
  identity self_;
  self_read first_self_;
  std::vector<std::string> warnings_;
  pod_set set_;
  std::vector<std::string> published_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_{};
  std::uint64_t watches_ = 0;
  std::uint64_t gone_ = 0;
};

}  // namespace discovery
