#include "agent/cache_check.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "util/host_port.hpp"

namespace agent {
namespace {

std::optional<check_target> fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return std::nullopt;
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

/// A DNS name or an IP literal: letters, digits, '-', '.', and ':' for IPv6.
bool is_host(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':';
  });
}

std::optional<std::uint16_t> read_port(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v == 0 || v > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

constexpr std::string_view forms =
    "must be tcp://HOST:PORT, http://HOST[:PORT][/PATH] or exec:COMMAND";

}  // namespace

std::string check_target::to_string() const {
  switch (kind) {
    case check_kind::tcp:
      return "tcp://" + util::join_host_port(host, port);
    case check_kind::http:
      return "http://" + util::join_host_port(host, port) + path;
    case check_kind::exec:
      return "exec:" + command;
  }
  return {};
}

std::optional<check_target> parse_check_target(std::string_view text, std::string* why) {
  check_target t;
  if (text.starts_with("exec:")) {
    t.kind = check_kind::exec;
    t.command = std::string(text.substr(5));
    if (t.command.find_first_not_of(" \t") == std::string::npos)
      return fail(why, "exec: needs a command, e.g. exec:/usr/local/bin/cache-ok");
    return t;
  }
  std::string_view rest;
  if (text.starts_with("tcp://")) {
    t.kind = check_kind::tcp;
    rest = text.substr(6);
  } else if (text.starts_with("http://")) {
    t.kind = check_kind::http;
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    return fail(why,
                "https is not supported; check the cache's plain-HTTP port on loopback, or "
                "use exec:curl -fsS https://...");
  } else {
    return fail(why, std::string(forms));
  }
  if (has_space_or_control(rest)) return fail(why, "holds a space or control character");
  std::string_view authority = rest;
  if (t.kind == check_kind::http) {
    const auto slash = rest.find_first_of("/?");
    authority = rest.substr(0, slash);
    t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (t.path.front() == '?') t.path.insert(0, "/");
    if (auto hash = t.path.find('#'); hash != std::string::npos) t.path.erase(hash);
    if (authority.find('@') != std::string_view::npos)
      return fail(why, "user names and passwords are not supported in the URL");
  } else if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return fail(why, "tcp:// takes HOST:PORT and nothing else");
  }
  auto parts = util::split_host_port(authority);
  if (!parts || !is_host(parts->host))
    return fail(why, std::string(forms) + "; HOST is a DNS name or IP address, IPv6 in brackets");
  if (parts->port) {
    auto p = read_port(*parts->port);
    if (!p) return fail(why, "the port must be 1-65535");
    t.port = *p;
  } else if (t.kind == check_kind::http) {
    t.port = 80;
  } else {
    return fail(why, "tcp:// needs a port, e.g. tcp://127.0.0.1:11211");
  }
  t.host = std::string(parts->host);
  return t;
}

std::string_view to_string(cache_state s) {
  switch (s) {
    case cache_state::starting:
      return "starting";
    case cache_state::up:
      return "up";
    case cache_state::down:
      return "down";
  }
  return "?";
}

cache_health::cache_health(unsigned failures, unsigned successes)
    : failures_(std::max(1u, failures)), successes_(std::max(1u, successes)) {}

bool cache_health::result(bool ok, clock::time_point now) {
  const bool was_up = up();
  if (ok) {
    passed_++;
    failures_in_a_row_ = 0;
    successes_in_a_row_++;
    // The first pass after start lists the node at once; a down one needs `successes`.
    if (state_ == cache_state::starting ||
        (state_ == cache_state::down && successes_in_a_row_ >= successes_)) {
      state_ = cache_state::up;
      since_ = now;
    }
  } else {
    failed_++;
    successes_in_a_row_ = 0;
    failures_in_a_row_++;
    if (state_ != cache_state::down && failures_in_a_row_ >= failures_) {
      state_ = cache_state::down;
      since_ = now;
    }
  }
  if (up() == was_up) return false;
  transitions_++;
  return true;
}

}  // namespace agent
