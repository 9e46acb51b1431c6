#include "agent/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace agent {
namespace {

// Label values: backslash, double quote and line feed are the only escapes the
// format defines; anything else (including other control bytes) passes as is.
void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// HELP text escapes only backslash and line feed.
void append_help(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

void exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_help(out_, help);
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
      append_label_value(out_, v);
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
