#include "agent/cli.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>

#include "peerlib/protocol.hpp"

namespace agent::cli {
namespace {

using nlohmann::json;

/// A connected Unix socket, closed on scope exit.
class connection {
 public:
  explicit connection(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      error_ = std::strerror(errno);
      return;
    }
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) {
      error_ = "socket path too long";
      return;
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size());
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) error_ = std::strerror(errno);
  }
  ~connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }

  bool send_line(const std::string& line) {
    std::string buf = line + "\n";
    std::size_t off = 0;
    while (off < buf.size()) {
      ssize_t n = ::send(fd_, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return error_ = std::strerror(errno), false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// Next line without the newline; nullopt at EOF or error.
  std::optional<std::string> read_line() {
    while (true) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      char tmp[16384];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string error_;
  std::string buf_;
};

int no_agent(const std::string& socket, const std::string& why, std::ostream& err) {
  err << "cachecluster: cannot reach the agent at " << socket << ": " << why
      << " (is `cachecluster agent` running? --socket picks another path)\n";
  return 1;
}

/// Send one request and read one reply line.
std::optional<std::string> request(const std::string& socket, const std::string& req,
                                   std::ostream& err, int& status) {
  connection c(socket);
  if (!c.ok() || !c.send_line(req)) {
    status = no_agent(socket, c.error(), err);
    return std::nullopt;
  }
  auto line = c.read_line();
  if (!line) {
    err << "cachecluster: the agent closed the connection without a reply\n";
    status = 1;
  }
  return line;
}

int print_result(const std::string& line, std::ostream& out, std::ostream& err) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    err << "cachecluster: unexpected reply: " << line << "\n";
    return 1;
  }
  std::string msg = j.value("message", "");
  if (j.value("type", "") == "result" && j.value("ok", false)) {
    out << msg << "\n";
    return 0;
  }
  err << "cachecluster: " << msg << "\n";
  return 1;
}

}  // namespace

std::string format_members(const std::string& members_json, const std::optional<std::string>& status,
                           std::string* error) {
  json j = json::parse(members_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("members") || !j["members"].is_array()) {
    if (error) *error = "unexpected members document";
    return {};
  }
  std::vector<std::array<std::string, 4>> rows;
  for (const auto& m : j["members"]) {
    std::string state = m.value("state", "");
    if (status && state != *status) continue;
    std::string addr = m.value("address", "");
    if (addr.find(':') != std::string::npos) addr = "[" + addr + "]";
    addr += ":" + std::to_string(m.value("port", 0));
    std::string tags;
    if (m.contains("tags") && m["tags"].is_object())
      for (const auto& [k, v] : m["tags"].items())
        tags += (tags.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    rows.push_back({m.value("name", ""), addr, state, tags});
  }
  std::array<std::size_t, 3> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < 3; ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < 3; ++i) out += r[i] + std::string(width[i] - r[i].size() + 2, ' ');
    out += r[3];
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  return out;
}

int members(const std::string& socket, bool as_json, const std::optional<std::string>& status,
            std::ostream& out, std::ostream& err) {
  int rc = 0;
  auto line = request(socket, peerlib::protocol::encode_request("members"), err, rc);
  if (!line) return rc;
  if (as_json) {
    json j = json::parse(*line, nullptr, false);
    if (status && !j.is_discarded() && j.contains("members")) {
      json kept = json::array();
      for (const auto& m : j["members"])
        if (m.value("state", "") == *status) kept.push_back(m);
      j["members"] = kept;
    }
    out << (j.is_discarded() ? *line : j.dump(2)) << "\n";
    return 0;
  }
  std::string e;
  std::string table = format_members(*line, status, &e);
  if (!e.empty()) {
    err << "cachecluster: " << e << "\n";
    return 1;
  }
  out << table;
  return 0;
}

int watch(const std::string& socket, std::ostream& out, std::ostream& err) {
  connection c(socket);
  if (!c.ok() || !c.send_line(peerlib::protocol::encode_request("subscribe")))
    return no_agent(socket, c.error(), err);
  while (auto line = c.read_line()) out << *line << std::endl;
  err << "cachecluster: the agent closed the connection\n";
  return 0;
}

int join(const std::string& socket, const std::vector<std::string>& addresses, std::ostream& out,
         std::ostream& err) {
  int rc = 0;
  auto line = request(socket, peerlib::protocol::encode_request("join", addresses), err, rc);
  return line ? print_result(*line, out, err) : rc;
}

int leave(const std::string& socket, std::ostream& out, std::ostream& err) {
  int rc = 0;
  auto line = request(socket, peerlib::protocol::encode_request("leave"), err, rc);
  return line ? print_result(*line, out, err) : rc;
}

}  // namespace agent::cli
