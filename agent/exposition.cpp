#include "agent/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace agent {
namespace {

// The text format's escapes: backslash and line feed everywhere, double quote only in
// label values (`quote`); anything else (including other control bytes) passes as is.
void append_escaped(std::string& out, std::string_view v, bool quote) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
}

}  // namespace

void exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, /*quote=*/false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void exposition::start_sample(std::string_view name, std::initializer_list<label> labels) {
  out_ += name;
  if (labels.size() != 0) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      append_escaped(out_, v, /*quote=*/true);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void exposition::sample(std::string_view name, std::initializer_list<label> labels,
                        std::uint64_t value) {
  start_sample(name, labels);
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out_.append(buf.data(), r.ptr);
  out_ += '\n';
}

void exposition::sample(std::string_view name, std::initializer_list<label> labels,
                        double value) {
  start_sample(name, labels);
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    std::array<char, 32> buf{};
    auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);  // shortest round-trip
    out_.append(buf.data(), r.ptr);
  }
  out_ += '\n';
}

void exposition::counter(std::string_view name, std::string_view help, std::uint64_t value) {
  family(name, "counter", help);
  sample(name, {}, value);
}

}  // namespace agent
