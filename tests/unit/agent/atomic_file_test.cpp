// agent/atomic_file: write only when the content changed, atomically, keeping
// the old file whenever writing fails.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "agent/atomic_file.hpp"
#include "support/process.hpp"

using namespace agent;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::size_t entries(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("atomic file: written once, then unchanged; the inode changes only with the content") {
  test_support::temp_dir dir("cc-atomic");
  const auto p = dir / "out.conf";
  auto r = write_if_changed(p, "one\n");
  CHECK(r.outcome == write_outcome::written);
  CHECK(read_file(p) == "one\n");
  CHECK(mode_of(p) == 0644);
  struct stat before {};
  ::stat(p.c_str(), &before);
  CHECK(write_if_changed(p, "one\n").outcome == write_outcome::unchanged);
  struct stat same {};
  ::stat(p.c_str(), &same);
  CHECK(same.st_ino == before.st_ino);  // not rewritten
  CHECK(write_if_changed(p, "two\n").outcome == write_outcome::written);
  struct stat after {};
  ::stat(p.c_str(), &after);
  CHECK(after.st_ino != before.st_ino);  // a new file renamed over the old one
  CHECK(read_file(p) == "two\n");
  CHECK(entries(dir.path()) == 1);  // no temporary file left behind
}

TEST_CASE("atomic file: mode given, or kept from the file it replaces") {
  test_support::temp_dir dir("cc-atomic");
  const auto p = dir / "out.conf";
  CHECK(write_if_changed(p, "a", 0600u).outcome == write_outcome::written);
  CHECK(mode_of(p) == 0600);
  CHECK(write_if_changed(p, "b").outcome == write_outcome::written);
  CHECK(mode_of(p) == 0600);  // kept
  CHECK(write_if_changed(p, "b", 0640u).outcome == write_outcome::unchanged);
  CHECK(mode_of(p) == 0640);  // same content, mode fixed
}

TEST_CASE("atomic file: a failed write keeps the old file and leaves no temporary file") {
  test_support::temp_dir dir("cc-atomic");
  const auto p = dir / "out.conf";
  REQUIRE(write_if_changed(p, "old\n").outcome == write_outcome::written);

  // The file size limit makes write() fail with EFBIG (SIGXFSZ ignored meanwhile).
  struct rlimit old_limit {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  auto r = write_if_changed(p, "a much longer new content\n");
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);

  CHECK(r.outcome == write_outcome::failed);
  CHECK(r.error.find("write") != std::string::npos);
  CHECK(read_file(p) == "old\n");
  CHECK(entries(dir.path()) == 1);

  // A directory that does not exist, and a destination that is a directory.
  auto missing = write_if_changed(dir / "no-such-dir" / "x", "x");
  CHECK(missing.outcome == write_outcome::failed);
  CHECK(missing.error.find("create") != std::string::npos);
  fs::create_directory(dir / "sub");
  CHECK(write_if_changed(dir / "sub", "x").outcome == write_outcome::failed);
}

TEST_CASE("atomic file: read_file tells a missing file from an unreadable one") {
  test_support::temp_dir dir("cc-atomic");
  std::string err = "unset";
  CHECK_FALSE(read_file(dir / "none", &err));
  CHECK(err.empty());
  CHECK_FALSE(read_file(dir.path(), &err));  // a directory: read fails
  CHECK_FALSE(err.empty());
}
