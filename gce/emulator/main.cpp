// gce-emulator: a single-threaded Boost.Beast HTTP server around
// gce::emulator::handle() and one gce::emulator::state. One session per
// connection, keep-alive, with the caller's source address passed along (that
// is how the metadata side tells emulated VMs apart). Parked metadata watches
// are re-evaluated every 50 ms until their ETag changes or their timeout_sec
// passes.
//
//   gce-emulator --instances FILE [--listen 127.0.0.1:8080] [--page-size N]
//                [--token-seconds N] [--default-instance NAME] [--no-auth]

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under GCC 12 / C++20

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "gce/emulator/router.hpp"
#include "gce/emulator/state.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using gce::emulator::state;

constexpr auto recheck_interval = std::chrono::milliseconds(50);

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, state& st)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), state_(st) {
    boost::system::error_code ec;
    source_ip_ = stream_.socket().remote_endpoint(ec).address().to_string();
  }

  void start() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::minutes(5));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec) return close();
    auto& msg = parser_->get();
    req_ = {};
    req_.method = std::string(msg.method_string());
    req_.target = std::string(msg.target());
    for (const auto& f : msg) req_.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req_.body = msg.body();
    req_.source_ip = source_ip_;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    stream_.expires_never();
    evaluate();
  }

  void evaluate() {
    gce::emulator::response r = gce::emulator::handle(state_, req_, std::chrono::steady_clock::now(),
                                                      std::chrono::system_clock::now());
    if (r.park) {
      if (!req_.recheck) watch_deadline_ = std::chrono::steady_clock::now() + r.park_for;
      req_.recheck = true;
      req_.expired = std::chrono::steady_clock::now() + recheck_interval >= watch_deadline_;
      timer_.expires_after(recheck_interval);
      timer_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e) self->evaluate();
      });
      return;
    }
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(r.status));
    for (auto& [k, v] : r.headers) res_.set(k, v);
    res_.keep_alive(keep_alive_);
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    if (r.delay.count() > 0) {
      timer_.expires_after(r.delay);
      timer_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e) self->do_write();
      });
      return;
    }
    do_write();
  }

  void do_write() {
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->do_read();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  gce::emulator::request req_;
  std::chrono::steady_clock::time_point watch_deadline_;
  std::string source_ip_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  state& state_;
};

void do_accept(tcp::acceptor& acceptor, state& st) {
  acceptor.async_accept([&acceptor, &st](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<session>(std::move(socket), st)->start();
    if (ec == net::error::operation_aborted) return;
    do_accept(acceptor, st);
  });
}

int usage(const char* why) {
  std::cerr << "gce-emulator: " << why << "\n"
            << "usage: gce-emulator --instances FILE [--listen IP:PORT] [--page-size N]\n"
            << "                    [--token-seconds N] [--default-instance NAME] [--no-auth]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string instances_file, listen = "127.0.0.1:8080";
  state st;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--instances") instances_file = next();
      else if (a == "--listen") listen = next();
      else if (a == "--page-size") st.page_size = std::stoi(next());
      else if (a == "--token-seconds") st.token_ttl = std::chrono::seconds(std::stoi(next()));
      else if (a == "--default-instance") st.default_instance = next();
      else if (a == "--no-auth") st.require_auth = false;
      else if (a == "--help" || a == "-h") return usage("help"), 0;
      else return usage(("unknown option " + a).c_str());
    }
    if (instances_file.empty()) return usage("--instances is required");
    if (st.page_size < 1 || st.page_size > 500) return usage("--page-size must be 1-500");

    std::ifstream in(instances_file);
    if (!in) return usage(("cannot open " + instances_file).c_str());
    std::stringstream ss;
    ss << in.rdbuf();
    auto doc = nlohmann::json::parse(ss.str(), nullptr, false);
    std::string error;
    if (doc.is_discarded()) return usage((instances_file + ": not JSON").c_str());
    if (!st.load(doc, error)) return usage((instances_file + ": " + error).c_str());

    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return usage("--listen must be IP:PORT");
    const auto addr = net::ip::make_address(listen.substr(0, colon));
    const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));

    net::io_context io;
    tcp::acceptor acceptor(io);
    tcp::endpoint ep(addr, port);
    acceptor.open(ep.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
    std::cout << "gce-emulator listening on " << acceptor.local_endpoint().address().to_string()
              << ":" << acceptor.local_endpoint().port() << std::endl;
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) { io.stop(); });
    do_accept(acceptor, st);
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "gce-emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
