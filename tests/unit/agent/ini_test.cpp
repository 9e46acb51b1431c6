#include "agent/ini.hpp"

#include <array>
#include <fstream>
#include <sstream>
#include <string>
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

TEST_CASE("ini: a # or ; after white space starts a comment; inside quotes it does not") {
  auto ini = agent::ini_file::parse(
      "[c]  # the c section\n"
      "a = 1   # one\n"
      "b = 2\t; two\n"
      "c = x#y;z\n"                  // no white space before: part of the value
      "d = \"a # b ; c\"  # quoted\n"  // quoted: kept
      "e = # nothing\n"
      "f = \"unterminated # cut\n"
      "list = p, q   # first\n"
      "  r, s      ; more\n"
      "  # a comment line inside a list\n"
      "  t\n",
      "t.ini", {});
  CHECK(ini.get("c", "a") == "1");
  CHECK(ini.get("c", "b") == "2");
  CHECK(ini.get("c", "c") == "x#y;z");
  CHECK(ini.get("c", "d") == "a # b ; c");
  CHECK(ini.get("c", "e") == "");
  CHECK(ini.get("c", "f") == "\"unterminated");
  CHECK(ini.get("c", "list") == "p, q\nr, s\nt");
  CHECK(ini.entries()[0].line == 2);
}

TEST_CASE("ini: gce-cache-cluster's readme example loads without its comments") {
  std::ifstream in(std::string(CACHECLUSTER_GOLDEN_DIR) + "/gce-cache-cluster-readme.ini");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  REQUIRE(text.str().find("# port that groupcache will run on") != std::string::npos);
  auto ini = agent::ini_file::parse(text.str(), "readme.ini", data_sections);
  CHECK(ini.get("cache", "port") == "9080");
  CHECK(ini.get("cluster", "port") == "9999");
  CHECK(ini.get("cluster", "heartbeat") == "250");
  CHECK(ini.get("match", "project") == "my-project");
  CHECK(ini.get("match", "zone") == "us-central1-b");
  CHECK(ini.get("match", "network_interface") == "nic0");
  CHECK(ini.get("match", "tags") == "http-server");
  CHECK(ini.get("meta", "service") == "web");
}

TEST_CASE("ini: long lines, a byte order mark and CRLF line ends") {
  std::string long_value(5000, 'v');
  auto ini = agent::ini_file::parse("\xEF\xBB\xBF[c]\r\nk = " + long_value + "\r\nj: 2\r\n",
                                    "t.ini", {});
  CHECK(ini.get("c", "k") == long_value);
  CHECK(ini.get("c", "j") == "2");
}

TEST_CASE("ini: more syntax errors") {
  for (const char* bad : {"[c\n", "[c] junk\n", "[c]\n= 1\n", "[c]\nk 1\n"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(agent::ini_file::parse(bad, "t.ini", {}), agent::ini_error);
  }
}
