#include "decode/decoder.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <fmt/format.h>

#include "decode/app_tags.hpp"
#include "decode/defrag.hpp"

namespace tattle::decode {

namespace {

using core::Bytes;

// LINKTYPE_* values (tcpdump.org/linktypes.html); PKTAP headers carry the host's DLT_* instead,
// which agree with these except that macOS's DLT_RAW is 12, handled below as raw IP too.
namespace link {
constexpr std::uint32_t kNull = 0;
constexpr std::uint32_t kEthernet = 1;
constexpr std::uint32_t kPpp = 9;
constexpr std::uint32_t kRawBsd12 = 12;
constexpr std::uint32_t kRawBsd14 = 14;
constexpr std::uint32_t kPppHdlc = 50;
constexpr std::uint32_t kRaw = 101;
constexpr std::uint32_t kCiscoHdlc = 104;
constexpr std::uint32_t kLoop = 108;
constexpr std::uint32_t kLinuxSll = 113;
constexpr std::uint32_t kPktapOld = 149;
constexpr std::uint32_t kIpv4 = 228;
constexpr std::uint32_t kIpv6 = 229;
constexpr std::uint32_t kNflog = 239;
constexpr std::uint32_t kPktap = 258;
constexpr std::uint32_t kLinuxSll2 = 276;
}  // namespace link

namespace ether {
constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint16_t kIpv6 = 0x86DD;
constexpr std::uint16_t kVlan = 0x8100;
constexpr std::uint16_t kQinQ = 0x88A8;
constexpr std::uint16_t kQinQOld = 0x9100;
constexpr std::uint16_t kQinQOld2 = 0x9200;
constexpr std::uint16_t kMplsUnicast = 0x8847;
constexpr std::uint16_t kMplsMulticast = 0x8848;
constexpr std::uint16_t kPppoeSession = 0x8864;
constexpr std::uint16_t kTransparentEthernet = 0x6558;
constexpr std::uint16_t kErspan2 = 0x88BE;
constexpr std::uint16_t kErspan3 = 0x22EB;
constexpr std::uint16_t kPptpPpp = 0x880B;
}  // namespace ether

namespace proto {
constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kIpInIp = 4;
constexpr std::uint8_t kIpv6InIp = 41;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragment = 44;
constexpr std::uint8_t kGre = 47;
constexpr std::uint8_t kEsp = 50;
constexpr std::uint8_t kAh = 51;
constexpr std::uint8_t kNoNext = 59;
constexpr std::uint8_t kDestOpts = 60;
}  // namespace proto

namespace port {
constexpr std::uint16_t kGtpU = 2152;
constexpr std::uint16_t kTeredo = 3544;
constexpr std::uint16_t kVxlan = 4789;
constexpr std::uint16_t kGeneve = 6081;
}  // namespace port

inline std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

core::IpAddress v4_address(Bytes b) { return core::IpAddress::v4(b.first<4>()); }
core::IpAddress v6_address(Bytes b) { return core::IpAddress::v6(b.first<16>()); }

// RFC 1071 ones'-complement sum; a header with a correct checksum sums to 0xFFFF.
bool ipv4_checksum_ok(Bytes header) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < header.size(); i += 2) sum += be16(header.data() + i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum == 0xFFFF;
}

bool plausible_ipv6_next_header(std::uint8_t nh) {
  switch (nh) {
    case proto::kHopByHop: case ip_proto::kTcp: case ip_proto::kUdp: case ip_proto::kIcmp6:
    case proto::kRouting: case proto::kFragment: case proto::kEsp: case proto::kAh:
    case proto::kNoNext: case proto::kDestOpts:
      return true;
    default:
      return false;
  }
}

constexpr std::size_t kMaxUnknownLinkTypes = 64;

// The last app interned, by the raw bytes that named it: consecutive frames of one flow name the
// same app, and comparing a few bytes is cheaper than building an AppInfo and hashing it.
template <std::size_t N>
struct AppCache {
  std::array<std::uint8_t, N> key{};
  core::AppId id = core::kNoApp;
  bool valid = false;
};

}  // namespace

std::string_view counter_name(DecodeCounter c) {
  switch (c) {
    case DecodeCounter::kFrames: return "frames";
    case DecodeCounter::kIpv4: return "ipv4";
    case DecodeCounter::kIpv6: return "ipv6";
    case DecodeCounter::kTcp: return "tcp";
    case DecodeCounter::kUdp: return "udp";
    case DecodeCounter::kIcmp: return "icmp";
    case DecodeCounter::kIcmp6: return "icmp6";
    case DecodeCounter::kOtherIpProto: return "other_ip_proto";
    case DecodeCounter::kNonIp: return "non_ip";
    case DecodeCounter::kUnknownLinkType: return "unknown_link_type";
    case DecodeCounter::kMalformed: return "malformed";
    case DecodeCounter::kTruncated: return "truncated";
    case DecodeCounter::kFragments: return "fragments";
    case DecodeCounter::kReassembled: return "reassembled";
    case DecodeCounter::kFragmentsDropped: return "fragments_dropped";
    case DecodeCounter::kTunnelled: return "tunnelled";
    case DecodeCounter::kAppTagged: return "app_tagged";
    case DecodeCounter::kFragmentOverlaps: return "fragment_overlaps";
    case DecodeCounter::kCount: break;
  }
  return "unknown";
}

struct Decoder::Impl {
  using Out = absl::FunctionRef<void(const PacketView&)>;

