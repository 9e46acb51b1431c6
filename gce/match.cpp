#include "gce/match.hpp"

#include <algorithm>
#include <cctype>

namespace gce {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// A quoted filter literal; labels and statuses never need escapes, but a
/// quote or backslash must not end the literal early.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::optional<std::string> peer_ip(const instance& in, std::string_view nic) {
  for (const auto& n : in.interfaces)
    if (n.name == nic && !n.network_ip.empty()) return n.network_ip;
  if (in.interfaces.size() == 1 && !in.interfaces.front().network_ip.empty())
    return in.interfaces.front().network_ip;
  return std::nullopt;
}

bool matches(const instance& in, const match_rules& rules) {
  if (!rules.statuses.empty()) {
    // Unknown or missing statuses are not peers: only listed ones pass.
    const std::string s = upper(in.status);
    if (std::none_of(rules.statuses.begin(), rules.statuses.end(),
                     [&](const std::string& want) { return upper(want) == s; }))
      return false;
  }
  for (const auto& tag : rules.tags)
    if (std::find(in.tags.begin(), in.tags.end(), tag) == in.tags.end()) return false;
  for (const auto& [k, v] : rules.meta) {
    auto it = in.metadata.find(k);
    if (it == in.metadata.end() || it->second != v) return false;
  }
  for (const auto& [k, v] : rules.labels) {
    auto it = in.labels.find(k);
    if (it == in.labels.end() || it->second != v) return false;
  }
  return peer_ip(in, rules.network_interface).has_value();
}

std::string server_filter(const match_rules& rules) {
  std::vector<std::string> terms;
  if (!rules.statuses.empty()) {
    std::string t;
    for (const auto& s : rules.statuses) {
      if (!t.empty()) t += " OR ";
      t += "status = " + quoted(upper(s));
    }
    terms.push_back(t);
  }
  for (const auto& [k, v] : rules.labels) terms.push_back("labels." + k + " = " + quoted(v));
  if (terms.size() == 1) return terms.front();
  std::string out;
  for (const auto& t : terms) {
    if (!out.empty()) out += " AND ";
    out += "(" + t + ")";
  }
  return out;
}

}  // namespace gce
