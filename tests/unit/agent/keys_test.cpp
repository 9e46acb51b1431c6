// Gossip keys in the agent: base64 as Serf writes it, the keyring file, the keys
// the agent starts with, and Serf's key operations applied to the running ring.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "agent/key_manager.hpp"
#include "agent/keyring_file.hpp"
#include "support/process.hpp"

using namespace agent;
using test_support::temp_dir;

namespace {

const std::string k16 = "AAECAwQFBgcICQoLDA0ODw==";  // bytes 00..0f, as in `serf keygen` form
const std::string k32 = "kZyQP8/oO2d4hDYCH3Z9ZHYGLA5hzd7yLCrGA3mH9BA=";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("keys: base64 round trips and matches Go's StdEncoding") {
  for (std::size_t n = 0; n < 40; ++n) {
    swim::bytes data(n);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 37 + 1);
    auto text = base64_encode(data);
    CHECK(text.size() == 4 * ((n + 2) / 3));
    CHECK(base64_decode(text) == data);
  }
  CHECK(base64_encode(swim::bytes{'f', 'o', 'o', 'b'}) == "Zm9vYg==");
  CHECK_FALSE(base64_decode("Zm9vYg="));     // length not a multiple of 4
  CHECK_FALSE(base64_decode("Zm9v Yg=="));   // space
  CHECK_FALSE(base64_decode("Zm9v\nYg=="));  // line break
  auto key = decode_key(k16);
  REQUIRE(key);
  CHECK(key->size() == 16);
  CHECK((*key)[15] == 15);
  std::string why;
  CHECK_FALSE(decode_key("Zm9vYg==", &why));  // 4 bytes
  CHECK(why.find("16, 24 or 32") != std::string::npos);
  CHECK_FALSE(decode_key("not base64!", &why));
  CHECK(decode_key(generate_key())->size() == 32);
  CHECK(generate_key() != generate_key());
}

TEST_CASE("keys: the keyring file is Serf's JSON array, written atomically with mode 0600") {
  temp_dir dir("keys");
  auto path = dir / "keyring.json";
  CHECK_FALSE(read_keyring_file(path));  // absent: no keys, not an error
  auto a = *decode_key(k16), b = *decode_key(k32);
  REQUIRE_FALSE(write_keyring_file(path, {b, a}));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto back = read_keyring_file(path);
  REQUIRE(back);
  CHECK(*back == std::vector<swim::bytes>{b, a});
  CHECK(slurp(path).find("\"" + k32 + "\"") < slurp(path).find("\"" + k16 + "\""));
  CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  for (const char* bad : {"{}", "[]", "[1]", "[\"Zm9vYg==\"]", "not json"}) {
    CAPTURE(bad);
    test_support::write_file(path, bad);
    CHECK_THROWS_AS(read_keyring_file(path), config_error);
  }
  // A directory that cannot hold the file: an error message, not an exception.
  CHECK(write_keyring_file(dir / "missing" / "k.json", {a}));
}

TEST_CASE("keys: start from the keyring file, else from the key (which seeds the file)") {
  temp_dir dir("keys");
  std::vector<std::string> notes;
  encrypt_config off;
  CHECK(initial_keyring(off, notes).empty());

  encrypt_config key_only;
  key_only.key = k16;
  CHECK(initial_keyring(key_only, notes).keys().size() == 1);

  encrypt_config seeded;
  seeded.key = k16;
  seeded.keyring_file = (dir / "ring.json").string();
  auto r = initial_keyring(seeded, notes);
  CHECK(r.primary() == *decode_key(k16));
  REQUIRE(read_keyring_file(seeded.keyring_file));  // written on first start

  // The file wins: a key not in it is installed, but the file's primary stays primary.
  REQUIRE_FALSE(write_keyring_file(seeded.keyring_file, {*decode_key(k32)}));
  notes.clear();
  auto r2 = initial_keyring(seeded, notes);
  CHECK(r2.primary() == *decode_key(k32));
  CHECK(r2.keys().size() == 2);
  CHECK(notes.size() == 1);

  encrypt_config no_file_no_key;
  no_file_no_key.keyring_file = (dir / "absent.json").string();
  CHECK_THROWS_AS(initial_keyring(no_file_no_key, notes), config_error);
}

TEST_CASE("keys: install, use and remove reach the node and the keyring file") {
  temp_dir dir("keys");
  encrypt_config cfg;
  cfg.key = k16;
  cfg.keyring_file = (dir / "ring.json").string();
  std::vector<std::string> notes;
  std::vector<swim::keyring> applied;
  key_manager km(cfg, initial_keyring(cfg, notes), [&](const swim::keyring& r) { applied.push_back(r); });
  CHECK(km.list() == std::vector<std::string>{k16});

  CHECK_FALSE(km.install(k32));
  REQUIRE(applied.size() == 1);
  CHECK(applied.back().keys().size() == 2);
  CHECK_FALSE(km.install(k32));  // again: no change, nothing applied
  CHECK(applied.size() == 1);

  CHECK(km.remove(k16));          // the primary cannot be removed
  CHECK_FALSE(km.use(k32));
  CHECK(km.list() == std::vector<std::string>{k32, k16});
  CHECK_FALSE(km.remove(k16));
  CHECK(km.list() == std::vector<std::string>{k32});
  CHECK(applied.back().keys().size() == 1);
  // A restart reads what the operations left behind.
  CHECK(*read_keyring_file(cfg.keyring_file) == std::vector<swim::bytes>{*decode_key(k32)});

  CHECK(km.use("Zm9vYg=="));  // wrong size
  CHECK(km.install("***"));
  key_manager plain(encrypt_config{}, swim::keyring{}, [](const swim::keyring&) {});
  CHECK(plain.install(k16).value().find("not enabled") != std::string::npos);
}