  Impl(core::Diagnostics& d, core::AppRegistry& a, Limits l)
      : diag(d), apps(a), limits(l), defrag(limits, counters) {}

  core::Diagnostics& diag;
  core::AppRegistry& apps;
  Limits limits;
  core::Counters<DecodeCounter> counters;
  Defragmenter defrag;
  absl::flat_hash_map<std::uint32_t, std::uint64_t> unknown_links;
  AppCache<24> pcapdroid_cache;  // uid + name
  AppCache<42> pktap_cache;      // pid + comm + epid + ecomm

  // State of the frame being decoded.
  const capture::Frame* frame = nullptr;
  const Out* out = nullptr;
  core::AppId app = core::kNoApp;
  std::uint32_t wire_len = 0;
  std::uint32_t frames = 1;
  bool snapped = false;   // the capture cut this frame short: short headers are not lies
  unsigned link_nest = 0; // link-layer headers entered in this frame (bounds MPLS/TEB loops)

  void decode(const capture::Frame& f, Out o);

  // --- reporting ---------------------------------------------------------------------------
  template <class... A>
  void malformed(fmt::format_string<A...> f, A&&... a) {
    ++counters[DecodeCounter::kMalformed];
    diag.warn(frame->input, frame->offset, fmt::format(f, std::forward<A>(a)...));
  }
  // A header with fewer bytes than it needs: the snap length's doing when the frame was cut
  // (counted, not warned), else the enclosing header lied about its length.
  void short_header(const char* what, std::size_t need, std::size_t have) {
    if (snapped) {
      ++counters[DecodeCounter::kTruncated];
    } else {
      malformed("{} needs {} bytes, only {} left", what, need, have);
    }
  }

  // --- link layers -------------------------------------------------------------------------
  void link_layer(std::uint32_t type, Bytes b, bool allow_pktap);
  void ethernet_outer(Bytes b);
  void ethernet(Bytes b, std::uint8_t depth);
  void ethertype(std::uint16_t type, Bytes b, std::uint8_t depth);
  void mpls(Bytes b, std::uint8_t depth);
  void pppoe(Bytes b, std::uint8_t depth);
  void ppp(Bytes b, std::uint8_t depth);
  void ppp_protocol(std::uint16_t protocol, Bytes b, std::uint8_t depth);
  void bsd_loopback(std::uint32_t family, Bytes b);
  void nflog(Bytes b);
  void pktap(Bytes b);
  bool looks_like_raw_ip(Bytes b) const;
  void tag_pcapdroid(const PcapdroidTrailer& t);
  void tag_pktap(const PktapHeader& h);

  // --- network and transport ---------------------------------------------------------------
  void ip(Bytes b, std::uint8_t depth);
  void ipv4(Bytes b, std::uint8_t depth);
  void ipv6(Bytes b, std::uint8_t depth);
  void ipv6_chain(const core::IpAddress& src, const core::IpAddress& dst, std::uint8_t nh, Bytes b,
                  std::uint32_t claimed, std::uint8_t depth, bool fragmentable);
  void fragment(const Fragment& f, bool v6, std::uint8_t depth);
  void transport(const core::IpAddress& src, const core::IpAddress& dst, std::uint8_t proto,
                 Bytes b, std::uint32_t claimed, std::uint8_t depth);
  void udp_tunnel(std::uint16_t sport, std::uint16_t dport, Bytes b, std::uint8_t depth);
  void gre(Bytes b, std::uint8_t depth);
  void emit(PacketView& v, std::uint8_t depth);
};

// ---------------------------------------------------------------------------------------------

void Decoder::Impl::decode(const capture::Frame& f, Out o) {
  ++counters[DecodeCounter::kFrames];
  frame = &f;
  out = &o;
  app = f.app;
  wire_len = f.wire_len;
  frames = 1;
  snapped = f.data.size() < f.wire_len;
  link_nest = 0;
  if (!defrag.idle()) defrag.expire(f.ts);
  link_layer(f.link_type, f.data, true);
}

void Decoder::Impl::link_layer(std::uint32_t type, Bytes b, bool allow_pktap) {
  switch (type) {
    case link::kEthernet:
      ethernet_outer(b);
      return;
    case link::kRaw: case link::kRawBsd12: case link::kRawBsd14: case link::kIpv4: case link::kIpv6:
      ip(b, 0);
      return;
    case link::kLinuxSll:
      // 16 bytes: packet type, ARPHRD, address length, address[8], protocol (ethertype).
      if (b.size() < 16) return short_header("Linux SLL header", 16, b.size());
      ethertype(be16(b.data() + 14), b.subspan(16), 0);
      return;
    case link::kLinuxSll2:
      // 20 bytes: protocol, reserved, ifindex, ARPHRD, packet type, address length, address[8].
      if (b.size() < 20) return short_header("Linux SLL2 header", 20, b.size());
      ethertype(be16(b.data()), b.subspan(20), 0);
      return;
    case link::kNull: {
      // The family is in the capturing host's byte order; AF_ values are small, so a value with
      // high bits set was written by a host of the other endianness.
      if (b.size() < 4) return short_header("BSD loopback header", 4, b.size());
      std::uint32_t family = core::ByteReader::load_u32le(b.data());
      if ((family & 0xFFFF0000u) != 0) family = core::ByteReader::load_u32be(b.data());
      bsd_loopback(family, b.subspan(4));
      return;
    }
    case link::kLoop:
      if (b.size() < 4) return short_header("BSD loopback header", 4, b.size());
      bsd_loopback(core::ByteReader::load_u32be(b.data()), b.subspan(4));
      return;
    case link::kPpp: case link::kPppHdlc:
      ppp(b, 0);
      return;
    case link::kCiscoHdlc:
      // Address (0x0F unicast, 0x8F broadcast), control 0, then an ethertype.
      if (b.size() < 4) return short_header("Cisco HDLC header", 4, b.size());
      ethertype(be16(b.data() + 2), b.subspan(4), 0);
      return;
    case link::kNflog:
      nflog(b);
      return;
    case link::kPktap: case link::kPktapOld:
      if (allow_pktap) return pktap(b);
      malformed("PKTAP header inside a PKTAP header");
      return;
    default:
      break;
  }
  ++counters[DecodeCounter::kUnknownLinkType];
  // PKTAP headers name a link type per frame, so a hostile file could name millions: the
  // per-type table is capped, and types beyond it are only in the total.
  auto it = unknown_links.find(type);
  if (it == unknown_links.end()) {
    if (unknown_links.size() >= kMaxUnknownLinkTypes) return;
    it = unknown_links.emplace(type, 0).first;
    diag.warn(frame->input, frame->offset, fmt::format("link type {} is not decoded; its frames are counted", type));
  }
  ++it->second;
}

