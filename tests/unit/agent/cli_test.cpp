// The pure parts of the client commands: where the socket is, member filters, owner's keys.

#include <algorithm>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "agent/cli.hpp"
#include "agent/owner_cmd.hpp"
#include "support/process.hpp"

namespace cli = agent::cli;

TEST_CASE("cli: the socket comes from --socket, CACHECLUSTER_SOCKET, the config, the default") {
  test_support::temp_dir dir("cli-socket");
  const auto config = dir / "cachecluster.ini";
  test_support::write_file(config, "[publish]\nsocket = /tmp/from-config.sock   # ours\n");
  std::ostringstream err;
  CHECK(cli::find_socket(std::string("/tmp/flag.sock"), "/tmp/env.sock", config, err) ==
        "/tmp/flag.sock");
  CHECK(cli::find_socket(std::nullopt, "/tmp/env.sock", config, err) == "/tmp/env.sock");
  CHECK(cli::find_socket(std::nullopt, "", config, err) == "/tmp/from-config.sock");
  CHECK(cli::find_socket(std::nullopt, nullptr, config, err) == "/tmp/from-config.sock");
  CHECK(err.str().empty());
  // A config without [publish] socket, a missing one, one that does not parse: the default.
  test_support::write_file(config, "[cluster]\nport = 7946\n");
  CHECK(cli::find_socket(std::nullopt, nullptr, config, err) == cli::default_socket);
  CHECK(cli::find_socket(std::nullopt, nullptr, dir / "missing.ini", err) == cli::default_socket);
  CHECK(err.str().empty());
  test_support::write_file(config, "[publish\nsocket = /x\n");
  CHECK(cli::find_socket(std::nullopt, nullptr, config, err) == cli::default_socket);
  CHECK(err.str().find("INI syntax error") != std::string::npos);
}

namespace {

peerlib::members_document three() {
  std::string why;
  auto doc = peerlib::protocol::decode_members(R"({"node":"web-1","members":[
    {"name":"web-1","address":"10.0.0.1","port":7946,"state":"alive","tags":{"role":"web","zone":"us-a"}},
    {"name":"web-2","address":"10.0.0.2","port":7946,"state":"failed","tags":{"role":"web"}},
    {"name":"db-1","address":"10.0.0.3","port":7946,"state":"alive","tags":{"role":"database"}}]})",
                                               &why);
  REQUIRE_MESSAGE(doc, why);
  return *doc;
}

std::string names(const std::optional<peerlib::members_document>& doc) {
  std::string out;
  if (!doc) return "(error)";
  for (const auto& m : doc->members) out += (out.empty() ? "" : ",") + m.name;
  return out;
}

std::string filtered(const cli::member_filter& f) {
  return names(cli::filter_members(three(), f, nullptr));
}

}  // namespace

TEST_CASE("cli: members --name and --tag match the whole text as regular expressions") {
  CHECK(filtered({}) == "web-1,web-2,db-1");
  CHECK(filtered({std::nullopt, "web-.*", {}}) == "web-1,web-2");
  CHECK(filtered({std::nullopt, "web", {}}) == "");  // anchored, as Serf does
  CHECK(filtered({std::nullopt, "web-1|db-1", {}}) == "web-1,db-1");
  CHECK(filtered({std::nullopt, "", {"role=web"}}) == "web-1,web-2");
  CHECK(filtered({std::nullopt, "", {"role=data"}}) == "");
  CHECK(filtered({std::nullopt, "", {"role=data.*"}}) == "db-1");
  CHECK(filtered({std::nullopt, "", {"role=web", "zone=us-.*"}}) == "web-1");
  CHECK(filtered({std::nullopt, "", {"zone="}}) == "");  // no such tag, or not empty
  CHECK(filtered({std::string("alive"), "", {"role=web"}}) == "web-1");
  CHECK(filtered({std::nullopt, ".*-2", {"role=web|database"}}) == "web-2");

  std::string why;
  CHECK_FALSE(cli::filter_members(three(), {std::nullopt, "web-(", {}}, &why));
  CHECK(why.find("--name web-(: not a regular expression") != std::string::npos);
  CHECK_FALSE(cli::filter_members(three(), {std::nullopt, "", {"role"}}, &why));
  CHECK(why == "--tag role: must be KEY=VALUE (VALUE a regular expression)");
  CHECK_FALSE(cli::filter_members(three(), {std::nullopt, "", {"=web"}}, &why));
  CHECK_FALSE(cli::filter_members(three(), {std::nullopt, "", {"role=[x"}}, &why));
  CHECK(why.find("--tag role= [x") == 0);
}

TEST_CASE("cli: owner reads keys from standard input, one per line, when none are given") {
  cli::owner_args args;
  args.peers = {"http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080"};
  std::ostringstream from_args_out, err;
  args.keys = {"alpha", "-starts-with-dash", "gamma"};
  std::istringstream unused;
  REQUIRE(cli::owner("", args, unused, from_args_out, err) == 0);

  args.keys.clear();
  std::istringstream in("alpha\r\n-starts-with-dash\n\ngamma");  // CRLF, a blank line, no final newline
  std::ostringstream from_input_out;
  REQUIRE(cli::owner("", args, in, from_input_out, err) == 0);
  CHECK(from_input_out.str() == from_args_out.str());
  CHECK(from_input_out.str().find("-starts-with-dash\thttp://") != std::string::npos);
  const std::string lines = from_input_out.str();
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 3);

  std::istringstream empty;
  std::ostringstream none;
  CHECK(cli::owner("", args, empty, none, err) == 0);
  CHECK(none.str().empty());
}
