#pragma once
// INI text as the agent reads it: sections and keys in file order, the lookups
// the config loader makes, and "did you mean" hints for misspelt names. The
// syntax is inih's (key = value or key: value, ; and # comment lines, indented
// continuation lines) with go-ini's inline comments: a '#' or ';' after white
// space ends the value, unless it is inside a value's double quotes. That is how
// gce-cache-cluster, which reads its file with go-ini, writes its examples. Knows nothing of which sections and keys exist: that is the
// config schema's business (agent/config_schema.hpp).

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agent {

/// INI text that cannot be read; what() names the file and, for syntax errors, the line.
class ini_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One key as the file spells it. Values of a key given more than once (or continued
/// on indented lines) are joined with '\n', as INIReader does.
struct ini_entry {
  std::string section;  ///< lower case; "" for a key before any [section]
  std::string key;      ///< as written
  std::string value;    ///< inline comment and outer white space stripped, quotes kept
  std::size_t line = 0; ///< line number (from 1) where the key first appears
};

/// A parsed INI file: every entry in file order, and a lookup by section and key.
class ini_file {
 public:
  /// Parse `text`; `name` stands for the file in messages. Section names are
  /// case-insensitive, and so are keys except in `case_sensitive_sections` (lower case),
  /// whose keys are data. Throws ini_error for syntax errors (naming the line) and NUL
  /// bytes. Lines may be of any length.
  static ini_file parse(std::string_view text, std::string_view name,
                        std::span<const std::string_view> case_sensitive_sections);

  /// Every key, in the order first seen.
  const std::vector<ini_entry>& entries() const { return entries_; }

  /// The value of [section] key as value() returns it; nullopt when absent. `section`
  /// is lower case; `key` is lower case too unless its section is case-sensitive.
  std::optional<std::string> get(std::string_view section, std::string_view key) const;

  /// An entry's value as the config sees it: white space trimmed, then one pair of
  /// surrounding double quotes removed (go-ini, which gce-cache-cluster reads its
  /// file with, strips them too).
  static std::string value(std::string_view raw);

 private:
  std::vector<ini_entry> entries_;
  // (section, lookup key) -> index into entries_.
  std::map<std::pair<std::string, std::string>, std::size_t> index_;
};

/// The Levenshtein distance between `a` and `b` (insertions, deletions, substitutions).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// "; did you mean port?" when a candidate is within edit distance 2 of `word` (lowered),
/// the closest one first seen winning ties; "" when none is.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace agent