void Decoder::Impl::bsd_loopback(std::uint32_t family, Bytes b) {
  // AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
  switch (family) {
    case 2: case 24: case 28: case 30:
      ip(b, 0);
      return;
    default:
      ++counters[DecodeCounter::kNonIp];
  }
}

bool Decoder::Impl::looks_like_raw_ip(Bytes b) const {
  // PCAPdroid writes a frame without its fake Ethernet header when the trailer would not fit in
  // the snap length, still in an Ethernet-typed file. Such a frame starts with an IP header whose
  // length matches the frame's wire length; for IPv4 we also insist on a correct header checksum
  // so that an Ethernet frame whose MAC bytes happen to look right is not taken for one.
  if (b.size() < 20) return false;
  switch (b[0] >> 4) {
    case 4: {
      const std::size_t ihl = (b[0] & 0x0Fu) * 4u;
      return ihl >= 20 && ihl <= b.size() && be16(b.data() + 2) == wire_len &&
             ipv4_checksum_ok(b.first(ihl));
    }
    case 6: {
      if (b.size() < 40 || be16(b.data() + 4) + 40u != wire_len) return false;
      if (!plausible_ipv6_next_header(b[6])) return false;
      switch (be16(b.data() + 12)) {  // a real Ethernet frame would carry one of these
        case ether::kIpv4: case ether::kIpv6: case ether::kVlan: case ether::kQinQ:
        case ether::kMplsUnicast: case ether::kPppoeSession:
          return false;
        default:
          return true;
      }
    }
    default:
      return false;
  }
}

void Decoder::Impl::tag_pcapdroid(const PcapdroidTrailer& t) {
  AppCache<24>& c = pcapdroid_cache;
  std::array<std::uint8_t, 24> key{};
  std::memcpy(key.data(), &t.uid, 4);
  std::memcpy(key.data() + 4, t.name.data(), std::min<std::size_t>(t.name.size(), 20));
  if (!c.valid || c.key != key) {
    core::AppInfo info;
    info.name = std::string(t.name);
    info.uid = t.uid;
    c.id = apps.intern(info);
    c.key = key;
    c.valid = true;
  }
  if (c.id != core::kNoApp) {
    app = c.id;
    ++counters[DecodeCounter::kAppTagged];
  }
}

namespace {

// Whether an Ethernet frame leaves room after its IP datagram for a PCAPdroid trailer. Reading
// the IP length costs nothing (that cache line is read anyway), while looking for the magic at
// the frame's end would touch another line of every large frame.
bool room_for_trailer(Bytes b, std::size_t trailer) {
  if (b.size() < 14 + trailer) return false;
  const std::uint16_t type = static_cast<std::uint16_t>(b[12] << 8 | b[13]);
  if (type == 0x0800 && b.size() >= 14 + 20 && (b[14] >> 4) == 4)
    return 14u + (b[16] << 8 | b[17]) + trailer <= b.size();
  if (type == 0x86DD && b.size() >= 14 + 40 && (b[14] >> 4) == 6)
    return 14u + 40u + (b[18] << 8 | b[19]) + trailer <= b.size();
  return true;  // other frames: look for the magic
}

}  // namespace

void Decoder::Impl::ethernet_outer(Bytes b) {
  if (room_for_trailer(b, kPcapdroidTrailerSize) &&
      core::ByteReader::load_u32be(b.data() + b.size() - kPcapdroidTrailerSize) == kPcapdroidMagic) {
    PcapdroidTrailer t;
    switch (find_pcapdroid_trailer(b, t)) {
      case TrailerCheck::kValid:
        tag_pcapdroid(t);
        b = b.first(b.size() - kPcapdroidTrailerSize);
        break;
      case TrailerCheck::kBadCrc:
        diag.warn(frame->input, frame->offset, "PCAPdroid trailer with a bad crc: its app is not trusted");
        break;
      case TrailerCheck::kAbsent:
        break;
    }
  } else if (looks_like_raw_ip(b)) {
    return ip(b, 0);
  }
  ethernet(b, 0);
}

