#pragma once
// Configs from text in the agent's unit tests: each names its node (n1), so a test writes only
// the sections it is about.
#include <doctest/doctest.h>

#include <string>

#include "agent/config.hpp"

namespace config_text {

/// `text` after a [node] section, parsed as the file "test.ini".
inline agent::loaded_config load(const std::string& text) {
  return agent::parse_config("[node]\nname = n1\n" + text, "test.ini");
}

/// The config_error `text` raises, or "(accepted)" when it loads.
inline std::string error_or_accepted(const std::string& text) {
  try {
    load(text);
  } catch (const agent::config_error& e) {
    return e.what();
  }
  return "(accepted)";
}

/// The config_error `text` raises; a test failure when it loads.
inline std::string error_of(const std::string& text) {
  std::string e = error_or_accepted(text);
  if (e == "(accepted)") FAIL("no error for: " << text);
  return e;
}

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace config_text
