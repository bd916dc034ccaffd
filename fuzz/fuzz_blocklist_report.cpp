// The report reader of `tattle blocklist` on arbitrary bytes, each destination through a filter
// and the Collector, and every format written from what they keep. Oracle: whatever the input,
// a list's names are host names in their normal form and no public suffix, its addresses are
// public, and every format has exactly its header and one entry per name or address — so no
// report can add a line or any syntax to a generated configuration.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <simdjson.h>

#include "blocklist/formats.hpp"
#include "blocklist/names.hpp"
#include "blocklist/report_reader.hpp"
#include "blocklist/selection.hpp"
#include "enrich/domain_map.hpp"

namespace {

using namespace tattle::blocklist;

std::size_t lines(std::string_view text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

void require(bool ok) {
  if (!ok) std::abort();
}

void check(const Blocklist& b, const PublicSuffixes& psl) {
  for (const auto& name : b.names) {
    require(tattle::enrich::normalize_hostname(name) == name && !psl.is_public_suffix(name));
    require(!name.starts_with("www.") || !psl.is_public_suffix(name.substr(4)));
  }
  for (const auto* addresses : {&b.ipv4, &b.ipv6, &b.unnamed})
    for (const auto& a : *addresses) require(is_public_address(a));

  const Provenance p{"tattle fuzz", "fuzz.json", "--owner x"};
  constexpr std::size_t kHeader = 2;
  const std::size_t n = b.names.size();
  require(lines(hosts(b, p)) == kHeader + n);
  require(lines(domains(b, p)) == kHeader + n);
  require(lines(dnsmasq(b, p)) == kHeader + n);
  require(lines(unbound(b, p)) == kHeader + 1 + n);
  require(lines(adblock(b, p)) == kHeader + n);
  const auto in_rpz = static_cast<std::size_t>(std::count_if(b.names.begin(), b.names.end(), [](const auto& name) {
    return rpz_fits(name);
  }));
  require(lines(rpz(b, p, 1)) == kHeader + 3 + 2 * in_rpz);
  // Per set: 2 lines, and 2 + one per address when it has any; the rest is fixed.
  const auto set_lines = [](std::size_t k) { return k == 0 ? std::size_t{3} : 5 + k; };
  require(lines(nftables(b, p, "t")) == kHeader + 6 + set_lines(b.ipv4.size()) + set_lines(b.ipv6.size()) + 10);
  const std::string json = pcapdroid(b);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  require(parser.parse(json).get(doc) == simdjson::SUCCESS);
  simdjson::dom::array rules;
  require(doc["rules"].get(rules) == simdjson::SUCCESS);
  require(rules.size() <= n + b.unnamed.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const PublicSuffixes psl = *PublicSuffixes::load();
  const simdjson::padded_string json(reinterpret_cast<const char*>(data), size);
  Collector everything(psl, false);
  Collector registrable(psl, true);
  Filters filters;
  filters.owners = {"ByteDance"};
  filters.jurisdictions = {"CN"};
  (void)read_destinations("fuzz.json", json, [&](const Destination& d) {
    everything.add(d);
    if (filters.matches(d)) registrable.add(d);
  });
  check(std::move(everything).finish(), psl);
  check(std::move(registrable).finish(), psl);
  return 0;
}
