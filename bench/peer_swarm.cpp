// peer-swarm: one process that impersonates K memberlist members on loopback, answering just
// enough of the protocol for one real agent to hold all K as alive members. It measures the
// agent's memory and CPU with thousands of peers on a machine that cannot run thousands of
// agents (scripts/peers-figures.sh).
//
//   peer-swarm --count K [--ip 127.0.0.1] [--base-port 20000] [--name-prefix swarm-]
//              [--meta-bytes N] [--no-compress]
//
// Member i is NAME_PREFIX+i at IP:BASE+i, with one UDP socket and one TCP listener.
//   UDP ping to member i          -> ack_resp{seq} from member i's socket (to SourceAddr/Port
//                                    when the ping carries them, else to the datagram's source)
//   UDP indirect ping request     -> ack_resp{req.seq} to the requester, as if the target had
//                                    answered (every member of the swarm is alive)
//   anything else (gossip, acks, user messages)  -> counted, ignored
//   TCP push-pull (join or not)   -> a push-pull holding the K members (alive, incarnation 1,
//                                    swim::default_vsn()), compressed unless --no-compress
//   TCP ping                      -> ack_resp
// A malformed datagram or frame is counted and dropped. One line of counters goes to stderr
// every 10 s, at once on SIGUSR1, and at exit (SIGINT/SIGTERM). Binds only to 127.0.0.0/8.

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio.hpp>
#include <sys/resource.h>

#include "swim/bytes.hpp"
#include "swim/messages.hpp"
#include "swim/tags.hpp"
#include "swim/wire.hpp"

namespace {

namespace net = boost::asio;
using net::ip::tcp;
using net::ip::udp;

struct options {
  std::size_t count = 0;
  std::string ip = "127.0.0.1";
  unsigned base_port = 20000;
  std::string prefix = "swarm-";
  std::size_t meta_bytes = 0;
  bool compress = true;
};

struct counters {
  std::uint64_t pings = 0;               // UDP pings answered
  std::uint64_t indirect = 0;            // indirect ping requests answered
  std::uint64_t push_pulls = 0;          // TCP push-pulls answered (joins included)
  std::uint64_t joins = 0;               // of which join
  std::uint64_t tcp_pings = 0;           // TCP pings answered
  std::uint64_t ignored = 0;             // well-formed messages we do not answer
  std::uint64_t malformed = 0;           // rejected datagram parts and stream frames
  std::uint64_t send_errors = 0;         // UDP sends or TCP writes that failed
  std::uint64_t incomplete_streams = 0;  // connections closed or timed out before a whole frame
};

void print_counters(const counters& c, const char* when) {
  std::fprintf(
      stderr,
      "peer-swarm %s: pings=%llu indirect=%llu push_pulls=%llu (joins=%llu) tcp_pings=%llu "
      "ignored=%llu malformed=%llu send_errors=%llu incomplete_streams=%llu\n",
      when, static_cast<unsigned long long>(c.pings), static_cast<unsigned long long>(c.indirect),
      static_cast<unsigned long long>(c.push_pulls), static_cast<unsigned long long>(c.joins),
      static_cast<unsigned long long>(c.tcp_pings), static_cast<unsigned long long>(c.ignored),
      static_cast<unsigned long long>(c.malformed), static_cast<unsigned long long>(c.send_errors),
      static_cast<unsigned long long>(c.incomplete_streams));
}

class swarm;

/// One accepted TCP connection: read one frame, answer it, close.
class session : public std::enable_shared_from_this<session> {
 public:
  session(swarm& s, tcp::socket sock, std::size_t member)
      : sw_(s), sock_(std::move(sock)), timer_(sock_.get_executor()), member_(member) {}
  void start();

 private:
  void read();
  void on_frame(const swim::wire::stream_message& m);
  void write(swim::bytes reply);
  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    sock_.shutdown(tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }

  swarm& sw_;
  tcp::socket sock_;
  net::steady_timer timer_;
  std::size_t member_;
  swim::bytes buf_;
  std::array<std::uint8_t, 16384> chunk_{};
  swim::wire::stream_parser parser_;
  bool done_ = false;
};

class swarm {
 public:
  swarm(net::io_context& io, options o) : io_(io), opt_(std::move(o)), report_(io) {}