void Decoder::Impl::ethernet(Bytes b, std::uint8_t depth) {
  // MPLS pseudowires and transparent bridging can nest Ethernet without a transport header in
  // between; this bounds the recursion independently of the tunnel depth.
  if (++link_nest > 8u + limits.max_tunnel_depth) {
    malformed("more than {} nested link-layer headers", 8u + limits.max_tunnel_depth);
    return;
  }
  if (b.size() < 14) return short_header("Ethernet header", 14, b.size());
  std::uint16_t type = be16(b.data() + 12);
  b = b.subspan(14);
  if (type <= 1500) {
    // IEEE 802.3 length field: only LLC/SNAP (AA AA 03, OUI, ethertype) can carry IP.
    if (b.size() >= 8 && b[0] == 0xAA && b[1] == 0xAA && b[2] == 0x03) {
      type = be16(b.data() + 6);
      b = b.subspan(8);
    } else {
      ++counters[DecodeCounter::kNonIp];
      return;
    }
  }
  ethertype(type, b, depth);
}

void Decoder::Impl::ethertype(std::uint16_t type, Bytes b, std::uint8_t depth) {
  for (;;) {  // each VLAN tag consumes 4 bytes, so this ends
    switch (type) {
      case ether::kIpv4: case ether::kIpv6:
        // Some writers (pymobiledevice3) claim IPv4 for every packet: the version nibble decides.
        return ip(b, depth);
      case ether::kVlan: case ether::kQinQ: case ether::kQinQOld: case ether::kQinQOld2:
        if (b.size() < 4) return short_header("802.1Q tag", 4, b.size());
        type = be16(b.data() + 2);
        b = b.subspan(4);
        continue;
      case ether::kMplsUnicast: case ether::kMplsMulticast:
        return mpls(b, depth);
      case ether::kPppoeSession:
        return pppoe(b, depth);
      case ether::kTransparentEthernet:
        return ethernet(b, depth);
      default:
        ++counters[DecodeCounter::kNonIp];
        return;
    }
  }
}

void Decoder::Impl::mpls(Bytes b, std::uint8_t depth) {
  // RFC 3032 §2.1: 4-byte entries until the bottom-of-stack bit.
  for (;;) {
    if (b.size() < 4) return short_header("MPLS label stack entry", 4, b.size());
    const bool bottom = (b[2] & 0x01) != 0;
    b = b.subspan(4);
    if (bottom) break;
  }
  if (b.empty()) return short_header("MPLS payload", 1, 0);
  // No protocol field: sniff. A first nibble of 0 is the pseudowire control word (RFC 4385 §3)
  // that precedes an Ethernet frame in Ethernet-over-MPLS (RFC 4448).
  switch (b[0] >> 4) {
    case 4: case 6:
      return ip(b, depth);
    case 0:
      if (b.size() < 4) return short_header("MPLS pseudowire control word", 4, b.size());
      return ethernet(b.subspan(4), depth);
    default:
      ++counters[DecodeCounter::kNonIp];
  }
}

void Decoder::Impl::pppoe(Bytes b, std::uint8_t depth) {
  // RFC 2516 §4: ver/type 0x11, code 0, session id, length (from the PPP protocol field on).
  if (b.size() < 8) return short_header("PPPoE session header", 8, b.size());
  if (b[0] != 0x11) return malformed("PPPoE version/type 0x{:02x} is not 0x11", b[0]);
  const std::uint16_t length = be16(b.data() + 4);
  if (length < 2) return malformed("PPPoE length {} leaves no room for the PPP protocol", length);
  Bytes payload = b.subspan(8);
  if (length - 2u < payload.size()) payload = payload.first(length - 2u);  // Ethernet padding
  ppp_protocol(be16(b.data() + 6), payload, depth);
}

void Decoder::Impl::ppp(Bytes b, std::uint8_t depth) {
  // RFC 1662 §3.1: optional HDLC address 0xFF and control 0x03; RFC 1661 §6.5: a protocol
  // field with an odd first byte was compressed to one byte.
  if (b.size() >= 2 && b[0] == 0xFF && b[1] == 0x03) b = b.subspan(2);
  if (b.empty()) return short_header("PPP protocol field", 1, 0);
  if ((b[0] & 0x01) != 0) return ppp_protocol(b[0], b.subspan(1), depth);
  if (b.size() < 2) return short_header("PPP protocol field", 2, b.size());
  ppp_protocol(be16(b.data()), b.subspan(2), depth);
}

void Decoder::Impl::ppp_protocol(std::uint16_t protocol, Bytes b, std::uint8_t depth) {
  switch (protocol) {
    case 0x0021: case 0x0057:  // IPv4, IPv6 (RFC 1332, RFC 5072)
      return ip(b, depth);
    default:
      ++counters[DecodeCounter::kNonIp];
  }
}

void Decoder::Impl::nflog(Bytes b) {
  // Linux NFLOG: family, version, resource id (BE), then netlink TLVs in host byte order
  // (little-endian on the hosts that write these files): length u16 (header included), type u16,
  // value padded to 4 bytes. NFULA_PAYLOAD (9) holds the packet from its IP header on.
  if (b.size() < 4) return short_header("NFLOG header", 4, b.size());
  core::ByteReader r(b.subspan(4));
  while (r.remaining() >= 4) {
    const std::uint16_t len = r.u16le();
    const std::uint16_t type = r.u16le() & 0x3FFF;  // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (len < 4) return malformed("NFLOG TLV length {} < 4", len);
    const std::size_t avail = r.remaining() + 4;
    const Bytes value = r.take(len - 4u);
    if (!r.ok()) return short_header("NFLOG TLV", len, avail);
    if (type == 9) return ip(value, 0);
    r.skip(std::min<std::size_t>((4 - len % 4) % 4, r.remaining()));
  }
  ++counters[DecodeCounter::kNonIp];
}

