// DNS messages (RFC 1035 §4) as UDP, TCP and mDNS carry them: the header, the questions, and
// the answer records that name destinations — A, AAAA, CNAME, PTR, NS, MX, and the address
// hints of SVCB/HTTPS (RFC 9460). Hand-written: Debian's DNS libraries (c-ares, ldns, libresolv's
// ns_parse) either resolve rather than parse, or stop at the first record they dislike, where an
// auditor must keep what it can of a hostile message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <absl/container/inlined_vector.h>

#include "core/byte_reader.hpp"
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

// "A", "AAAA", ... or "TYPE<n>" (RFC 3597) for types without a mnemonic here.
std::string dns_type_name(std::uint16_t type);

struct DnsQuestion {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t qclass = 0;  // without mDNS's unicast-response bit
};

struct DnsAnswer {
  std::string name;  // the owner
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string target;  // CNAME, PTR, NS, MX, SVCB/HTTPS target name
  // A, AAAA; SVCB/HTTPS ipv4hint and ipv6hint. Inline: most records hold exactly one.
  absl::InlinedVector<core::IpAddress, 1> addresses;
};

struct DnsMessage {
  // Records kept per section; more are counted in `dropped_records`, not kept.
  static constexpr std::size_t kMaxRecords = 64;
  static constexpr std::size_t kMaxHints = 16;  // addresses kept per SVCB/HTTPS record

  std::uint16_t id = 0;
  bool response = false;
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;
  bool truncated = false;
  absl::InlinedVector<DnsQuestion, 1> questions;  // one, nearly always
  std::vector<DnsAnswer> answers;
  std::size_t dropped_records = 0;
};

// Names are written in zone-file form (RFC 1035 §5.1): labels joined by '.', without the final
// dot; '.' and '\' inside a label and bytes outside printable ASCII as \DDD; the root as ".".
//
// Parses one message into `out`. Returns false when the header or a question cannot be read,
// with `error_offset` at the byte where reading failed. Answers are read until one is damaged:
// the ones before it are kept (and true returned), since a truncated answer section still names
// what it names. Compression pointers must point backwards, so no message can make it loop.
bool parse_dns(core::Bytes message, DnsMessage& out, std::size_t& error_offset);

}  // namespace tattle::dissect