  /// Opens every socket; throws (caught in main) when one cannot be bound.
  void open() {
    const auto ip = net::ip::make_address_v4(opt_.ip);
    build_replies(ip);
    members_.reserve(opt_.count);
    for (std::size_t i = 0; i < opt_.count; ++i) {
      const auto port = static_cast<std::uint16_t>(opt_.base_port + i);
      auto m = std::make_unique<member>(io_);
      m->name = opt_.prefix + std::to_string(i);
      try {
        m->dgram.open(udp::v4());
        m->dgram.bind(udp::endpoint(ip, port));
        m->dgram.non_blocking(true);
        m->listener.open(tcp::v4());
        m->listener.set_option(tcp::acceptor::reuse_address(true));
        m->listener.bind(tcp::endpoint(ip, port));
        m->listener.listen(64);
      } catch (const boost::system::system_error& e) {
        throw std::runtime_error(m->name + " at " + opt_.ip + ":" + std::to_string(port) + ": " +
                                 e.what());
      }
      members_.push_back(std::move(m));
    }
    for (std::size_t i = 0; i < members_.size(); ++i) {
      wait_udp(i);
      accept(i);
    }
    tick();
  }

  const std::string& name(std::size_t i) const { return members_[i]->name; }
  const swim::bytes& push_pull_reply(bool join) const { return join ? pp_join_ : pp_plain_; }
  swim::bytes stream_frame(swim::bytes frame) const {
    return opt_.compress ? swim::wire::compress(frame) : frame;
  }
  counters& stats() { return st_; }

 private:
  struct member {
    explicit member(net::io_context& io) : dgram(io), listener(io) {}
    std::string name;
    udp::socket dgram;
    tcp::acceptor listener;
  };

  void build_replies(const net::ip::address_v4& ip) {
    swim::bytes meta;
    if (opt_.meta_bytes > 0) {
      // One Serf tag, its value sized so that the meta is N bytes (or just under: the string
      // headers grow at 32 and 256 bytes; never under 8, the smallest such tag). N <= 512,
      // memberlist's limit, was checked.
      const auto n = static_cast<long>(opt_.meta_bytes);
      long pad = 1;
      for (int round = 0; round < 4; ++round) {
        meta = swim::encode_tags({{"pad", std::string(static_cast<std::size_t>(pad), 'x')}});
        const long next = pad + n - static_cast<long>(meta.size());
        if (next == pad || next < 1) break;
        pad = next;
      }
      while (meta.size() > opt_.meta_bytes && pad > 1) {
        --pad;
        meta = swim::encode_tags({{"pad", std::string(static_cast<std::size_t>(pad), 'x')}});
      }
    }
    const auto a = ip.to_bytes();
    swim::push_pull pp;
    pp.states.reserve(opt_.count);
    for (std::size_t i = 0; i < opt_.count; ++i) {
      swim::push_node_state s;
      s.name = opt_.prefix + std::to_string(i);
      s.addr.assign(a.begin(), a.end());
      s.port = static_cast<std::uint16_t>(opt_.base_port + i);
      s.meta = meta;
      s.incarnation = 1;
      s.state = swim::member_state::alive;
      s.vsn = swim::default_vsn();
      pp.states.push_back(std::move(s));
    }
    pp.join = false;
    pp_plain_ = stream_frame(swim::wire::encode(pp));
    pp.join = true;
    pp_join_ = stream_frame(swim::wire::encode(pp));
    std::fprintf(stderr,
                 "peer-swarm: push-pull reply of %zu members (meta %zu bytes) is %zu bytes%s\n",
                 opt_.count, meta.size(), pp_plain_.size(), opt_.compress ? " (LZW)" : "");
  }

  // Readiness wait, then drain with one shared buffer: K sockets, one 64 KiB buffer.
  void wait_udp(std::size_t i) {
    members_[i]->dgram.async_wait(udp::socket::wait_read, [this, i](boost::system::error_code ec) {
      if (ec) return;  // closed at shutdown
      drain_udp(i);
      wait_udp(i);
    });
  }

  void drain_udp(std::size_t i) {
    auto& sock = members_[i]->dgram;
    for (int n = 0; n < 64; ++n) {
      udp::endpoint from;
      boost::system::error_code ec;
      const std::size_t len = sock.receive_from(net::buffer(rx_), from, 0, ec);
      if (ec == net::error::would_block || ec == net::error::try_again) return;
      if (ec) {
        st_.malformed++;  // e.g. ECONNREFUSED from an earlier send: nothing to answer
        continue;
      }
      on_datagram(i, from, swim::byte_view(rx_.data(), len));
    }
  }

