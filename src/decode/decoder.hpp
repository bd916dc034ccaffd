// The decode stage: link layers (Ethernet with 802.1Q/QinQ, MPLS, PPPoE and LLC/SNAP; Linux
// SLL/SLL2; raw IP; BSD loopback; PPP; Cisco HDLC; NFLOG; Apple PKTAP; PCAPdroid trailers),
// IPv4/IPv6 with options, extension headers and fragment reassembly, TCP/UDP/ICMP headers, and
// tunnels (IP-in-IP, GRE incl. ERSPAN and PPTP, VXLAN, Geneve, GTP-U, Teredo). Every header is
// read through core::ByteReader; headers that lie are counted and reported with the frame's byte
// offset.
//
// Contract:
// - A header that contradicts itself or its container (bad version, IHL < 5, TCP data offset
//   < 5, a length beyond the bytes of a frame the capture did not cut) counts kMalformed and
//   warns once through core::Diagnostics with the frame's input and offset. The packet is still
//   emitted when its addresses and ports could be read, with lengths limited to what is there.
// - A frame the snap length cut (data shorter than wire_len) counts kTruncated, without a warning;
//   payload_len then keeps the length the headers claim.
// - Apps: the link layer's (PKTAP process, PCAPdroid uid and name, the trailer trusted only when
//   its crc32 matches) override the frame's own; interned in the AppRegistry, counted kAppTagged.
// - IP fragments are reassembled under Limits in packet time; the datagram is emitted once,
//   carried by its last fragment's frame, with wire_len and frames summed over its fragments.
// - Tunnels: the outer packet is emitted first, then the inner one with depth + 1, up to
//   max_tunnel_depth. The frame's Ethernet/IP version claims are checked against the version
//   nibble, which decides (some writers put 0x0800 before IPv6).
// - Memory is bounded by Limits; the common path (Ethernet/IP/TCP or UDP) does not allocate.
#pragma once

#include <cstdint>
#include <memory>

#include <absl/functional/function_ref.h>

#include "capture/frame.hpp"
#include "core/app.hpp"
#include "core/counter.hpp"
#include "core/diagnostics.hpp"
#include "decode/packet.hpp"

namespace tattle::decode {

enum class DecodeCounter {
  kFrames,
  kIpv4,
  kIpv6,
  kTcp,
  kUdp,
  kIcmp,
  kIcmp6,
  kOtherIpProto,
  kNonIp,               // ARP, LLDP, ... counted and passed over
  kUnknownLinkType,     // frames of a link type we do not decode
  kMalformed,           // headers that lie (length, version, offsets)
  kTruncated,           // headers cut short by the snap length
  kFragments,           // IP fragments received
  kReassembled,         // datagrams rebuilt from fragments
  kFragmentsDropped,    // fragments dropped: limits, timeouts, fragments that contradict others
  kTunnelled,           // inner packets decoded inside tunnels
  kAppTagged,           // frames whose link layer named an app (PKTAP, PCAPdroid)
  kFragmentOverlaps,    // fragments overlapping earlier data with different bytes (first data wins)
  kCount,
};
std::string_view counter_name(DecodeCounter c);

struct Limits {
  std::size_t max_fragment_bytes = 64 * 1024 * 1024;  // all pending fragments together
  std::size_t max_datagrams = 16 * 1024;               // pending datagrams being reassembled
  std::int64_t fragment_timeout_ns = 30'000'000'000;   // RFC 791 suggests 15 s; Linux uses 30 s
  std::uint8_t max_tunnel_depth = 4;
};

class Decoder {
 public:
  Decoder(core::Diagnostics& diag, core::AppRegistry& apps, Limits limits = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one frame; calls `out` for each transport-layer packet found, outermost first.
  void decode(const capture::Frame& frame, absl::FunctionRef<void(const PacketView&)> out);

  [[nodiscard]] const core::Counters<DecodeCounter>& counters() const;
  // Per link type that we could not decode: (link type, frames).
  [[nodiscard]] std::vector<std::pair<std::uint32_t, std::uint64_t>> unknown_link_types() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tattle::decode
