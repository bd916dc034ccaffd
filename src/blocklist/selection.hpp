// Which destinations of a report go into a block list (Filters), and what of them does: their
// names and addresses, checked, normalised and deduplicated as they arrive (Collector), so that
// memory holds the selection, not the report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/btree_set.h>
#include <absl/container/flat_hash_set.h>

#include "blocklist/names.hpp"
#include "core/ip_address.hpp"

namespace tattle::blocklist {

// One item of a report's "destinations" (docs/blocklist.md) as the reader hands it over: the
// fields a selection needs, as views into the parser's buffers, valid during the call only.
// Absent and null fields are empty (asn: nullopt).
struct Destination {
  std::string_view ip;
  std::vector<std::string_view> names;
  std::vector<std::string_view> front_names;  // CDN or cloud names among `names`: never reduced
  std::optional<std::uint64_t> asn;
  std::string_view country;  // where it is hosted
  std::string_view owner;
  std::string_view owner_parent;
  std::vector<std::string_view> jurisdictions;
  std::vector<std::string_view> tags;
  std::string_view front;  // the CDN or cloud serving it

  void clear();
};

// A destination is selected when, for every kind of filter given, it matches one of its values.
// Text compares without regard to ASCII case. No filter at all selects every destination.
struct Filters {
  std::vector<std::string> owners;         // the owner or its topmost parent
  std::vector<std::string> jurisdictions;  // any of the countries whose law reaches the owner
  std::vector<std::string> countries;      // the hosting country
  std::vector<std::string> tags;
  std::vector<std::uint64_t> asns;

  [[nodiscard]] bool matches(const Destination& d) const;
};

// What the selected destinations amount to, each vector sorted and without duplicates: names
// byte-wise, addresses numerically.
struct Blocklist {
  std::vector<std::string> names;
  std::vector<core::IpAddress> ipv4;
  std::vector<core::IpAddress> ipv6;
  // Addresses of selected destinations that had no usable name: a name-based firewall can
  // only block those by address. IPv4 first, then IPv6.
  std::vector<core::IpAddress> unnamed;
  // Addresses served by a CDN or cloud (a "front"): other sites may share them.
  std::vector<core::IpAddress> fronted;
};

// What the Collector left out, each counted once however often it occurred.
struct LeftOut {
  std::uint64_t invalid_names = 0;      // not host names (enrich::normalize_hostname)
  std::uint64_t public_suffixes = 0;    // names that are public suffixes, or www. and one
  std::uint64_t invalid_addresses = 0;  // "ip" that is not an address
  std::uint64_t local_addresses = 0;    // not public (is_public_address)
};

class Collector {
 public:
  // `registrable`: names are reduced to their registrable domain (PublicSuffixes::registrable).
  // `psl` must outlive the Collector.
  Collector(const PublicSuffixes& psl, bool registrable) : psl_(psl), registrable_(registrable) {}

  void add(const Destination& d);
  [[nodiscard]] std::uint64_t selected() const { return selected_; }
  [[nodiscard]] LeftOut left_out() const;
  // The result; the Collector is spent.
  Blocklist finish() &&;

 private:
  // The name to block for `raw`, or nullopt (and counted) if it is left out.
  std::optional<std::string> usable_name(std::string_view raw, bool reduce);

  const PublicSuffixes& psl_;
  const bool registrable_;
  std::uint64_t selected_ = 0;
  absl::btree_set<std::string> names_;
  absl::btree_set<core::IpAddress> ipv4_, ipv6_, unnamed_, fronted_;
  // What was left out, kept as hashes: a hostile report may hold millions of distinct names.
  absl::flat_hash_set<std::size_t> invalid_names_, public_suffixes_, invalid_addresses_;
  absl::flat_hash_set<core::IpAddress> local_addresses_;
};

}  // namespace tattle::blocklist
