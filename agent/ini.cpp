#include "agent/ini.hpp"

#include <ini.h>

#include <algorithm>

#include "util/strings.hpp"

namespace agent {

namespace {

struct parse_state {
  std::vector<ini_entry>& entries;
  std::map<std::pair<std::string, std::string>, std::size_t>& index;
  std::span<const std::string_view> case_sensitive;
};

int on_ini_value(void* user, const char* section, const char* name, const char* value) {
  auto& st = *static_cast<parse_state*>(user);
  std::string sec = util::lower(section);
  const bool exact =
      std::find(st.case_sensitive.begin(), st.case_sensitive.end(), sec) != st.case_sensitive.end();
  std::string lookup = exact ? std::string(name) : util::lower(name);
  auto [it, inserted] = st.index.try_emplace({sec, lookup}, st.entries.size());
  if (inserted) {
    st.entries.push_back({sec, name, value});
  } else {
    st.entries[it->second].value += '\n';
    st.entries[it->second].value += value;
  }
  return 1;
}

}  // namespace

ini_file ini_file::parse(std::string_view text, std::string_view name,
                         std::span<const std::string_view> case_sensitive_sections) {
  // inih reads at most INI_MAX_LINE bytes per line and treats the rest as a new
  // line, which would misparse silently; refuse long lines instead.
  std::size_t line_no = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      std::size_t length = i - line_start;
      if (length > 0 && text[i - 1] == '\r') --length;
      if (length >= INI_MAX_LINE - 1) {
        throw ini_error(std::string(name) + ":" + std::to_string(line_no) + ": line is " +
                        std::to_string(length) + " characters long; the limit is " +
                        std::to_string(INI_MAX_LINE - 2) +
                        " (continue a long list on indented lines)");
      }
      ++line_no;
      line_start = i + 1;
    }
  }
  if (text.find('\0') != std::string_view::npos) {
    throw ini_error(std::string(name) + ": contains a NUL byte; not a text file");
  }

  ini_file out;
  parse_state st{out.entries_, out.index_, case_sensitive_sections};
  std::string buffer(text);
  int rc = ini_parse_string(buffer.c_str(), on_ini_value, &st);
  if (rc > 0) {
    throw ini_error(std::string(name) + ":" + std::to_string(rc) +
                    ": INI syntax error (expected [section], key = value, or a ; or # comment)");
  }
  if (rc != 0) throw ini_error(std::string(name) + ": cannot parse (out of memory?)");
  return out;
}

std::optional<std::string> ini_file::get(std::string_view section, std::string_view key) const {
  auto it = index_.find({std::string(section), std::string(key)});
  if (it == index_.end()) return std::nullopt;
  return value(entries_[it->second].value);
}

std::string ini_file::value(std::string_view raw) {
  std::string_view s = util::trim(raw);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(util::lower(word), c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best.empty() ? std::string() : "; did you mean " + best + "?";
}

}  // namespace agent
