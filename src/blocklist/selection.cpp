#include "blocklist/selection.hpp"

#include "enrich/domain_map.hpp"

#include <algorithm>

#include <absl/hash/hash.h>
#include <absl/strings/match.h>

namespace tattle::blocklist {

namespace {

bool any_equal(const std::vector<std::string>& wanted, std::string_view v) {
  const absl::string_view value(v.data(), v.size());  // Debian's abseil has its own string_view
  for (const auto& w : wanted)
    if (absl::EqualsIgnoreCase(w, value)) return true;
  return false;
}

bool any_equal(const std::vector<std::string>& wanted, const std::vector<std::string_view>& values) {
  for (const auto v : values)
    if (any_equal(wanted, v)) return true;
  return false;
}

template <class Set>
std::vector<typename Set::value_type> to_vector(Set& s) {
  return {std::make_move_iterator(s.begin()), std::make_move_iterator(s.end())};
}

}  // namespace

void Destination::clear() {
  ip = {};
  names.clear();
  front_names.clear();
  asn.reset();
  country = owner = owner_parent = front = {};
  jurisdictions.clear();
  tags.clear();
}

bool Filters::matches(const Destination& d) const {
  if (!owners.empty() && !any_equal(owners, d.owner) && !any_equal(owners, d.owner_parent)) return false;
  if (!jurisdictions.empty() && !any_equal(jurisdictions, d.jurisdictions)) return false;
  if (!countries.empty() && !any_equal(countries, d.country)) return false;
  if (!tags.empty() && !any_equal(tags, d.tags)) return false;
  if (!asns.empty() && (!d.asn || std::find(asns.begin(), asns.end(), *d.asn) == asns.end())) return false;
  return true;
}

std::optional<std::string> Collector::usable_name(std::string_view raw, bool reduce) {
  auto name = enrich::normalize_hostname(raw);
  if (!name) {
    invalid_names_.insert(absl::HashOf(raw));
    return std::nullopt;
  }
  // A public suffix reduces to itself. PCAPdroid drops a leading "www." and also matches a rule
  // against a name's last two labels: from www.co.uk it would block every site under co.uk.
  // Reduction can make such a name (a.www.co.uk gives www.co.uk), so the check comes after it.
  std::string kept = registrable_ && reduce ? psl_.registrable(*name) : *name;
  if (psl_.is_public_suffix(kept) || (kept.starts_with("www.") && psl_.is_public_suffix(kept.substr(4)))) {
    public_suffixes_.insert(absl::HashOf(*name));
    return std::nullopt;
  }
  return kept;
}

void Collector::add(const Destination& d) {
  ++selected_;
  bool named = false;
  for (const auto raw : d.names) {
    // A CDN's edge name (e1.dscx.akamaiedge.net) is kept whole: its registrable domain is the
    // CDN's, and blocking that would block every site the CDN serves.
    const bool front = std::find(d.front_names.begin(), d.front_names.end(), raw) != d.front_names.end();
    if (auto name = usable_name(raw, !front)) {
      names_.insert(std::move(*name));
      named = true;
    }
  }
  if (d.ip.empty()) return;
  // inet_pton reads up to a NUL: "192.0.2.1\0junk" must not pass for an address.
  const bool plausible = d.ip.size() <= core::kAddressTextMax && d.ip.find('\0') == std::string_view::npos;
  const auto a = plausible ? core::IpAddress::parse(std::string(d.ip)) : core::IpAddress{};
  if (a.version == 0) {
    invalid_addresses_.insert(absl::HashOf(d.ip));
    return;
  }
  if (!is_public_address(a)) {
    local_addresses_.insert(a);
    return;
  }
  (a.version == 4 ? ipv4_ : ipv6_).insert(a);
  if (!named) unnamed_.insert(a);
  if (!d.front.empty()) fronted_.insert(a);
}

LeftOut Collector::left_out() const {
  return {invalid_names_.size(), public_suffixes_.size(), invalid_addresses_.size(), local_addresses_.size()};
}

Blocklist Collector::finish() && {
  Blocklist b{to_vector(names_), to_vector(ipv4_), to_vector(ipv6_), to_vector(unnamed_), to_vector(fronted_)};
  // IPv4 first, as in ipv4 and ipv6; the address order alone would interleave the two.
  std::stable_partition(b.unnamed.begin(), b.unnamed.end(), [](const core::IpAddress& a) { return a.version == 4; });
  return b;
}

}  // namespace tattle::blocklist
