// Decoder tests on hand-written frames. Every expected value below is read off the bytes written
// here (addresses, ports, lengths), never taken from a run of the decoder.
#include "decode/decoder.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "decode/app_tags.hpp"

namespace tattle::decode {
namespace {

using Buf = std::vector<std::uint8_t>;

Buf hex(std::string_view s) {
  Buf out;
  int hi = -1;
  for (char c : s) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  EXPECT_EQ(hi, -1) << "odd number of hex digits";
  return out;
}

Buf cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const Buf& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// 192.0.2.1:12345 -> 198.51.100.2:443, seq 1, ack 2, PSH|ACK, window 65535, payload "abcd".
const Buf kIpv4Tcp = hex(
    "45 00 00 2c 00 01 00 00 40 06 00 00 c0 00 02 01 c6 33 64 02"
    "30 39 01 bb 00 00 00 01 00 00 00 02 50 18 ff ff 00 00 00 00 61 62 63 64");
// [2001:db8::1]:53 -> [2001:db8::2]:54321, UDP length 12, payload "wxyz".
const Buf kIpv6Udp = hex(
    "60 00 00 00 00 0c 11 40"
    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
    "00 35 d4 31 00 0c 00 00 77 78 79 7a");
const Buf kMacs = hex("00 11 22 33 44 55 66 77 88 99 aa bb");
const Buf kEthIpv4Tcp = cat({kMacs, hex("08 00"), kIpv4Tcp});

constexpr std::uint64_t kOffset = 1234;

struct Got {
  std::string src, dst;
  std::uint8_t proto = 0;
  std::uint8_t flags = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t window = 0;
  std::string payload;
  std::uint32_t payload_len = 0;
  std::uint32_t wire_len = 0;
  std::uint32_t frames = 0;
  core::AppId app = core::kNoApp;
  std::uint64_t offset = 0;
  std::uint8_t depth = 0;
  std::int64_t ts = 0;
};

struct Harness {
  explicit Harness(Limits limits = {}) : decoder(diag, apps, limits) { diag.add_input("test.pcap"); }

  std::vector<Got> run(std::uint32_t link_type, const Buf& bytes, std::uint32_t wire_len = 0,
                       std::int64_t ts_ns = 0) {
    capture::Frame f;
    f.ts = core::Timestamp{ts_ns};
    f.data = core::Bytes(bytes);
    f.wire_len = wire_len != 0 ? wire_len : static_cast<std::uint32_t>(bytes.size());
    f.link_type = link_type;
    f.offset = kOffset;
    std::vector<Got> got;
    decoder.decode(f, [&](const PacketView& v) {
      Got g;
      g.src = core::to_string(v.src);
      g.dst = core::to_string(v.dst);
      g.proto = v.ip_proto;
      g.flags = v.tcp_flags;
      g.seq = v.seq;
      g.ack = v.ack;
      g.window = v.window;
      g.payload.assign(v.payload.begin(), v.payload.end());
      g.payload_len = v.payload_len;
      g.wire_len = v.wire_len;
      g.frames = v.frames;
      g.app = v.app;
      g.offset = v.offset;
      g.depth = v.depth;
      g.ts = v.ts.ns;
      got.push_back(g);
    });
    return got;
  }
  core::Counter count(DecodeCounter c) const { return decoder.counters()[c]; }
  std::size_t warnings() const { return diag.inputs()[0].kept.size(); }
  const core::Warning& last_warning() const { return diag.inputs()[0].kept.back(); }

