#include "capture/packet_source.hpp"

#include <fmt/format.h>

#include "capture/reader_base.hpp"

namespace tattle::capture {

std::string_view counter_name(CaptureCounter c) {
  switch (c) {
    case CaptureCounter::kRecords:
      return "records";
    case CaptureCounter::kTruncatedRecords:
      return "truncated_records";
    case CaptureCounter::kBadRecords:
      return "bad_records";
    case CaptureCounter::kSkippedBlocks:
      return "skipped_blocks";
    case CaptureCounter::kSkippedBytes:
      return "skipped_bytes";
    case CaptureCounter::kSections:
      return "sections";
    case CaptureCounter::kInterfaces:
      return "interfaces";
    case CaptureCounter::kNameRecords:
      return "name_records";
    case CaptureCounter::kSecrets:
      return "secrets";
    case CaptureCounter::kStatistics:
      return "statistics";
    case CaptureCounter::kBadBlocks:
      return "bad_blocks";
    case CaptureCounter::kMetadataDropped: return "metadata_dropped";
    case CaptureCounter::kCount:
      break;
  }
  return "unknown";
}

namespace {

// pcap magics as read little-endian from the first four bytes (draft-ietf-opsawg-pcap §4).
constexpr std::uint32_t kPcapMicros = 0xa1b2c3d4;
constexpr std::uint32_t kPcapNanos = 0xa1b23c4d;
constexpr std::uint32_t kPcapMicrosSwapped = 0xd4c3b2a1;
constexpr std::uint32_t kPcapNanosSwapped = 0x4d3cb2a1;
constexpr std::uint32_t kPcapngShb = 0x0A0D0D0A;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
// libpcap's LT_LINKTYPE(): the upper bits of the link-type field hold the FCS length and its
// presence flag (pcap-common.h), which are not part of the link type.
constexpr std::uint32_t kLinkTypeMask = 0x03FFFFFF;

std::string first_bytes(core::Bytes b) {
  std::string s;
  for (std::size_t i = 0; i < b.size() && i < 8; ++i)
    s += fmt::format("{}{:02x}", i ? " " : "", b[i]);
  return s;
}

template <class In>
absl::StatusOr<std::unique_ptr<PacketSource>> detect(std::unique_ptr<In> in, ReaderContext ctx) {
  const std::string& path = ctx.info.path;
  const char* what = ctx.info.gzip ? " after decompression" : "";
  const core::Bytes head = in->window(24);
  if (head.empty()) return absl::InvalidArgumentError(fmt::format("{}: empty file{}", path, what));
  if (head.size() < 4)
    return absl::InvalidArgumentError(
        fmt::format("{}: not a capture file: only {} bytes{}", path, head.size(), what));
  const std::uint32_t magic = core::ByteReader::load_u32le(head.data());
  if (magic == kPcapMicros || magic == kPcapNanos || magic == kPcapMicrosSwapped ||
      magic == kPcapNanosSwapped) {
    if (head.size() < 24)
      return absl::InvalidArgumentError(
          fmt::format("{}: pcap file header truncated ({} of 24 bytes)", path, head.size()));
    PcapHeader h;
    h.big_endian = magic == kPcapMicrosSwapped || magic == kPcapNanosSwapped;
    h.nanoseconds = magic == kPcapNanos || magic == kPcapNanosSwapped;
    core::ByteReader r(head);
    r.skip(4);
    const std::uint16_t major = r.u16(h.big_endian);
    const std::uint16_t minor = r.u16(h.big_endian);
    r.skip(8);  // thiszone, sigfigs: unused by every writer we know of
    h.snaplen = r.u32(h.big_endian);
    h.link_type = r.u32(h.big_endian) & kLinkTypeMask;
    if (major != 2)
      ctx.diag->warn(ctx.input, 4, fmt::format("pcap version {}.{}, reading as 2.4", major, minor));
    ctx.info.format = h.nanoseconds ? "pcap-ns" : "pcap";
    in->advance(24);
    return make_pcap_reader(std::move(in), std::move(ctx), h);
  }
  if (magic == kPcapngShb) {
    if (head.size() < 12 || (core::ByteReader::load_u32le(head.data() + 8) != kByteOrderMagic &&
                             core::ByteReader::load_u32be(head.data() + 8) != kByteOrderMagic))
      return absl::InvalidArgumentError(
          fmt::format("{}: not a pcapng file: bad byte-order magic{}", path, what));
    ctx.info.format = "pcapng";
    return make_pcapng_reader(std::move(in), std::move(ctx));
  }
  return absl::InvalidArgumentError(
      fmt::format("{}: not a capture file (pcap or pcapng, plain or gzip'd){}; it starts with {}",
                  path, what, first_bytes(head)));
}

ReaderContext context(std::string path, bool gzip, std::uint32_t input, core::Diagnostics& diag,
                      core::AppRegistry& apps, Limits limits) {
  ReaderContext ctx;
  ctx.input = input;
  ctx.diag = &diag;
  ctx.apps = &apps;
  ctx.limits = limits;
  ctx.info.path = std::move(path);
  ctx.info.gzip = gzip;
  return ctx;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PacketSource>> PacketSource::open(const std::string& path,
                                                                 std::uint32_t input,
                                                                 core::Diagnostics& diag,
                                                                 core::AppRegistry& apps,
                                                                 Limits limits) {
  auto mapped = MappedInput::map_file(path);
  if (!mapped.ok()) return mapped.status();
  if (is_gzip((*mapped)->all())) {
    mapped->reset();  // gzip is read through a small buffer instead of the mapping
    auto gz = GzipInput::open_file(path);
    if (!gz.ok()) return gz.status();
    (*gz)->report_to(&diag, input);
    return detect(std::move(*gz), context(path, true, input, diag, apps, limits));
  }
  if (limits.read_ahead_thread) (*mapped)->start_read_ahead();
  return detect(std::move(*mapped), context(path, false, input, diag, apps, limits));
}

absl::StatusOr<std::unique_ptr<PacketSource>> PacketSource::open_buffer(
    std::string name, std::vector<std::uint8_t> bytes, std::uint32_t input, core::Diagnostics& diag,
    core::AppRegistry& apps, Limits limits) {
  if (bytes.empty()) return absl::InvalidArgumentError(fmt::format("{}: empty file", name));
  if (is_gzip(bytes)) {
    auto gz = GzipInput::from_buffer(std::move(bytes));
    gz->report_to(&diag, input);
    return detect(std::move(gz), context(std::move(name), true, input, diag, apps, limits));
  }
  return detect(MappedInput::from_buffer(std::move(bytes)),
                context(std::move(name), false, input, diag, apps, limits));
}

}  // namespace tattle::capture