void Decoder::Impl::tag_pktap(const PktapHeader& h) {
  if (!h.has_process || (h.comm.empty() && h.pid <= 0)) return;
  AppCache<42>& c = pktap_cache;
  std::array<std::uint8_t, 42> key{};
  std::memcpy(key.data(), &h.pid, 4);
  std::memcpy(key.data() + 4, h.comm.data(), std::min<std::size_t>(h.comm.size(), 17));
  std::memcpy(key.data() + 21, &h.epid, 4);
  std::memcpy(key.data() + 25, h.ecomm.data(), std::min<std::size_t>(h.ecomm.size(), 17));
  if (!c.valid || c.key != key) {
    core::AppInfo info;
    info.name = std::string(h.comm);
    info.pid = h.pid;
    // The effective process is the one a daemon acted for (PTH_FLAG_PROC_DELEGATED); AppInfo
    // leaves it empty when it is the same process.
    if (!h.ecomm.empty() && (h.ecomm != h.comm || h.epid != h.pid)) {
      info.effective_name = std::string(h.ecomm);
      info.effective_pid = h.epid;
    }
    c.id = apps.intern(info);
    c.key = key;
    c.valid = true;
  }
  if (c.id != core::kNoApp) {
    app = c.id;
    ++counters[DecodeCounter::kAppTagged];
  }
}

void Decoder::Impl::pktap(Bytes b) {
  PktapHeader h;
  switch (parse_pktap(b, h)) {
    case PktapCheck::kTooShort:
      return short_header("PKTAP header", kPktapMinLength, b.size());
    case PktapCheck::kBadLength:
      if (snapped && h.length >= kPktapMinLength) return short_header("PKTAP header", h.length, b.size());
      return malformed("PKTAP header length {} outside 12..{}", h.length, b.size());
    case PktapCheck::kValid:
      break;
  }
  if (h.type_next != kPktapTypePacket) {
    ++counters[DecodeCounter::kNonIp];
    return;
  }
  tag_pktap(h);
  link_layer(h.dlt, b.subspan(h.length), false);
}

// --- IP ------------------------------------------------------------------------------------

void Decoder::Impl::ip(Bytes b, std::uint8_t depth) {
  if (b.empty()) return short_header("IP header", 1, 0);
  switch (b[0] >> 4) {
    case 4: return ipv4(b, depth);
    case 6: return ipv6(b, depth);
    default: return malformed("IP version {} is neither 4 nor 6", b[0] >> 4);
  }
}

void Decoder::Impl::ipv4(Bytes b, std::uint8_t depth) {
  // RFC 791 §3.1.
  ++counters[DecodeCounter::kIpv4];
  if (b.size() < 20) return short_header("IPv4 header", 20, b.size());
  const std::uint8_t* p = b.data();
  const std::size_t ihl = (p[0] & 0x0Fu) * 4u;
  if (ihl < 20) return malformed("IPv4 header length {} < 20", ihl);
  if (ihl > b.size()) return short_header("IPv4 header with options", ihl, b.size());
  const std::uint16_t total = be16(p + 2);
  std::size_t end = total;
  std::uint32_t claimed = total;
  if (total == 0) {
    // Captured before TCP segmentation offload filled it in: the captured bytes are the packet.
    end = claimed = static_cast<std::uint32_t>(b.size());
  } else if (total < ihl) {
    return malformed("IPv4 total length {} < header length {}", total, ihl);
  } else if (total > b.size()) {
    if (snapped) {
      ++counters[DecodeCounter::kTruncated];
    } else {
      malformed("IPv4 total length {} exceeds the {} bytes present", total, b.size());
      claimed = static_cast<std::uint32_t>(b.size());
    }
    end = b.size();
  }
  const core::IpAddress src = v4_address(b.subspan(12));
  const core::IpAddress dst = v4_address(b.subspan(16));
  const std::uint8_t protocol = p[9];
  const Bytes payload = b.subspan(ihl, end - ihl);  // drops Ethernet padding after `total`
  const std::uint16_t frag = be16(p + 6);
  if ((frag & 0x3FFF) == 0) {  // neither MF nor an offset: the common case
    return transport(src, dst, protocol, payload, claimed - static_cast<std::uint32_t>(ihl), depth);
  }
  Fragment f;
  f.key = FragmentKey{src, dst, be16(p + 4), protocol};
  f.offset = (frag & 0x1FFFu) * 8u;
  f.more = (frag & 0x2000) != 0;
  f.next_header = protocol;
  if (claimed != end) {  // cut by the snap length: its bytes cannot complete a datagram
    ++counters[DecodeCounter::kFragments];
    ++counters[DecodeCounter::kFragmentsDropped];
    return;
  }
  f.data = payload;
  fragment(f, false, depth);
}

void Decoder::Impl::ipv6(Bytes b, std::uint8_t depth) {
  // RFC 8200 §3.
  ++counters[DecodeCounter::kIpv6];
  if (b.size() < 40) return short_header("IPv6 header", 40, b.size());
  const std::uint16_t plen = be16(b.data() + 4);
  const std::uint8_t nh = b[6];
  Bytes rest = b.subspan(40);
  std::uint32_t claimed = plen;
  if (plen == 0 && nh == proto::kHopByHop) {
    claimed = static_cast<std::uint32_t>(rest.size());  // jumbogram (RFC 2675): take what is there
  } else if (plen > rest.size()) {
    if (snapped) {
      ++counters[DecodeCounter::kTruncated];
    } else {
      malformed("IPv6 payload length {} exceeds the {} bytes present", plen, rest.size());
      claimed = static_cast<std::uint32_t>(rest.size());
    }
  } else {
    rest = rest.first(plen);
  }
  ipv6_chain(v6_address(b.subspan(8)), v6_address(b.subspan(24)), nh, rest, claimed, depth, true);
}

