#include "agent/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace agent {

namespace {

std::string failure(const std::filesystem::path& p, const char* what, int err) {
  return p.string() + ": " + what + ": " + std::strerror(err);
}

/// Write all of `data` to `fd`; errno on failure.
int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

}  // namespace

std::optional<std::string> read_file(const std::filesystem::path& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = errno == ENOENT ? std::string() : failure(path, "open", errno);
    return std::nullopt;
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (error) *error = failure(path, "read", errno);
      ::close(fd);
      return std::nullopt;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

write_result write_if_changed(const std::filesystem::path& path, std::string_view content,
                              std::optional<unsigned> mode) {
  write_result r;
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    r.error = path.string() + ": not a regular file";
    return r;
  }
  if (exists) {
    std::string err;
    auto old = read_file(path, &err);
    if (old && *old == content) {
      if (mode && (st.st_mode & 07777) != *mode && ::chmod(path.c_str(), *mode) != 0) {
        r.error = failure(path, "chmod", errno);
        return r;
      }
      r.outcome = write_outcome::unchanged;
      return r;
    }
  }
  const unsigned want_mode = mode ? *mode : exists ? (st.st_mode & 07777) : 0644u;

  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    r.error = failure(tmpl, "create", errno);
    return r;
  }
  const std::string tmp(name.data());
  auto fail = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    r.error = failure(tmp, what, err);
    return r;
  };
  if (int err = write_all(fd, content)) return fail("write", err);
  if (::fchmod(fd, want_mode) != 0) return fail("chmod", errno);
  // An existing file keeps its owner when we may give it (root); otherwise ours.
  if (exists && (st.st_uid != ::geteuid() || st.st_gid != ::getegid()))
    (void)::fchown(fd, st.st_uid, st.st_gid);
  if (::fsync(fd) != 0) return fail("fsync", errno);
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    r.error = failure(tmp, "close", errno);
    return r;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    r.error = failure(path, "rename", err);
    return r;
  }
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  r.outcome = write_outcome::written;
  return r;
}

}  // namespace agent
