#include "agent/ini.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace agent {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// `text` up to its inline comment: a '#' or ';' preceded by a space or tab (go-ini's
/// comments, as gce-cache-cluster's files use them). A value that opens with a double
/// quote keeps everything up to the closing quote, so `"a # b"` keeps its '#'.
std::string_view strip_inline_comment(std::string_view text) {
  std::size_t i = 0;
  std::size_t first = text.find_first_not_of(" \t");
  if (first != std::string_view::npos && text[first] == '"') {
    std::size_t close = text.find('"', first + 1);
    if (close != std::string_view::npos) i = close + 1;
  }
  for (; i < text.size(); ++i) {
    if ((text[i] == '#' || text[i] == ';') && i > 0 && is_blank(text[i - 1])) {
      return util::trim(text.substr(0, i));
    }
  }
  return util::trim(text);
}

}  // namespace

ini_file ini_file::parse(std::string_view text, std::string_view name,
                         std::span<const std::string_view> case_sensitive_sections) {
  if (text.find('\0') != std::string_view::npos) {
    throw ini_error(std::string(name) + ": contains a NUL byte; not a text file");
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark

  ini_file out;
  auto syntax_error = [&](std::size_t line_no) {
    return ini_error(std::string(name) + ":" + std::to_string(line_no) +
                     ": INI syntax error (expected [section], key = value, or a ; or # comment)");
  };
  std::string section;
  std::optional<std::size_t> last;  // the entry an indented line continues
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    const std::string_view body = util::trim(line);
    if (body.empty() || body.front() == ';' || body.front() == '#') continue;

    if (is_blank(line.front()) && last) {
      // An indented line continues the previous key's value (a long list).
      std::string_view more = strip_inline_comment(body);
      auto& e = out.entries_[*last];
      e.value += '\n';
      e.value += more;
      continue;
    }
    if (body.front() == '[') {
      std::size_t close = body.find(']');
      if (close == std::string_view::npos) throw syntax_error(line_no);
      // Only a comment may follow the header.
      std::string_view after = util::trim(body.substr(close + 1));
      if (!after.empty() && after.front() != '#' && after.front() != ';') {
        throw syntax_error(line_no);
      }
      section = util::lower(util::trim(body.substr(1, close - 1)));
      last.reset();
      continue;
    }
    std::size_t sep = body.find_first_of("=:");
    if (sep == std::string_view::npos) throw syntax_error(line_no);
    std::string_view key = util::trim(body.substr(0, sep));
    if (key.empty()) throw syntax_error(line_no);
    std::string value(strip_inline_comment(body.substr(sep + 1)));

    const bool exact = std::find(case_sensitive_sections.begin(), case_sensitive_sections.end(),
                                 section) != case_sensitive_sections.end();
    std::string lookup = exact ? std::string(key) : util::lower(key);
    auto [it, inserted] = out.index_.try_emplace({section, lookup}, out.entries_.size());
    if (inserted) {
      out.entries_.push_back({section, std::string(key), std::move(value), line_no});
    } else {
      out.entries_[it->second].value += '\n';
      out.entries_[it->second].value += value;
    }
    last = it->second;
  }
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
