#include "decode/app_tags.hpp"

#include <zlib.h>

#include <cstring>

namespace tattle::decode {

namespace {

// A fixed-size C string field: up to the first NUL, or the whole field when there is none.
std::string_view c_field(core::Bytes b) {
  const auto* p = reinterpret_cast<const char*>(b.data());
  const void* nul = std::memchr(p, 0, b.size());
  return {p, nul != nullptr ? static_cast<std::size_t>(static_cast<const char*>(nul) - p) : b.size()};
}

}  // namespace

TrailerCheck find_pcapdroid_trailer(core::Bytes frame, PcapdroidTrailer& out) {
  if (frame.size() < 14 + kPcapdroidTrailerSize) return TrailerCheck::kAbsent;
  core::ByteReader r(frame.last(kPcapdroidTrailerSize));
  if (r.u32be() != kPcapdroidMagic) return TrailerCheck::kAbsent;
  const auto uid = static_cast<std::int32_t>(r.u32be());
  const core::Bytes name = r.take(20);
  const std::uint32_t fcs = r.u32le();
  // The magic alone is 4 bytes any payload could end with; only the crc makes the uid trustworthy.
  const auto covered = frame.first(frame.size() - 4);
  const auto crc = static_cast<std::uint32_t>(
      crc32(0L, covered.data(), static_cast<uInt>(covered.size())));
  if (crc != fcs) return TrailerCheck::kBadCrc;
  out.uid = uid;
  out.name = c_field(name);
  return TrailerCheck::kValid;
}

PktapCheck parse_pktap(core::Bytes frame, PktapHeader& out) {
  if (frame.size() < kPktapMinLength) return PktapCheck::kTooShort;
  core::ByteReader r(frame);
  out.length = r.u32le();
  out.type_next = r.u32le();
  out.dlt = r.u32le();
  if (out.length < kPktapMinLength || out.length > frame.size()) return PktapCheck::kBadLength;
  out.has_process = out.length >= kPktapProcessLength;
  if (out.has_process) {
    core::ByteReader p(frame.subspan(52, kPktapProcessLength - 52));
    out.pid = static_cast<std::int32_t>(p.u32le());
    out.comm = c_field(p.take(17));
    p.skip(3 + 4 + 2 + 2);  // padding, pth_svc, pth_iftype, pth_ifunit
    out.epid = static_cast<std::int32_t>(p.u32le());
    out.ecomm = c_field(p.take(17));
  }
  return PktapCheck::kValid;
}

}  // namespace tattle::decode
