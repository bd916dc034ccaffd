#include "blocklist/names.hpp"

#include <libpsl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>

namespace tattle::blocklist {

namespace {

// A prefix of the special-purpose registries: its first bytes and its length in bits.
struct Prefix {
  std::uint8_t version;
  std::array<std::uint8_t, 16> bytes;
  unsigned bits;
};

bool in(const core::IpAddress& a, const Prefix& p) {
  if (a.version != p.version) return false;
  unsigned bits = p.bits;
  for (std::size_t i = 0; bits > 0; ++i) {
    const unsigned take = std::min(bits, 8u);
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((a.bytes[i] & mask) != (p.bytes[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

// IANA IPv4 and IPv6 Special-Purpose Address Registries, the ranges not meant to be reached
// across the Internet, plus multicast and 240/4 (which holds the limited broadcast address).
const Prefix kNotPublic[] = {
    {4, {0}, 8},                      // "this network"
    {4, {10}, 8},                     // private (RFC 1918)
    {4, {100, 64}, 10},               // shared address space (RFC 6598)
    {4, {127}, 8},                    // loopback
    {4, {169, 254}, 16},              // link-local
    {4, {172, 16}, 12},               // private
    {4, {192, 0, 0}, 24},             // IETF protocol assignments
    {4, {192, 0, 2}, 24},             // documentation (TEST-NET-1)
    {4, {192, 168}, 16},              // private
    {4, {198, 18}, 15},               // benchmarking
    {4, {198, 51, 100}, 24},          // documentation (TEST-NET-2)
    {4, {203, 0, 113}, 24},           // documentation (TEST-NET-3)
    {4, {224}, 4},                    // multicast
    {4, {240}, 4},                    // reserved, and 255.255.255.255
    {6, {}, 96},                      // ::, ::1, and the deprecated IPv4-compatible addresses
    {6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96},  // IPv4-mapped
    {6, {0x01, 0x00}, 64},            // discard-only
    {6, {0x20, 0x01, 0x0d, 0xb8}, 32},  // documentation
    {6, {0x3f, 0xff}, 20},            // documentation (RFC 9637)
    {6, {0xfc}, 7},                   // unique-local
    {6, {0xfe, 0x80}, 10},            // link-local
    {6, {0xff}, 8},                   // multicast
};

}  // namespace

bool is_public_address(const core::IpAddress& a) {
  if (a.version != 4 && a.version != 6) return false;
  return std::none_of(std::begin(kNotPublic), std::end(kNotPublic), [&](const Prefix& p) { return in(a, p); });
}

void PublicSuffixes::Free::operator()(psl_ctx_st* p) const { psl_free(p); }

absl::StatusOr<PublicSuffixes> PublicSuffixes::load() {
  psl_ctx_t* ctx = psl_latest(nullptr);
  if (ctx == nullptr) return absl::UnavailableError("libpsl has no Public Suffix List (package publicsuffix)");
  return PublicSuffixes(ctx);
}

bool PublicSuffixes::is_public_suffix(const std::string& name) const {
  return psl_is_public_suffix2(ctx_.get(), name.c_str(), PSL_TYPE_ANY) != 0;
}

std::string PublicSuffixes::registrable(const std::string& name) const {
  const char* r = psl_registrable_domain(ctx_.get(), name.c_str());
  return r == nullptr ? name : std::string(r);
}

}  // namespace tattle::blocklist