  void on_datagram(std::size_t i, const udp::endpoint& from, swim::byte_view data) {
    const auto u = swim::wire::unpack_packet(data);
    st_.malformed += u.errors.size();
    for (const auto& msg : u.messages) {
      if (const auto* p = std::get_if<swim::ping>(&msg)) {
        if (!p->node.empty() && p->node != members_[i]->name) {
          st_.ignored++;  // memberlist ignores a ping meant for another node
          continue;
        }
        send(i, reply_to(from, p->source_addr, p->source_port),
             swim::wire::encode(swim::ack_resp{p->seq_no, {}}));
        st_.pings++;
      } else if (const auto* r = std::get_if<swim::indirect_ping_req>(&msg)) {
        send(i, reply_to(from, r->source_addr, r->source_port),
             swim::wire::encode(swim::ack_resp{r->seq_no, {}}));
        st_.indirect++;
      } else {
        st_.ignored++;
      }
    }
  }

  static udp::endpoint reply_to(const udp::endpoint& from, const swim::bytes& addr,
                                std::uint16_t port) {
    if (port == 0) return from;
    if (addr.size() == 4) {
      net::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), addr.data(), 4);
      return {net::ip::address_v4(b), port};
    }
    if (addr.size() == 16) {
      net::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), addr.data(), 16);
      net::ip::address_v6 v6(b);
      if (v6.is_v4_mapped()) return {net::ip::make_address_v4(net::ip::v4_mapped, v6), port};
    }
    return from;
  }

  void send(std::size_t i, const udp::endpoint& to, const swim::bytes& msg) {
    // Loopback only: never answer anyone outside 127.0.0.0/8.
    if (!to.address().is_v4() || !to.address().to_v4().is_loopback()) {
      st_.ignored++;
      return;
    }
    boost::system::error_code ec;
    members_[i]->dgram.send_to(net::buffer(msg), to, 0, ec);
    if (ec) st_.send_errors++;
  }

  void accept(std::size_t i) {
    members_[i]->listener.async_accept([this, i](boost::system::error_code ec, tcp::socket sock) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) std::make_shared<session>(*this, std::move(sock), i)->start();
      // EMFILE and the like: keep accepting; the peer retries.
      accept(i);
    });
  }

  void tick() {
    report_.expires_after(std::chrono::seconds(10));
    report_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      print_counters(st_, "10s");
      tick();
    });
  }

 public:
  void stop() {
    report_.cancel();
    boost::system::error_code ignored;
    for (auto& m : members_) {
      m->dgram.close(ignored);
      m->listener.close(ignored);
    }
  }

 private:
  net::io_context& io_;
  options opt_;
  net::steady_timer report_;
  std::vector<std::unique_ptr<member>> members_;
  std::array<std::uint8_t, 65536> rx_{};
  swim::bytes pp_plain_, pp_join_;
  counters st_;
};

void session::start() {
  timer_.expires_after(std::chrono::seconds(10));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->done_) return;
    self->sw_.stats().incomplete_streams++;
    self->done_ = true;
    self->close();
  });
  read();
}

void session::read() {
  sock_.async_read_some(net::buffer(chunk_), [self = shared_from_this()](
                                                 boost::system::error_code ec, std::size_t n) {
    if (self->done_) return;
    if (ec) {
      self->sw_.stats().incomplete_streams++;  // closed before a whole frame
      self->done_ = true;
      self->close();
      return;
    }
    self->buf_.insert(self->buf_.end(), self->chunk_.begin(), self->chunk_.begin() + n);
    const auto r = self->parser_.parse(self->buf_);
    if (r.status == swim::wire::parse_status::indeterminate) {
      self->read();
      return;
    }
    self->done_ = true;
    if (r.status == swim::wire::parse_status::bad) {
      self->sw_.stats().malformed++;
      self->close();
      return;
    }
    self->on_frame(r.message);
  });
}

