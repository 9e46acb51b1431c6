// The Asio glue for swim::node. Each handler starts with the same check: a
// closed driver ignores completions (operation_aborted is normal shutdown).
// Streams follow memberlist: one request and at most one reply per connection,
// then both sides close; the whole exchange has one deadline.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include "swim/asio/driver.hpp"

#include <boost/asio.hpp>

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <system_error>

namespace swim::asio {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
using net::ip::udp;

time_point now() {
  return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
}

std::chrono::steady_clock::time_point to_steady(time_point t) {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch()));
}

net::ip::address to_ip(const address& a) {
  if (a.is_v4()) {
    net::ip::address_v4::bytes_type b;
    std::copy_n(a.ip.begin(), 4, b.begin());
    return net::ip::address_v4(b);
  }
  net::ip::address_v6::bytes_type b;
  std::copy_n(a.ip.begin(), 16, b.begin());
  return net::ip::address_v6(b);
}

address from_ip(const net::ip::address& ip, std::uint16_t port) {
  if (ip.is_v4()) {
    auto b = ip.to_v4().to_bytes();
    return *address::from_ip_bytes({b.data(), b.size()}, port);
  }
  auto b = ip.to_v6().to_bytes();
  return *address::from_ip_bytes({b.data(), b.size()}, port);
}

constexpr std::size_t read_chunk = 16 * 1024;

/// An IPv4 or IPv6 socket address (v4-mapped v6 is folded to v4), or nullopt.
std::optional<address> from_sockaddr(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return address::from_ip_bytes({reinterpret_cast<const std::uint8_t*>(&in->sin_addr), 4},
                                  ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return address::from_ip_bytes({reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr), 16},
                                  ntohs(in6->sin6_port));
  }
  return std::nullopt;
}

bool same_ip(const address& a, const address& b) {
  return a.ip_len == b.ip_len && std::equal(a.ip.begin(), a.ip.begin() + a.ip_len, b.ip.begin());
}

}  // namespace

struct driver::impl : transport, std::enable_shared_from_this<impl> {
  impl(net::io_context& ctx, driver_options o)
      : io(ctx), opt(std::move(o)), udp_sock(ctx), acceptor(ctx), timer(ctx), leave_timer(ctx) {}

  net::io_context& io;
  driver_options opt;
  udp::socket udp_sock;
  tcp::acceptor acceptor;
  net::steady_timer timer;
  net::steady_timer leave_timer;
  std::optional<swim::node> n;
  driver_stats st;
  wire::limits lim;
  std::array<std::uint8_t, 65536> rbuf{};
  udp::endpoint rfrom;
  std::size_t inbound_active = 0;
  bool closed = false;
  std::optional<time_point> armed;
  std::function<void(bool)> leave_done;  // pending driver::leave callback

  /// Passes every event on to the user's delegate and takes the end of a leave for the
  /// driver itself.
  struct relay final : delegate {
    relay(impl& o, delegate& u) : owner(o), user(u) {}
    impl& owner;
    delegate& user;
    void on_member_event(const member& m, member_event ev) override { user.on_member_event(m, ev); }
    void on_user_message(byte_view payload) override { user.on_user_message(payload); }
    void on_conflict(const member& a, const member& b) override { user.on_conflict(a, b); }
    void on_join_result(const address& seed, bool ok) override { user.on_join_result(seed, ok); }
    void on_leave_complete() override {
      user.on_leave_complete();
      // Reported from inside a node entry point: finish outside it.
      net::post(owner.io, [self = owner.shared_from_this()] { self->finish_leave(true); });
    }
  };
  std::optional<relay> events;

  void finish_leave(bool complete) {
    if (closed || !leave_done) return;
    leave_timer.cancel();
    auto done = std::move(leave_done);
    leave_done = nullptr;
    done(complete);
  }

  /// A bind error as std::system_error: "UDP bind 10.0.0.2:7946: Address already in use".
  [[noreturn]] static void bind_failed(const char* what, const address& a,
                                       const boost::system::error_code& ec) {
    throw std::system_error(std::error_code(ec.value(), std::system_category()),
                            std::string(what) + " " + a.to_string());
  }

