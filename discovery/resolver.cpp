#include "discovery/resolver.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace discovery {

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

address_lookup system_resolver::resolve(const std::string& host) {
  address_lookup out;
  if (is_ip_literal(host)) {
    out.ips.push_back(host);
    return out;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;  // one entry per address, not one per socket type
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    out.error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return out;
  }
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    const void* src = nullptr;
    if (a->ai_family == AF_INET)
      src = &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr;
    else if (a->ai_family == AF_INET6)
      src = &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
    if (src == nullptr || ::inet_ntop(a->ai_family, src, buf.data(), buf.size()) == nullptr) continue;
    std::string ip(buf.data());
    if (std::find(out.ips.begin(), out.ips.end(), ip) == out.ips.end()) out.ips.push_back(ip);
  }
  ::freeaddrinfo(list);
  if (out.ips.empty()) out.error = "cannot resolve " + host + ": no addresses";
  return out;
}

srv_lookup system_resolver::resolve_srv(const std::string& name) {
  srv_lookup out;
  struct __res_state st;
  std::memset(&st, 0, sizeof st);
  if (::res_ninit(&st) != 0) {
    out.error = "cannot initialise the resolver";
    return out;
  }
  std::vector<unsigned char> answer(65536);
  const int n = ::res_nquery(&st, name.c_str(), ns_c_in, ns_t_srv, answer.data(),
                             static_cast<int>(answer.size()));
  const int herr = st.res_h_errno;
  ::res_nclose(&st);
  if (n < 0) {
    out.error = "cannot resolve SRV " + name + ": " +
                (herr == HOST_NOT_FOUND ? "no such name"
                 : herr == NO_DATA      ? "no SRV records"
                 : herr == TRY_AGAIN    ? "temporary failure"
                                        : "resolver error");
    return out;
  }
  out = parse_srv_answer(answer.data(), static_cast<std::size_t>(n));
  if (out.error.empty() && out.records.empty()) out.error = "cannot resolve SRV " + name + ": no SRV records";
  return out;
}

srv_lookup parse_srv_answer(const unsigned char* msg, std::size_t len) {
  srv_lookup out;
  ns_msg m;
  if (::ns_initparse(msg, static_cast<int>(len), &m) != 0) {
    out.error = "malformed DNS answer";
    return out;
  }
  const int count = ns_msg_count(m, ns_s_an);
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (::ns_parserr(&m, ns_s_an, i, &rr) != 0) {
      out.error = "malformed DNS answer record";
      return out;
    }
    if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in) continue;
    const unsigned char* rd = ns_rr_rdata(rr);
    if (ns_rr_rdlen(rr) < 7) {
      out.error = "malformed SRV record";
      return out;
    }
    srv_record r;
    r.priority = static_cast<std::uint16_t>(ns_get16(rd));
    r.weight = static_cast<std::uint16_t>(ns_get16(rd + 2));
    r.port = static_cast<std::uint16_t>(ns_get16(rd + 4));
    std::array<char, NS_MAXDNAME> target{};
    if (::dn_expand(ns_msg_base(m), ns_msg_end(m), rd + 6, target.data(),
                    static_cast<int>(target.size())) < 0) {
      out.error = "malformed SRV target";
      return out;
    }
    r.target = target.data();
    if (!r.target.empty() && r.target.back() == '.') r.target.pop_back();
    out.records.push_back(std::move(r));
  }
  return out;
}

}  // namespace discovery
