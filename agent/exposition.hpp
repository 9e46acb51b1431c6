#pragma once
// The Prometheus text exposition format 0.0.4, written: one family per metric
// name, `# HELP` then `# TYPE` then its samples, contiguous. Label values are
// escaped (\\, \", \n) because tag values, node names and API methods come from
// configuration and from the network. Every part of /metrics writes through one
// of these (agent/metrics.cpp, agent/discovery_metrics.cpp, agent/outputs.cpp).

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace agent {

class exposition {
 public:
  /// A label name and its (unescaped) value.
  using label = std::pair<std::string_view, std::string_view>;

  /// Start a family: `# HELP` and `# TYPE` lines.
  void family(std::string_view name, std::string_view type, std::string_view help);

  /// One sample of the current family.
  void sample(std::string_view name, std::initializer_list<label> labels, std::uint64_t value);
  void sample(std::string_view name, std::initializer_list<label> labels, double value);
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, std::uint64_t>)
  void sample(std::string_view name, std::initializer_list<label> labels, T value) {
    sample(name, labels, static_cast<std::uint64_t>(value));
  }

  /// A family with a single unlabelled sample.
  void counter(std::string_view name, std::string_view help, std::uint64_t value);

  /// A gauge with a single unlabelled sample.
  template <class T>
  void gauge(std::string_view name, std::string_view help, T value) {
    family(name, "gauge", help);
    sample(name, {}, value);
  }

  std::string take() { return std::move(out_); }

 private:
  void start_sample(std::string_view name, std::initializer_list<label> labels);

  std::string out_;
};

}  // namespace agent