namespace {

// The final destination named by an IPv6 routing header `rh` (whole header, segments left > 0),
// or `current` when the type is one whose addresses we do not read.
core::IpAddress final_hop(Bytes rh, const core::IpAddress& current) {
  const std::uint8_t type = rh[2];
  const std::size_t addresses = (rh.size() - 8) / 16;
  if (addresses == 0) return current;
  switch (type) {
    case 0:  // RFC 2460 §4.4 (deprecated by RFC 5095, still seen): the last listed address
    case 2:  // RFC 6275 §6.4: the home address, the only one
      return core::IpAddress::v6(rh.subspan(8 + (addresses - 1) * 16).first<16>());
    case 4:  // RFC 8754 §2: Segment List[0] is the last segment
      return core::IpAddress::v6(rh.subspan(8).first<16>());
    default:
      return current;
  }
}

}  // namespace

void Decoder::Impl::ipv6_chain(const core::IpAddress& src, const core::IpAddress& dst, std::uint8_t nh,
                               Bytes b, std::uint32_t claimed, std::uint8_t depth, bool fragmentable) {
  // Where the packet is finally going: a routing header with segments left names the last hop,
  // as the transport checksum does (RFC 8200 §8.1). That is the flow's true other end.
  core::IpAddress to = dst;
  // RFC 8200 §4: every extension header is at least 8 bytes, so this loop ends.
  for (;;) {
    std::size_t len = 0;
    switch (nh) {
      case proto::kHopByHop: case proto::kRouting: case proto::kDestOpts:
        if (b.size() < 2) return short_header("IPv6 extension header", 8, b.size());
        len = (b[1] + 1u) * 8u;  // RFC 8200 §4.3: Hdr Ext Len in 8-octet units, not counting the first 8
        if (nh == proto::kRouting && len <= b.size() && b.size() >= 4 && b[3] > 0) to = final_hop(b.first(len), to);
        break;
      case proto::kAh:
        if (b.size() < 2) return short_header("IPv6 AH header", 12, b.size());
        len = (b[1] + 2u) * 4u;  // RFC 4302 §2.2: Payload Len in 4-octet units, minus 2
        break;
      case proto::kFragment: {
        // RFC 8200 §4.5: next header, reserved, offset(13)|res(2)|M(1), identification.
        if (b.size() < 8) return short_header("IPv6 fragment header", 8, b.size());
        if (claimed < 8) return malformed("IPv6 payload length too short for a fragment header");
        const std::uint16_t off_m = be16(b.data() + 2);
        const std::uint8_t inner = b[0];
        if ((off_m & 0xFFF9) == 0) {  // offset 0, M clear: an atomic fragment (RFC 6946) is whole
          nh = inner;
          b = b.subspan(8);
          claimed -= 8;
          continue;
        }
        if (!fragmentable) return malformed("IPv6 fragment header inside a reassembled datagram");
        Fragment f;
        f.key = FragmentKey{src, dst, core::ByteReader::load_u32be(b.data() + 4), 0};
        f.offset = off_m & 0xFFF8u;
        f.more = (off_m & 0x0001) != 0;
        f.next_header = inner;
        if (claimed != b.size()) {  // cut by the snap length
          ++counters[DecodeCounter::kFragments];
          ++counters[DecodeCounter::kFragmentsDropped];
          return;
        }
        f.data = b.subspan(8);
        return fragment(f, true, depth);
      }
      default:  // an upper layer, ESP (opaque) or No Next Header: the chain ends here
        return transport(src, to, nh, b, claimed, depth);
    }
    if (len > b.size()) return short_header("IPv6 extension header", len, b.size());
    if (len > claimed) return malformed("IPv6 extension header of {} bytes exceeds the payload length", len);
    nh = b[0];
    b = b.subspan(len);
    claimed -= static_cast<std::uint32_t>(len);
  }
}

void Decoder::Impl::fragment(const Fragment& f0, bool v6, std::uint8_t depth) {
  Fragment f = f0;
  f.ts = frame->ts;
  f.wire_len = wire_len;
  f.app = app;
  Reassembled whole;
  const FragmentResult r = defrag.add(f, whole);
  const char* family = v6 ? "IPv6" : "IPv4";
  if (r.rejected != nullptr) diag.warn(frame->input, frame->offset, fmt::format("{} fragment dropped: {}", family, r.rejected));
  if (r.overlap_conflict) {
    diag.warn(frame->input, frame->offset,
              fmt::format("{} fragment at offset {} overlaps earlier data with different bytes; the first data is kept",
                          family, f.offset));
  }
  if (!r.complete) return;
  // The datagram is decoded as one packet carried by all its fragments' frames. `whole` lives on
  // this stack frame, so a tunnelled fragment completing inside it cannot overwrite its bytes.
  const auto saved = std::make_tuple(wire_len, frames, snapped, app);
  wire_len = whole.wire_len;
  frames = whole.frames;
  snapped = false;
  if (app == core::kNoApp) app = whole.app;
  const Bytes data(whole.data);
  const auto size = static_cast<std::uint32_t>(data.size());
  if (v6) {
    ipv6_chain(f.key.src, f.key.dst, whole.next_header, data, size, depth, false);
  } else {
    transport(f.key.src, f.key.dst, f.key.proto, data, size, depth);
  }
  std::tie(wire_len, frames, snapped, app) = saved;
}

