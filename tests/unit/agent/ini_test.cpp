#include "agent/ini.hpp"

#include <array>
#include <string_view>

#include <doctest/doctest.h>

namespace {

constexpr std::array<std::string_view, 1> data_sections{"meta"};

}  // namespace

TEST_CASE("ini: sections are case-insensitive, keys too except in data sections") {
  auto ini = agent::ini_file::parse("[Cluster]\nPort = 1\n[META]\nFoo = \" bar \"\n", "t.ini",
                                    data_sections);
  CHECK(ini.get("cluster", "port") == "1");
  CHECK(ini.get("cluster", "Port") == std::nullopt);
  CHECK(ini.get("meta", "Foo") == " bar ");  // one pair of quotes removed, inner spaces kept
  CHECK(ini.get("meta", "foo") == std::nullopt);
  REQUIRE(ini.entries().size() == 2);
  CHECK(ini.entries()[0].section == "cluster");
  CHECK(ini.entries()[0].key == "Port");
}

TEST_CASE("ini: a repeated key joins its values with newlines") {
  auto ini = agent::ini_file::parse("[c]\nk = a\nK = b\n", "t.ini", {});
  CHECK(ini.get("c", "k") == "a\nb");
  CHECK(ini.entries().size() == 1);
}

TEST_CASE("ini: syntax errors name the file and line") {
  CHECK_THROWS_WITH_AS(agent::ini_file::parse("[c]\nk = 1\nnot ini\n", "t.ini", {}),
                       doctest::Contains("t.ini:3: INI syntax error"), agent::ini_error);
  CHECK_THROWS_WITH_AS(agent::ini_file::parse(std::string_view("[c]\0", 4), "t.ini", {}),
                       "t.ini: contains a NUL byte; not a text file", agent::ini_error);
}

TEST_CASE("ini: edit distance and did-you-mean hints") {
  CHECK(agent::edit_distance("", "") == 0);
  CHECK(agent::edit_distance("port", "prot") == 2);
  CHECK(agent::edit_distance("kitten", "sitting") == 3);
  CHECK(agent::did_you_mean("PROT", {"port", "bind"}) == "; did you mean port?");
  CHECK(agent::did_you_mean("clustr", {"cache", "cluster"}) == "; did you mean cluster?");
  CHECK(agent::did_you_mean("zzzzzz", {"port"}).empty());
}
