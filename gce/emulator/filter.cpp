#include "gce/emulator/filter.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>

namespace gce::emulator {
namespace {

/// Thrown inside the parser only; evaluate_filter() turns it into a value.
struct filter_error {
  std::string message;
};

class filter_eval {
 public:
  filter_eval(std::string_view text, const emu_instance& in) : s_(text), in_(in) {}

  /// true/false, or throws filter_error.
  bool run() {
    bool v = and_expr();
    skip_ws();
    if (pos_ != s_.size()) throw filter_error{"trailing input"};
    return v;
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool keyword(std::string_view k) {
    skip_ws();
    if (s_.substr(pos_, k.size()) == k &&
        (pos_ + k.size() == s_.size() || s_[pos_ + k.size()] == ' ' || s_[pos_ + k.size()] == '(')) {
      pos_ += k.size();
      return true;
    }
    return false;
  }
  bool at_end_or_close() {
    skip_ws();
    return pos_ >= s_.size() || s_[pos_] == ')';
  }
  bool and_expr() {
    bool v = or_expr();
    while (!at_end_or_close()) {
      keyword("AND");
      bool rhs = or_expr();
      v = v && rhs;
    }
    return v;
  }
  bool or_expr() {
    bool v = primary();
    while (keyword("OR")) {
      bool rhs = primary();
      v = v || rhs;
    }
    return v;
  }
  bool primary() {
    skip_ws();
    if (keyword("NOT")) return !primary();
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      bool v = and_expr();
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ')') throw filter_error{"missing )"};
      ++pos_;
      return v;
    }
    return comparison();
  }
  std::string field_name() {
    skip_ws();
    std::size_t start = pos_;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) &&
           std::string_view("()=!:<>").find(s_[pos_]) == std::string_view::npos)
      ++pos_;
    if (start == pos_) throw filter_error{"expected a field"};
    return std::string(s_.substr(start, pos_ - start));
  }
  std::string value() {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      std::string out;
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        out.push_back(s_[pos_++]);
      }
      if (pos_ >= s_.size()) throw filter_error{"unterminated string"};
      ++pos_;
      return out;
    }
    std::size_t start = pos_;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) && s_[pos_] != ')')
      ++pos_;
    if (start == pos_) throw filter_error{"expected a value"};
    return std::string(s_.substr(start, pos_ - start));
  }
  bool comparison() {
    const std::string f = field_name();
    skip_ws();
    std::string op;
    if (s_.substr(pos_, 2) == "!=") op = "!=";
    else if (pos_ < s_.size() && (s_[pos_] == '=' || s_[pos_] == ':')) op = std::string(1, s_[pos_]);
    else if (keyword("eq")) op = "eq";
    else if (keyword("ne")) op = "ne";
    else throw filter_error{"expected an operator after " + f};
    if (op != "eq" && op != "ne") pos_ += op.size();
    const std::string v = value();
    if (f.starts_with("metadata")) throw filter_error{"metadata is not filterable"};

    std::optional<std::string> field;
    bool list_contains = false;
    if (f == "status") field = in_.status;
    else if (f == "name") field = in_.name;
    else if (f == "zone") field = in_.zone;
    else if (f == "id") field = in_.id;
    else if (f.starts_with("labels.")) {
      auto it = in_.labels.find(f.substr(7));
      if (it != in_.labels.end()) field = it->second;
    } else if (f == "tags.items") {
      list_contains = true;
    } else {
      throw filter_error{"unknown field " + f};
    }
    if (list_contains) {
      const bool has = std::find(in_.tags.begin(), in_.tags.end(), v) != in_.tags.end();
      return op == "!=" || op == "ne" ? !has : has;
    }
    if (op == ":") return field && (v == "*" || field->find(v) != std::string::npos);
    if (op == "=") return field && *field == v;
    if (op == "!=") return !field || *field != v;
    try {
      const bool m = field && std::regex_match(*field, std::regex(v));
      return op == "eq" ? m : !m;
    } catch (const std::regex_error&) {
      throw filter_error{"bad regex " + v};
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const emu_instance& in_;
};

}  // namespace

filter_result evaluate_filter(std::string_view filter, const emu_instance& in) {
  if (filter.empty()) return {true, true, {}};
  try {
    return {true, filter_eval(filter, in).run(), {}};
  } catch (const filter_error& e) {
    return {false, false, e.message};
  }
}

}  // namespace gce::emulator