// --- transport -------------------------------------------------------------------------------

void Decoder::Impl::emit(PacketView& v, std::uint8_t depth) {
  v.ts = frame->ts;
  v.wire_len = wire_len;
  v.frames = frames;
  v.app = app;
  v.input = frame->input;
  v.offset = frame->offset;
  v.depth = depth;
  (*out)(v);
}

void Decoder::Impl::transport(const core::IpAddress& src, const core::IpAddress& dst, std::uint8_t protocol,
                              Bytes b, std::uint32_t claimed, std::uint8_t depth) {
  PacketView v;
  v.src.addr = src;
  v.dst.addr = dst;
  v.ip_proto = protocol;
  switch (protocol) {
    case ip_proto::kTcp: {
      // RFC 9293 §3.1.
      if (b.size() < 20) return short_header("TCP header", 20, b.size());
      const std::uint8_t* p = b.data();
      const std::size_t off = (p[12] >> 4) * 4u;
      if (off < 20) return malformed("TCP data offset {} < 20 bytes", off);
      if (off > claimed) return malformed("TCP data offset {} exceeds the {}-byte segment", off, claimed);
      if (off > b.size()) {
        ++counters[DecodeCounter::kTruncated];  // options cut by the snap length; ports are there
        b = {};
      } else {
        b = b.subspan(off);
      }
      v.src.port = be16(p);
      v.dst.port = be16(p + 2);
      v.seq = core::ByteReader::load_u32be(p + 4);
      v.ack = core::ByteReader::load_u32be(p + 8);
      v.tcp_flags = p[13];
      v.window = be16(p + 14);
      v.payload = b;
      v.payload_len = claimed - static_cast<std::uint32_t>(off);
      ++counters[DecodeCounter::kTcp];
      return emit(v, depth);
    }
    case ip_proto::kUdp: {
      // RFC 768.
      if (b.size() < 8) return short_header("UDP header", 8, b.size());
      const std::uint8_t* p = b.data();
      std::uint32_t len = be16(p + 4);
      if (len == 0 && src.version == 6 && claimed > 0xFFFF) {
        len = claimed;  // RFC 2675 §4: UDP in a jumbogram
      } else if (len < 8) {
        malformed("UDP length {} < 8", len);
        len = claimed;
      } else if (len > claimed) {
        malformed("UDP length {} exceeds the {} bytes the IP header gives it", len, claimed);
        len = claimed;
      }
      if (len < 8) return;  // claimed itself was too short for a header we could read
      v.src.port = be16(p);
      v.dst.port = be16(p + 2);
      v.payload = b.subspan(8, std::min<std::size_t>(len, b.size()) - 8);
      v.payload_len = len - 8;
      ++counters[DecodeCounter::kUdp];
      emit(v, depth);
      if (depth < limits.max_tunnel_depth) udp_tunnel(v.src.port, v.dst.port, v.payload, depth);
      return;
    }
    case ip_proto::kIcmp: case ip_proto::kIcmp6:
      ++counters[protocol == ip_proto::kIcmp ? DecodeCounter::kIcmp : DecodeCounter::kIcmp6];
      v.payload = b;
      v.payload_len = claimed;
      return emit(v, depth);
    default:
      break;
  }
  ++counters[DecodeCounter::kOtherIpProto];
  v.payload = b;
  v.payload_len = claimed;
  emit(v, depth);
  if (depth >= limits.max_tunnel_depth) return;
  switch (protocol) {
    case proto::kIpInIp: case proto::kIpv6InIp:  // RFC 2003, RFC 4213
      ++counters[DecodeCounter::kTunnelled];
      return ip(b, depth + 1);
    case proto::kGre:
      return gre(b, depth + 1);
    default:
      return;
  }
}

void Decoder::Impl::gre(Bytes b, std::uint8_t depth) {
  if (b.size() < 4) return short_header("GRE header", 4, b.size());
  const std::uint16_t flags = be16(b.data());
  const std::uint16_t type = be16(b.data() + 2);
  std::size_t off = 4;
  switch (flags & 0x0007) {
    case 0:
      // RFC 2784 §2 / RFC 2890 §2: checksum+reserved if C (or RFC 1701's R), key if K, sequence if S.
      if ((flags & 0x4000) != 0) {  // RFC 1701 source routing: obsolete, not decoded
        ++counters[DecodeCounter::kNonIp];
        return;
      }
      off += (flags & 0x8000) != 0 ? 4 : 0;
      off += (flags & 0x2000) != 0 ? 4 : 0;
      off += (flags & 0x1000) != 0 ? 4 : 0;
      break;
    case 1:
      // RFC 2637 §4.1 (PPTP): key (payload length, call id) always, sequence if S, ack if A.
      if (type != ether::kPptpPpp) return malformed("GRE version 1 protocol 0x{:04x} is not PPP", type);
      off = 8 + ((flags & 0x1000) != 0 ? 4 : 0) + ((flags & 0x0080) != 0 ? 4 : 0);
      if (b.size() < off) return short_header("GRE header", off, b.size());
      ++counters[DecodeCounter::kTunnelled];
      return ppp(b.subspan(off), depth);
    default:
      return malformed("GRE version {} is unknown", flags & 0x0007);
  }
  if (b.size() < off) return short_header("GRE header", off, b.size());
  Bytes inner = b.subspan(off);
  switch (type) {
    case ether::kErspan2:
      // ERSPAN type II has an 8-byte header and sets S; type I has neither.
      if ((flags & 0x1000) != 0) {
        if (inner.size() < 8) return short_header("ERSPAN II header", 8, inner.size());
        inner = inner.subspan(8);
      }
      ++counters[DecodeCounter::kTunnelled];
      return ethernet(inner, depth);
    case ether::kErspan3: {
      // ERSPAN type III: 12 bytes; word 3 ends with FT(5) HwID(6) D(1) Gra(2) O(1); O adds an
      // 8-byte platform-specific subheader. FT 0 is Ethernet, 2 is IP.
      if (inner.size() < 12) return short_header("ERSPAN III header", 12, inner.size());
      const unsigned ft = (inner[10] >> 2) & 0x1Fu;
      const std::size_t hdr = 12 + ((inner[11] & 0x01) != 0 ? 8 : 0);
      if (inner.size() < hdr) return short_header("ERSPAN III header", hdr, inner.size());
      ++counters[DecodeCounter::kTunnelled];
      if (ft == 0) return ethernet(inner.subspan(hdr), depth);
      if (ft == 2) return ip(inner.subspan(hdr), depth);
      ++counters[DecodeCounter::kNonIp];
      return;
    }
    default:
      ++counters[DecodeCounter::kTunnelled];
      return ethertype(type, inner, depth);
  }
}

