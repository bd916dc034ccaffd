// Names and addresses from a report made fit for block lists. A capture is untrusted, so a name
// in a report (an SNI, a Host header, a DNS question) may hold anything: only what is plainly a
// host name goes into a generated configuration, where it cannot add lines or syntax.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include "core/ip_address.hpp"

struct psl_ctx_st;

namespace tattle::blocklist {

// Whether traffic to `a` can be blocked without breaking the local network: false for the
// special-purpose ranges of the IANA IPv4 and IPv6 registries (RFC 6890 and its updates) —
// private, shared (CGNAT), loopback, link-local, documentation, benchmarking, multicast,
// reserved, broadcast, unique-local, IPv4-mapped — where a capture's router, resolver and
// printers live. NAT64's 64:ff9b::/96 counts as public: it carries public IPv4 destinations.
bool is_public_address(const core::IpAddress& a);

// The Public Suffix List (publicsuffix.org) through libpsl: the newer of libpsl's built-in copy
// and the system's (Debian's publicsuffix package), as psl_latest() picks. Immutable once loaded.
class PublicSuffixes {
 public:
  // Fails only if libpsl has no list at all.
  static absl::StatusOr<PublicSuffixes> load();

  // True for a suffix under which others register names — `com`, `co.uk`, `github.io`,
  // `s3.amazonaws.com` — and for any name of one label (the list's implicit `*` rule). Blocking
  // such a name would block every site under it. `name` as enrich::normalize_hostname() gives it.
  [[nodiscard]] bool is_public_suffix(const std::string& name) const;
  // The shortest name under a public suffix that ends `name` (`example.co.uk` for
  // `a.b.example.co.uk`); `name` itself when there is none (it is a public suffix).
  [[nodiscard]] std::string registrable(const std::string& name) const;

 private:
  struct Free {
    void operator()(psl_ctx_st* p) const;
  };
  explicit PublicSuffixes(psl_ctx_st* ctx) : ctx_(ctx) {}
  std::unique_ptr<psl_ctx_st, Free> ctx_;
};

}  // namespace tattle::blocklist