  void bind() {
    net::ip::address ip = to_ip(opt.bind);
    udp::endpoint uep(ip, opt.bind.port);
    boost::system::error_code ec;
    // No SO_REUSEADDR on UDP: on Linux it lets a second process bind the same address and
    // port and take a share of its datagrams. A second agent must fail here instead.
    udp_sock.open(uep.protocol(), ec);
    if (!ec) udp_sock.bind(uep, ec);
    if (ec) bind_failed("UDP bind", opt.bind, ec);
    // Bind TCP to the same port UDP got (they must match: peers use one port for both).
    std::uint16_t port = udp_sock.local_endpoint().port();
    tcp::endpoint tep(ip, port);
    // SO_REUSEADDR on TCP only lets the listener bind past connections in TIME_WAIT; Linux
    // still refuses a second listener on the same address and port.
    acceptor.open(tep.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(tep, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) bind_failed("TCP bind", from_ip(ip, port), ec);
    boost::system::error_code ignored;
    udp_sock.set_option(net::socket_base::receive_buffer_size(opt.udp_receive_buffer), ignored);
    // ICMP errors for our datagrams are queued on the socket (read_error_queue): a port
    // unreachable from a member's host means its agent is gone.
    const int on = 1;
    if (ip.is_v4())
      ::setsockopt(udp_sock.native_handle(), SOL_IP, IP_RECVERR, &on, sizeof on);
    else
      ::setsockopt(udp_sock.native_handle(), SOL_IPV6, IPV6_RECVERR, &on, sizeof on);
  }

  // ---- timer ----

  void rearm() {
    if (closed) return;
    time_point next = n->next_deadline();
    if (armed && *armed == next) return;
    armed = next;
    timer.expires_at(to_steady(next));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed) return;
      self->armed.reset();
      self->n->tick(now());
      self->rearm();
    });
  }

  // ---- UDP ----

  void receive() {
    udp_sock.async_receive_from(
        net::buffer(rbuf), rfrom,
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t len) {
          if (self->closed || ec == net::error::operation_aborted) return;
          if (!ec) {
            address from = from_ip(self->rfrom.address(), self->rfrom.port());
            self->n->on_packet(from, byte_view(self->rbuf.data(), len), now());
            self->rearm();
          }
          // Errors such as ICMP-induced ECONNREFUSED on Linux are per-datagram: read what the
          // kernel queued about them, and keep going.
          if (ec) self->read_error_queue();
          self->receive();
        });
  }

  /// Drain the socket's error queue (IP_RECVERR): each ICMP port unreachable sent by the very
  /// host we addressed becomes node::on_unreachable. ICMP from any other host (a router, a
  /// forger elsewhere) and other errors are only counted.
  void read_error_queue() {
    const int fd = udp_sock.native_handle();
    for (int i = 0; i < 64; ++i) {  // bounded: a flood of errors cannot hold the thread
      sockaddr_storage dest{};
      std::array<std::uint8_t, 64> data{};
      std::array<char, 512> control{};
      iovec iov{data.data(), data.size()};
      msghdr msg{};
      msg.msg_name = &dest;
      msg.msg_namelen = sizeof dest;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        const bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
        const bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if (!v4 && !v6) continue;
        sock_extended_err ee{};
        std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
        const bool port_unreachable =
            (v4 && ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == 3 && ee.ee_code == 3) ||
            (v6 && ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == 1 && ee.ee_code == 4);
        if (!port_unreachable) {
          st.icmp_errors_other++;
          continue;
        }
        // The offender follows the extended error in the control data.
        const auto* offender = reinterpret_cast<const sockaddr*>(
            reinterpret_cast<const std::uint8_t*>(CMSG_DATA(c)) + sizeof(sock_extended_err));
        auto to = from_sockaddr(reinterpret_cast<const sockaddr*>(&dest));
        auto by = from_sockaddr(offender);
        if (!to || !by || !same_ip(*to, *by)) {
          st.icmp_errors_other++;
          continue;
        }
        st.icmp_port_unreachable++;
        n->on_unreachable(*to, swim::node::unreachable::port_unreachable, now());
      }
    }
    rearm();
  }

  void send_packet(const address& to, bytes packet) override {
    if (closed) return;
    auto buf = std::make_shared<bytes>(std::move(packet));
    udp::endpoint ep(to_ip(to), to.port);
    udp_sock.async_send_to(net::buffer(*buf), ep,
                           [self = shared_from_this(), buf](const boost::system::error_code& ec,
                                                            std::size_t) {
                             if (ec && ec != net::error::operation_aborted)
                               self->st.udp_send_errors++;
                           });
  }

  // ---- TCP: inbound ----

  struct inbound : std::enable_shared_from_this<inbound> {
    inbound(std::shared_ptr<impl> d, tcp::socket s)
        : drv(std::move(d)), sock(std::move(s)), deadline(drv->io) {}
    std::shared_ptr<impl> drv;
    tcp::socket sock;
    net::steady_timer deadline;
    bytes buf;
    wire::stream_parser parser;  // resumes a plain push-pull after each read (linear cost)
    std::array<std::uint8_t, read_chunk> chunk{};
    bytes reply;

    void start() {
      deadline.expires_after(drv->n->cfg().t.tcp_timeout);
      deadline.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec) return;
        self->drv->st.stream_timeouts++;
        boost::system::error_code ignored;
        self->sock.close(ignored);
      });
      read();
    }

    void read() {
      sock.async_read_some(net::buffer(chunk), [self = shared_from_this()](
                                                   const boost::system::error_code& ec,
                                                   std::size_t len) {
        self->on_read(ec, len);
      });
    }

    void on_read(const boost::system::error_code& ec, std::size_t len) {
      if (drv->closed) return finish();
      buf.insert(buf.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(len));
      auto [r, error_reply] = drv->n->read_stream(buf, parser);
      if (r.status == wire::parse_status::good) {
        address from = remote();
        auto out = drv->n->on_stream(from, r.message, now());
        drv->rearm();
        if (!out) return finish();
        reply = std::move(*out);
        return write_reply();
      }
      if (r.status == wire::parse_status::bad) {
        drop(r.err);
        if (error_reply) {  // memberlist's answer to an encryption mismatch
          reply = std::move(*error_reply);
          return write_reply();
        }
        return finish();
      }
      if (ec) {  // EOF or error before a complete frame
        if (!buf.empty()) drop(wire::error::truncated);
        return finish();
      }
      if (buf.size() > drv->opt.max_stream_bytes) {
        drop(wire::error::too_large);
        return finish();
      }
      read();
    }

    void write_reply() {
      net::async_write(sock, net::buffer(reply),
                       [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
                         self->finish();
                       });
    }

    address remote() const {
      boost::system::error_code ec;
      auto ep = sock.remote_endpoint(ec);
      return ec ? address{} : from_ip(ep.address(), ep.port());
    }

    void drop(wire::error e) { drv->st.stream_drops[static_cast<std::size_t>(e)]++; }

    void finish() {
      boost::system::error_code ignored;
      deadline.cancel();
      if (sock.is_open()) {
        sock.shutdown(tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
      }
    }

    ~inbound() { drv->inbound_active--; }
  };

  void accept() {
    acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                      tcp::socket sock) {
      if (self->closed || ec == net::error::operation_aborted) return;
      if (!ec) {
        if (self->inbound_active >= self->opt.max_inbound_streams) {
          // Over the cap: close without a reply, as memberlist does past 128 push-pulls.
          self->st.inbound_streams_rejected++;
          boost::system::error_code ignored;
          sock.close(ignored);
        } else {
          self->st.inbound_streams++;
          self->inbound_active++;
          std::make_shared<inbound>(self, std::move(sock))->start();
        }
      }
      self->accept();
    });
  }

  // ---- TCP: outbound ----

  struct outbound : std::enable_shared_from_this<outbound> {
    outbound(std::shared_ptr<impl> d, stream_id i, bytes f, bool want)
        : drv(std::move(d)), sock(drv->io), deadline(drv->io), id(i), frame(std::move(f)),
          expect_reply(want) {}
    std::shared_ptr<impl> drv;
    tcp::socket sock;
    net::steady_timer deadline;
    stream_id id;
    bytes frame;
    bool expect_reply;
    bool done = false;
    bytes buf;
    wire::stream_parser parser;  // resumes a plain push-pull after each read (linear cost)
    std::array<std::uint8_t, read_chunk> chunk{};

    void start(const address& to, time_point until) {
      deadline.expires_at(to_steady(until));
      deadline.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->done) return;
        self->drv->st.stream_timeouts++;
        self->finish(std::nullopt);
      });
      sock.async_connect(tcp::endpoint(to_ip(to), to.port),
                         [self = shared_from_this(), to](const boost::system::error_code& ec) {
                           if (self->done) return;
                           if (ec) {
                             self->drv->st.stream_connect_failures++;
                             // A reset from the host itself: nothing listens on the port.
                             if (ec == net::error::connection_refused && !self->drv->closed) {
                               self->drv->n->on_unreachable(
                                   to, swim::node::unreachable::connection_refused, now());
                               self->drv->rearm();
                             }
                             return self->finish(std::nullopt);
                           }
                           self->write();
                         });
    }

    void write() {
      net::async_write(sock, net::buffer(frame),
                       [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                         if (self->done) return;
                         if (ec || !self->expect_reply) return self->finish(std::nullopt);
                         self->read();
                       });
    }

    void read() {
      sock.async_read_some(net::buffer(chunk), [self = shared_from_this()](
                                                   const boost::system::error_code& ec,
                                                   std::size_t len) {
        if (self->done) return;
        self->buf.insert(self->buf.end(), self->chunk.begin(),
                         self->chunk.begin() + static_cast<std::ptrdiff_t>(len));
        auto r = self->drv->n->read_stream(self->buf, self->parser).frame;  // needs no answer
        if (r.status == wire::parse_status::good) return self->finish(std::move(r.message));
        if (r.status == wire::parse_status::bad) {
          self->drv->st.stream_drops[static_cast<std::size_t>(r.err)]++;
          return self->finish(std::nullopt);
        }
        if (ec || self->buf.size() > self->drv->opt.max_stream_bytes)
          return self->finish(std::nullopt);
        self->read();
      });
    }

    void finish(std::optional<wire::stream_message> reply) {
      if (done) return;
      done = true;
      boost::system::error_code ignored;
      deadline.cancel();
      sock.close(ignored);
      if (drv->closed) return;
      drv->n->on_stream_reply(id, reply, now());
      drv->rearm();
    }
  };

  void send_stream(stream_id id, const address& to, bytes frame, bool expect_reply,
                   time_point deadline) override {
    if (closed) return;
    // Started from inside a node entry point: defer so the node is never re-entered.
    auto o = std::make_shared<outbound>(shared_from_this(), id, std::move(frame), expect_reply);
    net::post(io, [o, to, deadline] { o->start(to, deadline); });
  }
};

