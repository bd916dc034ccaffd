// The decode stage: link layers (Ethernet with 802.1Q/QinQ, Linux SLL/SLL2, raw IP, BSD
// loopback, Apple PKTAP, PCAPdroid trailers), IPv4/IPv6 with options, extension headers and
// fragment reassembly, and TCP/UDP/ICMP headers. Every header is read through core::ByteReader;
// headers that lie are counted and reported with the frame's byte offset.
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
  kFragmentsDropped,    // fragments dropped: limits, timeouts, overlaps that conflict
  kTunnelled,           // inner packets decoded inside tunnels
  kAppTagged,           // frames whose link layer named an app (PKTAP, PCAPdroid)
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
