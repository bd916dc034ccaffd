// DNS messages (RFC 1035 §4) as UDP, TCP and mDNS carry them: the header, the questions, and
// the answer records that name destinations — A, AAAA, CNAME, PTR, NS, MX, and the address
// hints of SVCB/HTTPS (RFC 9460). Hand-written: Debian's DNS libraries (c-ares, ldns, libresolv's
// ns_parse) either resolve rather than parse, or stop at the first record they dislike, where an
// auditor must keep what it can of a hostile message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/inlined_vector.h>

#include "core/byte_reader.hpp"
#include "core/fixed_text.hpp"
#include "core/ip_address.hpp"

namespace tattle::dissect {

namespace dns_type {
inline constexpr std::uint16_t kA = 1;
inline constexpr std::uint16_t kNs = 2;
inline constexpr std::uint16_t kCname = 5;
inline constexpr std::uint16_t kPtr = 12;
inline constexpr std::uint16_t kMx = 15;
inline constexpr std::uint16_t kAaaa = 28;
inline constexpr std::uint16_t kSvcb = 64;
inline constexpr std::uint16_t kHttps = 65;
}  // namespace dns_type

// "A", "AAAA", ... for the types named here; empty for the others.
std::string_view dns_type_mnemonic(std::uint16_t type);
// The mnemonic, or "TYPE<n>" (RFC 3597) for types without one here. In a fixed buffer: the DNS
// log writes one or more for every transaction.
core::FixedText<10> dns_type_name(std::uint16_t type);

// Names are views into the DnsMessage they were read from: valid until it is parsed into again.
struct DnsQuestion {
  std::string_view name;
  std::uint16_t type = 0;
  std::uint16_t qclass = 0;  // without mDNS's unicast-response bit
};

struct DnsAnswer {
  std::string_view name;  // the owner
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string_view target;  // CNAME, PTR, NS, MX, SVCB/HTTPS target name
  // A, AAAA; SVCB/HTTPS ipv4hint and ipv6hint. Inline: most records hold exactly one.
  absl::InlinedVector<core::IpAddress, 1> addresses;
};

// One message, read in place of the one before: a dissector keeps one and parses every message
// into it, so that once it has held its largest message, reading allocates nothing.
struct DnsMessage {
  // Records kept per section; more are counted in `dropped_records`, not kept.
  static constexpr std::size_t kMaxRecords = 64;
  static constexpr std::size_t kMaxHints = 16;  // addresses kept per SVCB/HTTPS record
  // The longest name text: 255 bytes on the wire (RFC 1035 §2.3.4), each written in at most
  // four characters (\DDD).
  static constexpr std::size_t kMaxNameText = 4 * 255;

  std::uint16_t id = 0;
  bool response = false;
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;
  bool truncated = false;
  std::vector<DnsQuestion> questions;  // one, nearly always
  std::vector<DnsAnswer> answers;
  std::size_t dropped_records = 0;

  // The text the names view: room for every name a message can keep (a question, or an
  // answer's owner and target, kMaxRecords of each), allocated on first use and never moved, so
  // that views into it stay valid until the next message.
  static constexpr std::size_t kTextCapacity = 3 * kMaxRecords * kMaxNameText;
  std::unique_ptr<char[]> text;
  std::size_t text_used = 0;

  // Names already read, by where they start in the message: a name that is only a pointer to
  // one of them (an answer's owner, mostly, pointing at the question) is the same text, viewed
  // again rather than written again.
  static constexpr std::size_t kNamesAt = 16;
  struct NameAt {
    std::size_t offset;
    std::string_view text;
    int jumps;  // the pointers reading it followed
  };
  std::array<NameAt, kNamesAt> names_at;
  std::size_t names_at_used = 0;
};

// Names are written in zone-file form (RFC 1035 §5.1): labels joined by '.', without the final
// dot; '.' and '\' inside a label and bytes outside printable ASCII as \DDD; the root as ".".
//
// Parses one message into `out`, replacing what it held. Returns false when the header or a
// question cannot be read, with `error_offset` at the byte where reading failed. Answers are read
// until one is damaged: the ones before it are kept (and true returned), since a truncated answer
// section still names what it names. Compression pointers must point backwards, so no message
// can make it loop.
bool parse_dns(core::Bytes message, DnsMessage& out, std::size_t& error_offset);

}  // namespace tattle::dissect