void session::on_frame(const swim::wire::stream_message& m) {
  auto& st = sw_.stats();
  if (const auto* pp = std::get_if<swim::push_pull>(&m)) {
    st.push_pulls++;
    if (pp->join) st.joins++;
    write(sw_.push_pull_reply(pp->join));
    return;
  }
  if (const auto* p = std::get_if<swim::ping>(&m)) {
    if (p->node.empty() || p->node == sw_.name(member_)) {
      st.tcp_pings++;
      write(sw_.stream_frame(swim::wire::encode(swim::ack_resp{p->seq_no, {}})));
      return;
    }
  }
  st.ignored++;  // a user message, a ping for someone else, an ack or error: no reply
  close();
}

void session::write(swim::bytes reply) {
  auto data = std::make_shared<swim::bytes>(std::move(reply));
  net::async_write(sock_, net::buffer(*data),
                   [self = shared_from_this(), data](boost::system::error_code ec, std::size_t) {
                     if (ec) self->sw_.stats().send_errors++;
                     self->close();
                   });
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "peer-swarm: %s\n"
               "usage: peer-swarm --count K [--ip 127.0.0.1] [--base-port 20000] "
               "[--name-prefix swarm-] [--meta-bytes N] [--no-compress]\n",
               why);
  std::exit(64);
}

std::size_t parse_number(std::string_view flag, std::string_view v, std::size_t max) {
  std::size_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size() || out > max) {
    std::string why = std::string(flag) + ": not a number in 0.." + std::to_string(max);
    usage(why.c_str());
  }
  return out;
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage((std::string(a) + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "--count") {
      o.count = parse_number(a, value(), 60000);
    } else if (a == "--ip") {
      o.ip = value();
    } else if (a == "--base-port") {
      o.base_port = static_cast<unsigned>(parse_number(a, value(), 65535));
    } else if (a == "--name-prefix") {
      o.prefix = value();
    } else if (a == "--meta-bytes") {
      o.meta_bytes = parse_number(a, value(), swim::meta_max_size);
    } else if (a == "--no-compress") {
      o.compress = false;
    } else if (a == "-h" || a == "--help") {
      usage("impersonates K memberlist members on loopback");
    } else {
      usage(("unknown argument " + std::string(a)).c_str());
    }
  }
  if (o.count == 0) usage("--count K (>= 1) is required");
  boost::system::error_code ec;
  const auto ip = net::ip::make_address_v4(o.ip, ec);
  if (ec || !ip.is_loopback()) usage("--ip must be an IPv4 address in 127.0.0.0/8");
  if (o.base_port == 0 || o.base_port + o.count - 1 > 65535)
    usage("--base-port .. base-port+K-1 must lie in 1..65535");
  if (o.prefix.empty()) usage("--name-prefix must not be empty");
  return o;
}

/// Raise the soft open-file limit to the hard one; false when K members cannot fit.
bool raise_fd_limit(std::size_t count) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    std::fprintf(stderr, "peer-swarm: setrlimit(RLIMIT_NOFILE): %s\n", std::strerror(errno));
    return false;
  }
  // Two per member, plus connections in flight, the epoll descriptors and stdio.
  const std::size_t need = 2 * count + 64;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
    std::fprintf(stderr,
                 "peer-swarm: %zu members need about %zu file descriptors; the hard limit is %llu "
                 "(raise it with ulimit -Hn as root, or lower --count)\n",
                 count, need, static_cast<unsigned long long>(rl.rlim_cur));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_args(argc, argv);
  if (!raise_fd_limit(opt.count)) return 1;
  try {
    net::io_context io(1);
    swarm sw(io, opt);
    net::signal_set stop_signals(io, SIGINT, SIGTERM);
    stop_signals.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      sw.stop();
      io.stop();
    });
    // SIGUSR1: print the counters now (scripts/peers-figures.sh reads them around its window).
    net::signal_set report_signal(io, SIGUSR1);
    std::function<void(boost::system::error_code, int)> on_usr1 = [&](boost::system::error_code ec,
                                                                      int) {
      if (ec) return;
      print_counters(sw.stats(), "now");
      report_signal.async_wait(on_usr1);
    };
    report_signal.async_wait(on_usr1);
    sw.open();
    std::fprintf(stderr, "peer-swarm: %zu members %s0..%zu at %s:%u..%zu\n", opt.count,
                 opt.prefix.c_str(), opt.count - 1, opt.ip.c_str(), opt.base_port,
                 opt.base_port + opt.count - 1);
    io.run();
    print_counters(sw.stats(), "exit");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "peer-swarm: %s\n", e.what());
    return 1;
  }
  return 0;
}