  core::Diagnostics diag;
  core::AppRegistry apps;
  Decoder decoder;
};

void expect_v4_tcp(const Got& g, std::uint8_t depth = 0) {
  EXPECT_EQ(g.src, "192.0.2.1:12345");
  EXPECT_EQ(g.dst, "198.51.100.2:443");
  EXPECT_EQ(g.proto, ip_proto::kTcp);
  EXPECT_EQ(g.flags, tcp_flag::kPsh | tcp_flag::kAck);
  EXPECT_EQ(g.seq, 1u);
  EXPECT_EQ(g.ack, 2u);
  EXPECT_EQ(g.window, 65535);
  EXPECT_EQ(g.payload, "abcd");
  EXPECT_EQ(g.payload_len, 4u);
  EXPECT_EQ(g.depth, depth);
}

void expect_v6_udp(const Got& g, std::uint8_t depth = 0) {
  EXPECT_EQ(g.src, "[2001:db8::1]:53");
  EXPECT_EQ(g.dst, "[2001:db8::2]:54321");
  EXPECT_EQ(g.proto, ip_proto::kUdp);
  EXPECT_EQ(g.payload, "wxyz");
  EXPECT_EQ(g.payload_len, 4u);
  EXPECT_EQ(g.depth, depth);
}

// --- link layers -------------------------------------------------------------------------------

TEST(Decoder, EthernetIpv4TcpWithPadding) {
  Harness h;
  // 14 + 44 = 58 bytes, padded to the 60-byte Ethernet minimum: the padding is not payload.
  const Buf frame = cat({kEthIpv4Tcp, hex("00 00")});
  auto got = h.run(1, frame, 0, 5'000'000'000);
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  EXPECT_EQ(got[0].wire_len, 60u);
  EXPECT_EQ(got[0].frames, 1u);
  EXPECT_EQ(got[0].offset, kOffset);
  EXPECT_EQ(got[0].ts, 5'000'000'000);
  EXPECT_EQ(got[0].app, core::kNoApp);
  EXPECT_EQ(h.count(DecodeCounter::kFrames), 1u);
  EXPECT_EQ(h.count(DecodeCounter::kIpv4), 1u);
  EXPECT_EQ(h.count(DecodeCounter::kTcp), 1u);
  EXPECT_EQ(h.warnings(), 0u);
}

TEST(Decoder, VlanQinqAndOldQinq) {
  Harness h;
  auto got = h.run(1, cat({kMacs, hex("81 00 00 64 86 dd"), kIpv6Udp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v6_udp(got[0]);
  got = h.run(1, cat({kMacs, hex("88 a8 00 0a 81 00 00 64 08 00"), kIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  got = h.run(1, cat({kMacs, hex("91 00 00 0a 81 00 00 64 08 00"), kIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  EXPECT_EQ(h.warnings(), 0u);
}

TEST(Decoder, LlcSnapAndNonIp) {
  Harness h;
  // 802.3 length 50, LLC AA AA 03, OUI 0, ethertype IPv4.
  auto got = h.run(1, cat({kMacs, hex("00 32 aa aa 03 00 00 00 08 00"), kIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  // ARP: counted as non-IP, no packet, no warning.
  got = h.run(1, cat({kMacs, hex("08 06 00 01 08 00 06 04 00 01")}));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(h.count(DecodeCounter::kNonIp), 1u);
  EXPECT_EQ(h.warnings(), 0u);
}

TEST(Decoder, MplsToIpAndPseudowire) {
  Harness h;
  // Label 16 (S=0), label 17 (S=1), then IPv4 found by its version nibble.
  auto got = h.run(1, cat({kMacs, hex("88 47 00 01 00 40 00 01 11 40"), kIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  // Label 16 (S=1), a zero control word, then a whole Ethernet frame.
  got = h.run(1, cat({kMacs, hex("88 47 00 01 01 40 00 00 00 00"), kEthIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
}

TEST(Decoder, PppoeSession) {
  Harness h;
  // ver/type 0x11, code 0, session 1, length 2 + 52 = 0x36, PPP protocol 0x0057 (IPv6).
  auto got = h.run(1, cat({kMacs, hex("88 64 11 00 00 01 00 36 00 57"), kIpv6Udp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v6_udp(got[0]);
}

TEST(Decoder, LinuxCookedV1AndV2) {
  Harness h;
  auto got = h.run(113, cat({hex("00 00 00 01 00 06 00 11 22 33 44 55 00 00 08 00"), kIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  got = h.run(276, cat({hex("86 dd 00 00 00 00 00 02 00 01 00 06 00 11 22 33 44 55 00 00"), kIpv6Udp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v6_udp(got[0]);
}

TEST(Decoder, RawIpLinkTypes) {
  Harness h;
  for (std::uint32_t lt : {101u, 12u, 14u, 228u}) {
    auto got = h.run(lt, kIpv4Tcp);
    ASSERT_EQ(got.size(), 1u) << lt;
    expect_v4_tcp(got[0]);
  }
  for (std::uint32_t lt : {101u, 229u}) {
    auto got = h.run(lt, kIpv6Udp);
    ASSERT_EQ(got.size(), 1u) << lt;
    expect_v6_udp(got[0]);
  }
}

TEST(Decoder, BsdLoopbackBothByteOrders) {
  Harness h;
  auto got = h.run(0, cat({hex("02 00 00 00"), kIpv4Tcp}));  // AF_INET, little-endian host
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  got = h.run(0, cat({hex("00 00 00 1e"), kIpv6Udp}));  // AF_INET6 (macOS 30), big-endian host
  ASSERT_EQ(got.size(), 1u);
  expect_v6_udp(got[0]);
  got = h.run(108, cat({hex("00 00 00 18"), kIpv6Udp}));  // LOOP: network order, OpenBSD 24
  ASSERT_EQ(got.size(), 1u);
  expect_v6_udp(got[0]);
  got = h.run(0, cat({hex("07 00 00 00"), kIpv4Tcp}));  // an unknown family
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(h.count(DecodeCounter::kNonIp), 1u);
}

TEST(Decoder, PppAndHdlc) {
  Harness h;
  auto got = h.run(9, cat({hex("ff 03 00 21"), kIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  got = h.run(9, cat({hex("21"), kIpv4Tcp}));  // address/control omitted, protocol compressed
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  got = h.run(50, cat({hex("ff 03 00 57"), kIpv6Udp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v6_udp(got[0]);
  got = h.run(104, cat({hex("0f 00 08 00"), kIpv4Tcp}));  // Cisco HDLC
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
}

TEST(Decoder, NflogFindsPayloadTlv) {
  Harness h;
  // AF_INET, version 0, resource 0; a PACKET_HDR TLV (len 8, type 1), then PAYLOAD (len 48, type 9).
  auto got = h.run(239, cat({hex("02 00 00 00 08 00 01 00 08 00 03 00 30 00 09 00"), kIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  // No payload TLV at all: nothing to decode.
  got = h.run(239, hex("02 00 00 00 08 00 01 00 08 00 03 00"));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(h.count(DecodeCounter::kNonIp), 1u);
}

TEST(Decoder, UnknownLinkTypeIsCountedPerType) {
  Harness h;
  EXPECT_TRUE(h.run(147, kIpv4Tcp).empty());
  EXPECT_TRUE(h.run(147, kIpv4Tcp).empty());
  EXPECT_TRUE(h.run(148, kIpv4Tcp).empty());
  EXPECT_EQ(h.count(DecodeCounter::kUnknownLinkType), 3u);
  const auto unknown = h.decoder.unknown_link_types();
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0], (std::pair<std::uint32_t, std::uint64_t>{147, 2}));
  EXPECT_EQ(unknown[1], (std::pair<std::uint32_t, std::uint64_t>{148, 1}));
  EXPECT_EQ(h.warnings(), 2u);  // once per type
}

// --- app metadata --------------------------------------------------------------------------------

Buf pktap_header(std::uint32_t dlt) {
  Buf b(108, 0);
  const auto le32 = [&](std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  le32(0, 108);  // pth_length
  le32(4, 1);    // PTH_TYPE_PACKET
  le32(8, dlt);
  std::memcpy(&b[12], "en0", 3);
  le32(36, 0x4);  // PTH_FLAG_PROC_DELEGATED
  le32(40, 2);    // PF_INET
  le32(52, 501);  // pth_pid
  std::memcpy(&b[56], "curl", 4);
  le32(84, 77);   // pth_epid
  std::memcpy(&b[88], "nsurlsessiond", 13);
  return b;
}

TEST(Decoder, PktapNamesProcessAndDelegate) {
  Harness h;
  const Buf frame = cat({pktap_header(1), kEthIpv4Tcp});
  auto got = h.run(258, frame);
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  ASSERT_NE(got[0].app, core::kNoApp);
  const core::AppInfo& a = h.apps.get(got[0].app);
  EXPECT_EQ(a.name, "curl");
  EXPECT_EQ(a.pid, 501);
  EXPECT_EQ(a.effective_name, "nsurlsessiond");
  EXPECT_EQ(a.effective_pid, 77);
  // The same process again, under the old link type and with a raw-IP inner frame (macOS DLT_RAW 12).
  got = h.run(149, cat({pktap_header(12), kIpv4Tcp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  EXPECT_EQ(got[0].app, h.run(258, frame)[0].app);
  EXPECT_EQ(h.apps.size(), 1u);
  EXPECT_EQ(h.count(DecodeCounter::kAppTagged), 3u);
}

TEST(Decoder, PktapLyingLength) {
  Harness h;
  Buf frame = cat({pktap_header(1), kEthIpv4Tcp});
  frame[0] = 0xff;  // pth_length 255 > 166 bytes present
  EXPECT_TRUE(h.run(258, frame).empty());
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
  EXPECT_EQ(h.last_warning().offset, kOffset);
  EXPECT_NE(h.last_warning().message.find("PKTAP header length 255"), std::string::npos);
}

Buf pcapdroid_frame(bool good_crc) {
  // Fake Ethernet header (all-zero MACs), the IP packet, 2 bytes of padding to 4-byte alignment,
  // then magic, uid 10123 (0x278b), "com.example.app" NUL-padded to 20, and the crc.
  Buf b = cat({hex("00 00 00 00 00 00 00 00 00 00 00 00 08 00"), kIpv4Tcp, hex("00 00"),
               hex("01 07 20 21 00 00 27 8b"), Buf(20, 0)});
  std::memcpy(&b[14 + 44 + 2 + 8], "com.example.app", 15);
  std::uint32_t crc = static_cast<std::uint32_t>(crc32(0L, b.data(), static_cast<uInt>(b.size())));
  if (!good_crc) crc ^= 1;
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(crc >> (8 * i)));
  return b;
}

TEST(Decoder, PcapdroidTrailerWithGoodCrc) {
  Harness h;
  const Buf frame = pcapdroid_frame(true);
  ASSERT_EQ(frame.size(), 92u);
  auto got = h.run(1, frame);
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  ASSERT_NE(got[0].app, core::kNoApp);
  EXPECT_EQ(h.apps.get(got[0].app).name, "com.example.app");
  EXPECT_EQ(h.apps.get(got[0].app).uid, 10123);
  EXPECT_EQ(h.count(DecodeCounter::kAppTagged), 1u);
  EXPECT_EQ(h.run(1, frame)[0].app, got[0].app);  // cached, same id
  EXPECT_EQ(h.warnings(), 0u);
}

TEST(Decoder, PcapdroidTrailerWithBadCrcIsNotTrusted) {
  Harness h;
  auto got = h.run(1, pcapdroid_frame(false));
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);  // the packet itself is still decoded
  EXPECT_EQ(got[0].app, core::kNoApp);
  EXPECT_EQ(h.count(DecodeCounter::kAppTagged), 0u);
  EXPECT_EQ(h.apps.size(), 0u);
  ASSERT_EQ(h.warnings(), 1u);
  EXPECT_EQ(h.last_warning().offset, kOffset);
}

TEST(Decoder, PcapdroidRawIpInEthernetFile) {
  Harness h;
  // No Ethernet header: an IPv4 header with total length 44 = wire length and checksum 0x8e94.
  Buf packet = kIpv4Tcp;
  packet[10] = 0x8e;
  packet[11] = 0x94;
  auto got = h.run(1, packet);
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
  // IPv6 likewise: payload length 12 + 40 = 52 = wire length.
  got = h.run(1, kIpv6Udp);
  ASSERT_EQ(got.size(), 1u);
  expect_v6_udp(got[0]);
  // With a wrong checksum the frame is read as Ethernet (ethertype 0xc000: not IP).
  packet[11] = 0x95;
  EXPECT_TRUE(h.run(1, packet).empty());
  EXPECT_EQ(h.count(DecodeCounter::kNonIp), 1u);
}

TEST(Decoder, EthertypeIpv4CarryingIpv6) {
  Harness h;  // pymobiledevice3 writes 0x0800 in front of IPv6 packets
  auto got = h.run(1, cat({kMacs, hex("08 00"), kIpv6Udp}));
  ASSERT_EQ(got.size(), 1u);
  expect_v6_udp(got[0]);
  EXPECT_EQ(h.count(DecodeCounter::kIpv6), 1u);
  EXPECT_EQ(h.count(DecodeCounter::kIpv4), 0u);
}

TEST(Decoder, FrameAppIsKept) {
  Harness h;
  capture::Frame f;
  f.data = core::Bytes(kIpv4Tcp);
  f.wire_len = 44;
  f.link_type = 101;
  f.app = 7;
  core::AppId seen = 0;
  h.decoder.decode(f, [&](const PacketView& v) { seen = v.app; });
  EXPECT_EQ(seen, 7u);
}

// --- IP --------------------------------------------------------------------------------------------

TEST(Decoder, Ipv4Options) {
  Harness h;
  // IHL 6: one 4-byte option block (NOP NOP NOP EOL); total length 48.
  const Buf frame = hex(
      "46 00 00 30 00 01 00 00 40 06 00 00 c0 00 02 01 c6 33 64 02 01 01 01 00"
      "30 39 01 bb 00 00 00 01 00 00 00 02 50 18 ff ff 00 00 00 00 61 62 63 64");
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  expect_v4_tcp(got[0]);
}

TEST(Decoder, Ipv6ExtensionHeaders) {
  Harness h;
  // Hop-by-hop (8) -> routing (8) -> destination options (16) -> AH (24) -> TCP (24): 80 bytes.
  const Buf frame = hex(
      "60 00 00 00 00 50 00 40"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
      "2b 00 01 04 00 00 00 00"
      "3c 00 00 00 00 00 00 00"
      "33 01 01 0c 00 00 00 00 00 00 00 00 00 00 00 00"
      "06 04 00 00 00 00 01 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00"
      "30 39 01 bb 00 00 00 01 00 00 00 02 50 18 ff ff 00 00 00 00 61 62 63 64");
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].src, "[2001:db8::1]:12345");
  EXPECT_EQ(got[0].dst, "[2001:db8::2]:443");
  EXPECT_EQ(got[0].proto, ip_proto::kTcp);
  EXPECT_EQ(got[0].payload, "abcd");
  EXPECT_EQ(got[0].payload_len, 4u);
  EXPECT_EQ(h.warnings(), 0u);
}

TEST(Decoder, Ipv6RoutingHeaderNamesTheFinalDestination) {
  Harness h;
  // Routing header type 0, one address left to visit (2001:db8::9), then UDP 53 -> 54321:
  // the packet is going to 2001:db8::9, so that is the flow's server side.
  const Buf frame = hex(
      "60 00 00 00 00 24 2b 40"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
      "11 02 00 01 00 00 00 00"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 09"
      "00 35 d4 31 00 0c 00 00 77 78 79 7a");
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].src, "[2001:db8::1]:53");
  EXPECT_EQ(got[0].dst, "[2001:db8::9]:54321");
  EXPECT_EQ(got[0].payload, "wxyz");
}

TEST(Decoder, Ipv6EspStopsTheChain) {
  Harness h;
  const Buf frame = hex(
      "60 00 00 00 00 08 32 40"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
      "00 00 01 00 00 00 00 01");
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].proto, 50);
  EXPECT_EQ(got[0].src, "[2001:db8::1]:0");
  EXPECT_EQ(got[0].payload_len, 8u);
  EXPECT_EQ(h.count(DecodeCounter::kOtherIpProto), 1u);
}

// 10.0.0.1 -> 10.0.0.2 UDP 1000 -> 2000, id 0x1234; 24 bytes of fragmentable data in three pieces.
const Buf kV4FragFirst = hex(  // offset 0, MF, 16 bytes: UDP header (length 24) + "AAAAAAAA"
    "45 00 00 24 12 34 20 00 40 11 00 00 0a 00 00 01 0a 00 00 02"
    "03 e8 07 d0 00 18 00 00 41 41 41 41 41 41 41 41");
const Buf kV4FragMiddle = hex(  // offset 8, MF, "XXXXXXXX": overlaps the first with other bytes
    "45 00 00 1c 12 34 20 01 40 11 00 00 0a 00 00 01 0a 00 00 02"
    "58 58 58 58 58 58 58 58");
const Buf kV4FragLast = hex(  // offset 16, last, "BBBBBBBB"
    "45 00 00 1c 12 34 00 02 40 11 00 00 0a 00 00 01 0a 00 00 02"
    "42 42 42 42 42 42 42 42");

TEST(Decoder, Ipv4FragmentsOutOfOrderWithOverlap) {
  Harness h;
  EXPECT_TRUE(h.run(101, kV4FragLast, 0, 1'000).empty());
  EXPECT_TRUE(h.run(101, kV4FragMiddle, 0, 2'000).empty());
  auto got = h.run(101, kV4FragFirst, 0, 3'000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].src, "10.0.0.1:1000");
  EXPECT_EQ(got[0].dst, "10.0.0.2:2000");
  EXPECT_EQ(got[0].proto, ip_proto::kUdp);
  EXPECT_EQ(got[0].payload, "XXXXXXXXBBBBBBBB");  // the middle fragment came first: its bytes win
  EXPECT_EQ(got[0].payload_len, 16u);
  EXPECT_EQ(got[0].frames, 3u);
  EXPECT_EQ(got[0].wire_len, 28u + 28u + 36u);
  EXPECT_EQ(got[0].ts, 3'000);
  EXPECT_EQ(h.count(DecodeCounter::kFragments), 3u);
  EXPECT_EQ(h.count(DecodeCounter::kReassembled), 1u);
  EXPECT_EQ(h.count(DecodeCounter::kFragmentOverlaps), 1u);
  EXPECT_EQ(h.count(DecodeCounter::kIpv4), 3u);
  EXPECT_EQ(h.count(DecodeCounter::kUdp), 1u);
  ASSERT_EQ(h.warnings(), 1u);
  EXPECT_EQ(h.last_warning().offset, kOffset);
  EXPECT_NE(h.last_warning().message.find("overlaps"), std::string::npos);
}

TEST(Decoder, Ipv4FragmentTimeoutUsesPacketTime) {
  Limits limits;
  limits.fragment_timeout_ns = 30'000'000'000;
  Harness h(limits);
  EXPECT_TRUE(h.run(101, kV4FragFirst, 0, 0).empty());
  EXPECT_TRUE(h.run(101, kV4FragMiddle, 0, 30'000'000'000).empty());  // exactly 30 s: still alive
  EXPECT_EQ(h.count(DecodeCounter::kFragmentsDropped), 0u);
  // 31 s after the first fragment: the datagram (2 fragments) expires before the last one lands.
  EXPECT_TRUE(h.run(101, kV4FragLast, 0, 31'000'000'000).empty());
  EXPECT_EQ(h.count(DecodeCounter::kFragmentsDropped), 2u);
  EXPECT_EQ(h.count(DecodeCounter::kReassembled), 0u);
}

TEST(Decoder, FragmentLimitsEvictTheOldest) {
  Limits limits;
  limits.max_datagrams = 1;
  Harness h(limits);
  EXPECT_TRUE(h.run(101, kV4FragFirst).empty());
  Buf other = kV4FragLast;
  other[5] = 0x35;  // id 0x1235: a second datagram evicts the first
  EXPECT_TRUE(h.run(101, other).empty());
  EXPECT_EQ(h.count(DecodeCounter::kFragmentsDropped), 1u);
  EXPECT_TRUE(h.run(101, kV4FragLast).empty());  // evicts 0x1235 in turn: nothing completes
  EXPECT_EQ(h.count(DecodeCounter::kFragmentsDropped), 2u);

  Limits tiny;
  tiny.max_fragment_bytes = 16;
  Harness t(tiny);
  EXPECT_TRUE(t.run(101, kV4FragFirst).empty());  // 16 bytes buffered: at the limit
  EXPECT_TRUE(t.run(101, kV4FragLast).empty());   // would need 24: rejected
  EXPECT_EQ(t.count(DecodeCounter::kFragmentsDropped), 1u);
}

// 2001:db8::1 -> 2001:db8::2, fragment id 0xdeadbeef; UDP 1000 -> 2000 (length 24), "0123456789abcdef".
const Buf kV6FragFirst = hex(
    "60 00 00 00 00 18 2c 40"
    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
    "11 00 00 01 de ad be ef"
    "03 e8 07 d0 00 18 00 00 30 31 32 33 34 35 36 37");
const Buf kV6FragLast = hex(
    "60 00 00 00 00 10 2c 40"
    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
    "11 00 00 10 de ad be ef"
    "38 39 61 62 63 64 65 66");

TEST(Decoder, Ipv6FragmentsOutOfOrder) {
  Harness h;
  EXPECT_TRUE(h.run(101, kV6FragLast).empty());
  auto got = h.run(101, kV6FragFirst);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].src, "[2001:db8::1]:1000");
  EXPECT_EQ(got[0].dst, "[2001:db8::2]:2000");
  EXPECT_EQ(got[0].payload, "0123456789abcdef");
  EXPECT_EQ(got[0].payload_len, 16u);
  EXPECT_EQ(got[0].frames, 2u);
  EXPECT_EQ(got[0].wire_len, 64u + 56u);
  EXPECT_EQ(h.count(DecodeCounter::kReassembled), 1u);
  EXPECT_EQ(h.warnings(), 0u);
}

TEST(Decoder, Ipv6FragmentOverlapAndTimeout) {
  Limits limits;
  limits.fragment_timeout_ns = 1'000;
  Harness h(limits);
  Buf conflicting = kV6FragFirst;
  conflicting.back() = 0x21;  // same range as the first fragment, last byte differs
  EXPECT_TRUE(h.run(101, kV6FragFirst, 0, 0).empty());
  EXPECT_TRUE(h.run(101, conflicting, 0, 10).empty());
  EXPECT_EQ(h.count(DecodeCounter::kFragmentOverlaps), 1u);
  EXPECT_TRUE(h.run(101, kV6FragLast, 0, 2'000).empty());  // too late: 2 fragments expired
  EXPECT_EQ(h.count(DecodeCounter::kFragmentsDropped), 2u);
}

TEST(Decoder, Ipv6AtomicFragmentIsWhole) {
  Harness h;
  // Fragment header with offset 0 and M clear, then UDP 1000 -> 2000 length 12, "wxyz".
  const Buf frame = hex(
      "60 00 00 00 00 14 2c 40"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
      "11 00 00 00 00 00 00 07"
      "03 e8 07 d0 00 0c 00 00 77 78 79 7a");
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].dst, "[2001:db8::2]:2000");
  EXPECT_EQ(got[0].payload, "wxyz");
  EXPECT_EQ(got[0].frames, 1u);
  EXPECT_EQ(h.count(DecodeCounter::kFragments), 0u);
}

// --- tunnels ---------------------------------------------------------------------------------------

TEST(Decoder, GreWithKeyCarryingIpv4) {
  Harness h;
  // Outer 10.0.0.1 -> 10.0.0.2 proto 47, total 20 + 8 + 44 = 72; GRE K flag, protocol 0x0800, key 42.
  const Buf frame = cat({hex("45 00 00 48 00 02 00 00 40 2f 00 00 0a 00 00 01 0a 00 00 02"
                             "20 00 08 00 00 00 00 2a"),
                         kIpv4Tcp});
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].proto, 47);
  EXPECT_EQ(got[0].src, "10.0.0.1:0");
  EXPECT_EQ(got[0].payload_len, 52u);
  EXPECT_EQ(got[0].depth, 0);
  expect_v4_tcp(got[1], 1);
  EXPECT_EQ(got[1].wire_len, 72u);
  EXPECT_EQ(h.count(DecodeCounter::kTunnelled), 1u);
}

TEST(Decoder, GreTransparentEthernetAndErspan) {
  Harness h;
  // GRE checksum+sequence present (C, S), protocol 0x6558, then Ethernet: 20 + 12 + 58 = 90.
  auto got = h.run(101, cat({hex("45 00 00 5a 00 02 00 00 40 2f 00 00 0a 00 00 01 0a 00 00 02"
                                 "90 00 65 58 00 00 00 00 00 00 00 05"),
                             kEthIpv4Tcp}));
  ASSERT_EQ(got.size(), 2u);
  expect_v4_tcp(got[1], 1);
  // ERSPAN type II: S set, sequence, 8-byte ERSPAN header (version 1), Ethernet: 20 + 8 + 8 + 58 = 94.
  got = h.run(101, cat({hex("45 00 00 5e 00 02 00 00 40 2f 00 00 0a 00 00 01 0a 00 00 02"
                            "10 00 88 be 00 00 00 01"
                            "10 00 00 01 00 00 00 00"),
                        kEthIpv4Tcp}));
  ASSERT_EQ(got.size(), 2u);
  expect_v4_tcp(got[1], 1);
  // ERSPAN type III: 12-byte header, FT 0 (Ethernet), O clear: 20 + 4 + 12 + 58 = 94.
  got = h.run(101, cat({hex("45 00 00 5e 00 02 00 00 40 2f 00 00 0a 00 00 01 0a 00 00 02"
                            "00 00 22 eb"
                            "20 00 00 01 00 00 00 00 00 00 00 00"),
                        kEthIpv4Tcp}));
  ASSERT_EQ(got.size(), 2u);
  expect_v4_tcp(got[1], 1);
  EXPECT_EQ(h.count(DecodeCounter::kTunnelled), 3u);
}

TEST(Decoder, Vxlan) {
  Harness h;
  // Outer UDP 50000 -> 4789, length 8 + 8 + 58 = 74; IP total 94; VXLAN I flag, VNI 100.
  const Buf frame = cat({hex("45 00 00 5e 00 03 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02"
                             "c3 50 12 b5 00 4a 00 00"
                             "08 00 00 00 00 00 64 00"),
                         kEthIpv4Tcp});
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].dst, "10.0.0.2:4789");
  EXPECT_EQ(got[0].payload_len, 66u);
  expect_v4_tcp(got[1], 1);
}

TEST(Decoder, VxlanFromTheWellKnownPort) {
  Harness h;
  // As above, but 4789 -> 4790: the tunnel endpoint sent from the VXLAN port.
  const Buf frame = cat({hex("45 00 00 5e 00 03 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02"
                             "12 b5 12 b6 00 4a 00 00"
                             "08 00 00 00 00 00 64 00"),
                         kEthIpv4Tcp});
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 2u);
  expect_v4_tcp(got[1], 1);
}

TEST(Decoder, GeneveWithOption) {
  Harness h;
  // UDP -> 6081, length 8 + 12 + 58 = 78; IP total 98; Geneve optlen 1 (4 bytes), protocol 0x6558.
  const Buf frame = cat({hex("45 00 00 62 00 03 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02"
                             "c3 50 17 c1 00 4e 00 00"
                             "01 00 65 58 00 00 64 00 01 02 03 00"),
                         kEthIpv4Tcp});
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 2u);
  expect_v4_tcp(got[1], 1);
}

TEST(Decoder, GtpUWithExtensionHeader) {
  Harness h;
  // GTP flags 0x34 (v1, PT, E), G-PDU, length 4 + 4 + 44 = 52, TEID 1, next extension 0x85;
  // the extension: length 1 (4 bytes), 2 bytes content, next type 0. UDP length 68, IP total 88.
  const Buf frame = cat({hex("45 00 00 58 00 03 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02"
                             "08 68 08 68 00 44 00 00"
                             "34 ff 00 34 00 00 00 01 00 00 00 85"
                             "01 00 09 00"),
                         kIpv4Tcp});
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].payload_len, 60u);
  expect_v4_tcp(got[1], 1);
  // An extension header claiming length 0 would never end: malformed, warned.
  Buf bad = frame;
  bad[20 + 8 + 12] = 0x00;
  got = h.run(101, bad);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
  EXPECT_EQ(h.last_warning().offset, kOffset);
}

TEST(Decoder, IpInIpAndDepthLimit) {
  Limits limits;
  limits.max_tunnel_depth = 1;
  Harness h(limits);
  // IPv4 proto 4 (total 84) around IPv4 proto 4 (total 64) around the TCP packet.
  const Buf frame = cat({hex("45 00 00 54 00 05 00 00 40 04 00 00 0a 00 00 01 0a 00 00 02"
                             "45 00 00 40 00 06 00 00 40 04 00 00 0a 00 00 03 0a 00 00 04"),
                         kIpv4Tcp});
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 2u);  // the innermost packet is beyond the depth limit
  EXPECT_EQ(got[0].src, "10.0.0.1:0");
  EXPECT_EQ(got[0].depth, 0);
  EXPECT_EQ(got[1].src, "10.0.0.3:0");
  EXPECT_EQ(got[1].depth, 1);
  Harness deep;  // default depth 4: all three
  got = deep.run(101, frame);
  ASSERT_EQ(got.size(), 3u);
  expect_v4_tcp(got[2], 2);
}

// --- lying headers ---------------------------------------------------------------------------------

TEST(Decoder, Ipv4HeaderLengthBelowMinimum) {
  Harness h;
  Buf frame = kIpv4Tcp;
  frame[0] = 0x44;  // IHL 4
  EXPECT_TRUE(h.run(101, frame).empty());
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
  ASSERT_EQ(h.warnings(), 1u);
  EXPECT_EQ(h.last_warning().offset, kOffset);
  EXPECT_EQ(h.last_warning().message, "IPv4 header length 16 < 20");
}

TEST(Decoder, BadIpVersion) {
  Harness h;
  Buf frame = kIpv4Tcp;
  frame[0] = 0x55;
  EXPECT_TRUE(h.run(101, frame).empty());
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
  EXPECT_EQ(h.last_warning().message, "IP version 5 is neither 4 nor 6");
}

TEST(Decoder, Ipv4TotalLengthBeyondFrame) {
  Harness h;
  Buf frame = kIpv4Tcp;
  frame[2] = 0x01;
  frame[3] = 0x00;  // total length 256, 44 bytes present, and the frame was not cut: a lie
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "abcd");
  EXPECT_EQ(got[0].payload_len, 4u);  // what is there
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
  EXPECT_EQ(h.last_warning().offset, kOffset);
  EXPECT_EQ(h.last_warning().message, "IPv4 total length 256 exceeds the 44 bytes present");
  // The same bytes from a frame the snap length cut at 44 of 256: truncated, no warning.
  Harness s;
  got = s.run(101, frame, 256);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "abcd");
  EXPECT_EQ(got[0].payload_len, 216u);  // 256 - 20 - 20
  EXPECT_EQ(s.count(DecodeCounter::kTruncated), 1u);
  EXPECT_EQ(s.warnings(), 0u);
}

TEST(Decoder, TcpDataOffsetBelowMinimum) {
  Harness h;
  Buf frame = kIpv4Tcp;
  frame[32] = 0x40;  // data offset 4
  EXPECT_TRUE(h.run(101, frame).empty());
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
  EXPECT_EQ(h.last_warning().message, "TCP data offset 16 < 20 bytes");
  frame[32] = 0xf0;  // data offset 15 = 60 bytes > 24-byte segment
  EXPECT_TRUE(h.run(101, frame).empty());
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 2u);
}

TEST(Decoder, UdpLengthLies) {
  Harness h;
  Buf frame = kIpv6Udp;
  frame[45] = 0x04;  // UDP length 4 < 8
  auto got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "wxyz");  // the IP length is used instead
  EXPECT_EQ(h.last_warning().message, "UDP length 4 < 8");
  frame[45] = 0x40;  // 64 > 12
  got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload_len, 4u);
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 2u);
  frame[45] = 0x0a;  // 10 < 12: the UDP length wins over trailing bytes
  got = h.run(101, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "wx");
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 2u);
}

TEST(Decoder, ShortEthernetFrame) {
  Harness h;
  const Buf frame = hex("00 11 22 33 44 55 66 77 88 99");
  EXPECT_TRUE(h.run(1, frame).empty());
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
  EXPECT_EQ(h.last_warning().message, "Ethernet header needs 14 bytes, only 10 left");
  EXPECT_TRUE(h.run(1, frame, 60).empty());  // cut by a 10-byte snap length: only counted
  EXPECT_EQ(h.count(DecodeCounter::kTruncated), 1u);
  EXPECT_EQ(h.warnings(), 1u);
}

TEST(Decoder, Ipv6ExtensionHeaderBeyondPacket) {
  Harness h;
  // Hop-by-hop claiming (5 + 1) * 8 = 48 bytes in an 8-byte payload.
  const Buf frame = hex(
      "60 00 00 00 00 08 00 40"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
      "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
      "06 05 00 00 00 00 00 00");
  EXPECT_TRUE(h.run(101, frame).empty());
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
  EXPECT_EQ(h.last_warning().message, "IPv6 extension header needs 48 bytes, only 8 left");
}

TEST(Decoder, NestedLinkLayersAreBounded) {
  Harness h;
  // Ethernet carrying ethertype 0x6558 (an Ethernet frame) again and again, 20 deep.
  Buf frame;
  for (int i = 0; i < 20; ++i) {
    frame.insert(frame.end(), kMacs.begin(), kMacs.end());
    frame.push_back(0x65);
    frame.push_back(0x58);
  }
  frame.insert(frame.end(), kIpv4Tcp.begin(), kIpv4Tcp.end());
  EXPECT_TRUE(h.run(1, frame).empty());
  EXPECT_EQ(h.count(DecodeCounter::kMalformed), 1u);
}

TEST(Decoder, CounterNames) {
  EXPECT_EQ(counter_name(DecodeCounter::kFrames), "frames");
  EXPECT_EQ(counter_name(DecodeCounter::kOtherIpProto), "other_ip_proto");
  EXPECT_EQ(counter_name(DecodeCounter::kFragmentsDropped), "fragments_dropped");
  EXPECT_EQ(counter_name(DecodeCounter::kFragmentOverlaps), "fragment_overlaps");
  for (int i = 0; i < static_cast<int>(DecodeCounter::kCount); ++i) {
    EXPECT_NE(counter_name(static_cast<DecodeCounter>(i)), "unknown") << i;
  }
}

TEST(AppTags, PktapHeaderFields) {
  const Buf b = pktap_header(1);
  PktapHeader h;
  ASSERT_EQ(parse_pktap(b, h), PktapCheck::kValid);
  EXPECT_EQ(h.length, 108u);
  EXPECT_EQ(h.dlt, 1u);
  EXPECT_EQ(h.comm, "curl");
  EXPECT_EQ(h.ecomm, "nsurlsessiond");
  EXPECT_EQ(h.pid, 501);
  EXPECT_EQ(h.epid, 77);
  EXPECT_EQ(parse_pktap(core::Bytes(b).first(11), h), PktapCheck::kTooShort);
}

}  // namespace
}  // namespace tattle::decode