void Decoder::Impl::udp_tunnel(std::uint16_t sport, std::uint16_t dport, Bytes b, std::uint8_t depth) {
  const auto inner_depth = static_cast<std::uint8_t>(depth + 1);
  // Either port: the sender of a tunnelled packet may use the well-known port as its source
  // (seen in ERSPAN-mirrored VXLAN), and the header checks below guard against look-alikes.
  if (dport == port::kVxlan || sport == port::kVxlan) {
    // RFC 7348 §5: flags (I = 0x08 must be set), reserved, VNI, reserved; then Ethernet.
    if (b.size() < 8 || (b[0] & 0x08) == 0) return;
    ++counters[DecodeCounter::kTunnelled];
    return ethernet(b.subspan(8), inner_depth);
  }
  if (dport == port::kGeneve || sport == port::kGeneve) {
    // RFC 8926 §3.4: Ver(2) OptLen(6, 4-byte units) | O C Rsvd | protocol | VNI | reserved.
    if (b.size() < 8 || (b[0] >> 6) != 0) return;
    const std::size_t hdr = 8 + (b[0] & 0x3Fu) * 4u;
    if (b.size() < hdr) return short_header("Geneve options", hdr, b.size());
    ++counters[DecodeCounter::kTunnelled];
    return ethertype(be16(b.data() + 2), b.subspan(hdr), inner_depth);
  }
  if (dport == port::kGtpU || sport == port::kGtpU) {
    // 3GPP TS 29.281 §5.1: flags (version 1, PT 1, E S PN), type, length, TEID; the optional
    // 4 bytes (sequence, N-PDU, next extension type) when any of E S PN is set.
    if (b.size() < 8 || (b[0] >> 5) != 1 || (b[0] & 0x10) == 0 || b[1] != 255) return;
    const std::size_t end = std::min<std::size_t>(8u + be16(b.data() + 2), b.size());
    std::size_t hdr = 8;
    if ((b[0] & 0x07) != 0) {
      if (end < 12) return short_header("GTP-U optional fields", 12, end);
      hdr = 12;
      std::uint8_t next = b[11];
      // §5.2: each extension header is a length in 4-byte units, content, and the next type.
      while (next != 0) {
        if (hdr >= end) return short_header("GTP-U extension header", hdr + 1, end);
        const std::size_t len = b[hdr] * 4u;
        if (len == 0) return malformed("GTP-U extension header length 0");
        if (hdr + len > end) return short_header("GTP-U extension header", hdr + len, end);
        next = b[hdr + len - 1];
        hdr += len;
      }
    }
    ++counters[DecodeCounter::kTunnelled];
    return ip(b.subspan(hdr, end - hdr), inner_depth);
  }
  if (dport == port::kTeredo || sport == port::kTeredo) {
    // RFC 4380 §5.1.1: optional authentication (0x0001) and origin indication (0x0000) headers
    // before the IPv6 packet. Only a packet that looks whole is taken as Teredo.
    std::size_t off = 0;
    if (b.size() >= 4 && b[0] == 0x00 && b[1] == 0x01) off = 4u + b[2] + b[3] + 8u + 1u;
    if (b.size() >= off + 8 && b[off] == 0x00 && b[off + 1] == 0x00) off += 8;
    if (b.size() < off + 40 || (b[off] >> 4) != 6 || be16(b.data() + off + 4) + 40u != b.size() - off) return;
    ++counters[DecodeCounter::kTunnelled];
    return ip(b.subspan(off), inner_depth);
  }
}

// --- Decoder ---------------------------------------------------------------------------------

Decoder::Decoder(core::Diagnostics& diag, core::AppRegistry& apps, Limits limits)
    : impl_(std::make_unique<Impl>(diag, apps, limits)) {}

Decoder::~Decoder() = default;

void Decoder::decode(const capture::Frame& frame, absl::FunctionRef<void(const PacketView&)> out) {
  impl_->decode(frame, out);
}

const core::Counters<DecodeCounter>& Decoder::counters() const { return impl_->counters; }

std::vector<std::pair<std::uint32_t, std::uint64_t>> Decoder::unknown_link_types() const {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> v(impl_->unknown_links.begin(), impl_->unknown_links.end());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace tattle::decode
