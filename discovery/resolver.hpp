#pragma once
// Name resolution for the dns and static providers, behind an interface so the
// providers' logic is tested with a scripted resolver. system_resolver uses the
// system's: getaddrinfo (so /etc/hosts and nsswitch apply) for A/AAAA, and
// libresolv's res_nquery for SRV. Blocking; called on discovery's worker thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace discovery {

/// One SRV record (RFC 2782).
struct srv_record {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  ///< host name, without the trailing dot

  friend bool operator==(const srv_record&, const srv_record&) = default;
};

/// Addresses of a name, or why there are none.
struct address_lookup {
  std::vector<std::string> ips;  ///< IPv4 and IPv6 literals, unique, in resolver order
  std::string error;             ///< "" on success
};

/// SRV records of a name, or why there are none.
struct srv_lookup {
  std::vector<srv_record> records;
  std::string error;  ///< "" on success
};

/// A blocking resolver. Implementations never throw.
class resolver {
 public:
  virtual ~resolver() = default;
  /// A and AAAA records of `host` (an IP literal comes back as itself).
  virtual address_lookup resolve(const std::string& host) = 0;
  /// SRV records of `name` ("_gossip._udp.cache.ns.svc.cluster.local").
  virtual srv_lookup resolve_srv(const std::string& name) = 0;
};

/// The system resolver: getaddrinfo and res_nquery, each call with its own resolver state.
class system_resolver final : public resolver {
 public:
  address_lookup resolve(const std::string& host) override;
  srv_lookup resolve_srv(const std::string& name) override;
};

/// The SRV records in the answer section of DNS message `msg` (pure; records of other
/// types are skipped). An error when the message does not parse.
srv_lookup parse_srv_answer(const unsigned char* msg, std::size_t len);

/// True for an IPv4 or IPv6 literal (no brackets).
bool is_ip_literal(const std::string& s);

}  // namespace discovery
