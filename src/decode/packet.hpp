// Link layer to transport: turns a capture::Frame into PacketViews (one per transport header:
// a tunnelled packet gives the outer and the inner one). Views point into the frame or into
// the decoder's defragmentation buffer and are valid only during the callback.
#pragma once

#include <cstdint>

#include "core/app.hpp"
#include "core/byte_reader.hpp"
#include "core/ip_address.hpp"
#include "core/timestamp.hpp"

namespace tattle::decode {

namespace ip_proto {
inline constexpr std::uint8_t kIcmp = 1;
inline constexpr std::uint8_t kTcp = 6;
inline constexpr std::uint8_t kUdp = 17;
inline constexpr std::uint8_t kIcmp6 = 58;
}  // namespace ip_proto

namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
}  // namespace tcp_flag

struct PacketView {
  core::Timestamp ts;
  core::Endpoint src, dst;         // ports are 0 for protocols without them
  std::uint8_t ip_proto = 0;       // TCP, UDP, ICMP, ICMPv6, or other
  std::uint8_t tcp_flags = 0;
  std::uint32_t seq = 0, ack = 0;  // TCP only
  std::uint16_t window = 0;        // TCP only, unscaled
  core::Bytes payload;             // transport payload as captured (may be short of payload_len)
  std::uint32_t payload_len = 0;   // transport payload length the headers claim
  std::uint32_t wire_len = 0;      // length on the wire of the frame(s) that carried this packet
  std::uint32_t frames = 1;        // frames that carried it: more than 1 for reassembled fragments
  core::AppId app = core::kNoApp;  // from the frame or the link layer (PKTAP, PCAPdroid)
  std::uint32_t input = 0;         // input file index
  std::uint64_t offset = 0;        // byte offset of the frame in its input
  std::uint8_t depth = 0;          // 0 outermost; 1+ inside tunnels
};

}  // namespace tattle::decode