driver::driver(boost::asio::io_context& io, config cfg, delegate& events, driver_options opt,
               std::uint64_t seed)
    : p_(std::make_shared<impl>(io, std::move(opt))) {
  p_->bind();
  if (cfg.advertise.port == 0) cfg.advertise.port = p_->udp_sock.local_endpoint().port();
  p_->events.emplace(*p_, events);
  p_->n.emplace(std::move(cfg), *p_, *p_->events, seed, now());
}

driver::~driver() { close(); }

void driver::start() {
  p_->receive();
  p_->accept();
  p_->rearm();
}

void driver::join(const std::vector<address>& seeds) {
  p_->n->join(seeds, now());
  p_->rearm();
}

void driver::leave(duration timeout, std::function<void(bool)> done) {
  // The node reports the end of the leave (relay::on_leave_complete); the timer bounds it.
  p_->leave_done = std::move(done);
  p_->leave_timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
  p_->leave_timer.async_wait([self = p_](const boost::system::error_code& ec) {
    if (!ec) self->finish_leave(false);
  });
  p_->n->leave(now());
  p_->rearm();
}

bool driver::set_meta(bytes meta) {
  bool ok = p_->n->set_meta(std::move(meta), now());
  p_->rearm();
  return ok;
}

swim::node::force_leave_result driver::force_leave(std::string_view name) {
  auto r = p_->n->force_leave(name, now());
  p_->rearm();
  return r;
}

void driver::set_keyring(keyring ring) { p_->n->set_keyring(std::move(ring)); }

void driver::broadcast_user(bytes payload) {
  p_->n->broadcast_user(std::move(payload));
  p_->rearm();
}

void driver::send_user(const address& to, bytes payload) {
  p_->n->send_user(to, std::move(payload));
}

void driver::close() {
  if (!p_ || p_->closed) return;
  p_->closed = true;
  boost::system::error_code ignored;
  p_->timer.cancel();
  p_->leave_timer.cancel();
  p_->udp_sock.close(ignored);
  p_->acceptor.close(ignored);
  p_->leave_done = nullptr;
}

const swim::node& driver::node() const { return *p_->n; }
const driver_stats& driver::stats() const { return p_->st; }

address driver::local_address() const {
  auto ep = p_->udp_sock.local_endpoint();
  return from_ip(ep.address(), ep.port());
}

}  // namespace swim::asio
