// `cachecluster keys`: how a keys line is printed (agent::cli::print_keys), like `serf keys`.
#include <sstream>

#include <doctest/doctest.h>

#include "agent/cli.hpp"

using peerlib::keys_action;
using peerlib::keys_result;

namespace {
const std::string k1 = "AAECAwQFBgcICQoLDA0ODw==";
const std::string k2 = "kZyQP8/oO2d4hDYCH3Z9ZHYGLA5hzd7yLCrGA3mH9BA=";

struct printed {
  int rc;
  std::string out, err;
};
printed print(const keys_result& r) {
  std::ostringstream out, err;
  int rc = agent::cli::print_keys(r, out, err);
  return {rc, out.str(), err.str()};
}
}  // namespace

TEST_CASE("cli keys: a successful install prints the count and Serf's success line") {
  keys_result r;
  r.action = keys_action::install;
  r.ok = true;
  r.members = 4;
  r.responses = 4;
  r.message = "4/4 members answered";
  auto p = print(r);
  CHECK(p.rc == 0);
  CHECK(p.out ==
        "==> Installing key on all members...\n"
        "==> 4/4 members answered\n"
        "==> Successfully installed key!\n");
  CHECK(p.err.empty());
}

TEST_CASE("cli keys: list prints each key with the members holding it and using it as primary") {
  keys_result r;
  r.action = keys_action::list;
  r.ok = true;
  r.members = 4;
  r.responses = 4;
  r.keys = {{k1, 4}, {k2, 1}};
  r.primary_keys = {{k1, 4}};
  auto p = print(r);
  CHECK(p.rc == 0);
  CHECK(p.out ==
        "==> Asking all members for installed keys...\n"
        "==> 4/4 members answered\n"
        "==> Keys gathered, listing cluster keys...\n"
        "\n" +
            k1 + std::string(k2.size() - k1.size() + 2, ' ') + "[4/4]  primary on 4\n" + k2 +
            "  [1/4]\n");
}

TEST_CASE("cli keys: failures name each member and why, and exit 1") {
  keys_result r;
  r.action = keys_action::use;
  r.ok = false;
  r.members = 4;
  r.responses = 3;
  r.failures = {{"c2", "no response"}, {"serf-1", "Requested key is not in the keyring"}};
  r.message = "1/4 members reported failure";
  auto p = print(r);
  CHECK(p.rc == 1);
  CHECK(p.out ==
        "==> Changing primary key on all members...\n"
        "==> 3/4 members answered\n");
  CHECK(p.err ==
        "failed: c2      no response\n"
        "failed: serf-1  Requested key is not in the keyring\n"
        "\n"
        "Error changing primary key: 1/4 members reported failure\n");
  // A refusal before any query (a bad key): no count, just the reason.
  keys_result bad;
  bad.action = keys_action::remove;
  bad.message = "bad key: not valid base64";
  p = print(bad);
  CHECK(p.rc == 1);
  CHECK(p.out == "==> Removing key on all members...\n");
  CHECK(p.err == "Error removing key: bad key: not valid base64\n");
}
