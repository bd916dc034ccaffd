// Link-layer headers and trailers that name the app behind a packet, parsed without allocating:
// Apple's PKTAP header (LINKTYPE_PKTAP 258, 149 in old files) and PCAPdroid's Ethernet trailer.
// Views returned here point into the frame and live as long as it does.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/byte_reader.hpp"

namespace tattle::decode {

// PCAPdroid's 32-byte trailer (PCAPdroid app/src/main/jni/core/pcap_dump.h, pcapdroid_trailer_t):
//   magic u32 BE 0x01072021 | uid i32 BE | app name char[20], NUL-padded | fcs u32
// The fcs is zlib's crc32 (initial value 0) over every frame byte before it, fake Ethernet
// header included, stored in the writer's byte order: little-endian on every Android ABI.
inline constexpr std::uint32_t kPcapdroidMagic = 0x01072021;
inline constexpr std::size_t kPcapdroidTrailerSize = 32;

struct PcapdroidTrailer {
  std::int32_t uid = -1;
  std::string_view name;  // up to 20 bytes, without the NUL padding
};

enum class TrailerCheck { kAbsent, kBadCrc, kValid };

// kValid fills `out`; kBadCrc means the magic is there but the crc does not match, so the trailer
// must not be trusted. Needs at least a 14-byte Ethernet header before the trailer.
TrailerCheck find_pcapdroid_trailer(core::Bytes frame, PcapdroidTrailer& out);

// Apple PKTAP v1 header (xnu bsd/net/pktap.h, struct pktap_header), in the capturing host's byte
// order, little-endian on every Mac:
//   0 pth_length u32 (this header's length; the inner frame follows it)
//   4 pth_type_next u32 (1 = PTH_TYPE_PACKET)     8 pth_dlt u32 (DLT of the inner frame)
//  12 pth_ifname[24]   36 pth_flags u32   40 pth_protocol_family u32
//  44 pth_frame_pre_length u32   48 pth_frame_post_length u32
//  52 pth_pid i32   56 pth_comm[17] (+3 pad)   76 pth_svc u32   80 pth_iftype u16   82 pth_ifunit u16
//  84 pth_epid i32  88 pth_ecomm[17] (+3 pad) 108 pth_flowid ... (later fields are not used)
inline constexpr std::uint32_t kPktapTypePacket = 1;
inline constexpr std::size_t kPktapMinLength = 12;       // through pth_dlt: enough to decode on
inline constexpr std::size_t kPktapProcessLength = 108;  // through pth_ecomm: process fields valid

struct PktapHeader {
  std::uint32_t length = 0;
  std::uint32_t type_next = 0;
  std::uint32_t dlt = 0;
  bool has_process = false;  // pth_length covers the process fields
  std::int32_t pid = -1;
  std::string_view comm;     // without NUL padding; may be empty
  std::int32_t epid = -1;
  std::string_view ecomm;
};

enum class PktapCheck { kValid, kTooShort, kBadLength };

// kTooShort: fewer than 12 bytes; kBadLength: pth_length < 12 or beyond the captured bytes.
PktapCheck parse_pktap(core::Bytes frame, PktapHeader& out);

}  // namespace tattle::decode
