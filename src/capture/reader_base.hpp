// Shared parts of the capture readers (internal to the capture stage): bookkeeping of InputInfo,
// timestamp scaling, and the factories that packet_source.cpp calls after format detection.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "capture/input.hpp"
#include "capture/packet_source.hpp"

namespace tattle::capture {

__extension__ using Int128 = __int128;
__extension__ using Uint128 = unsigned __int128;

// Everything a reader needs besides its input.
struct ReaderContext {
  std::uint32_t input = 0;
  core::Diagnostics* diag = nullptr;
  core::AppRegistry* apps = nullptr;
  Limits limits;
  InputInfo info;  // path and gzip already set
};

// Packet time units -> nanoseconds since the epoch. pcapng §4.2 if_tsresol: the most significant
// bit selects a power of 2 (set) or of 10 (clear) as the negative exponent; if_tsoffset is whole
// seconds added to every timestamp. Computed in 128 bits and clamped to the int64 range, since a
// 64-bit count of units may exceed 2^63 ns (cf. tcpdump's time_2106_overflow.pcapng).
struct TsScale {
  std::uint64_t mul = 1000;  // power of 10: ns = units * mul / div
  std::uint64_t div = 1;
  int shift = -1;  // power of 2: ns = units * 10^9 >> shift (when >= 0)

  static TsScale from_tsresol(std::uint8_t v) {
    TsScale s;
    const unsigned e = v & 0x7f;
    if ((v & 0x80) != 0) {
      s.shift = static_cast<int>(e);
      return s;
    }
    s.mul = 1;
    s.div = 1;
    if (e <= 9) {
      for (unsigned i = e; i < 9; ++i) s.mul *= 10;
    } else if (e - 9 <= 19) {
      for (unsigned i = 9; i < e; ++i) s.div *= 10;
    } else {
      s.mul = 0;  // finer than 10^-28 s: every 64-bit count is below one nanosecond
    }
    return s;
  }

  [[nodiscard]] std::int64_t to_ns(std::uint64_t units, std::int64_t offset_s) const noexcept {
    Int128 ns;
    if (shift >= 0) {
      ns = static_cast<Int128>((static_cast<Uint128>(units) * 1'000'000'000u) >> shift);
    } else if (div == 1) {
      ns = static_cast<Int128>(static_cast<Uint128>(units) * mul);
    } else {
      ns = static_cast<Int128>(static_cast<Uint128>(units) / div);
    }
    ns += static_cast<Int128>(offset_s) * 1'000'000'000;
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
    if (ns > kMax) return kMax;
    if (ns < kMin) return kMin;
    return static_cast<std::int64_t>(ns);
  }
};

// Implements the bookkeeping half of PacketSource.
class ReaderBase : public PacketSource {
 public:
  explicit ReaderBase(ReaderContext ctx)
      : info_(std::move(ctx.info)),
        input_(ctx.input),
        diag_(ctx.diag),
        apps_(ctx.apps),
        limits_(ctx.limits) {}

  [[nodiscard]] const InputInfo& info() const override { return info_; }
  [[nodiscard]] const std::vector<NameRecord>& names() const override { return names_; }
  [[nodiscard]] const std::vector<Secret>& secrets() const override { return secrets_; }

 protected:
  void count(CaptureCounter c, core::Counter n = 1) { info_.counters[c] += n; }
  void warn(std::uint64_t offset, std::string msg) { diag_->warn(input_, offset, std::move(msg)); }

  void add_link_type(std::uint32_t lt) {
    for (const std::uint32_t t : info_.link_types)
      if (t == lt) return;
    info_.link_types.push_back(lt);
  }

  // Per packet: keep this cheap.
  void note_packet(const Frame& f) {
    if (info_.packets == 0) {
      info_.first = info_.last = f.ts;
    } else {
      if (f.ts < info_.first) info_.first = f.ts;
      if (f.ts > info_.last) info_.last = f.ts;
    }
    ++info_.packets;
    info_.bytes += f.data.size();
    ++info_.counters[CaptureCounter::kRecords];
    if (f.data.size() < f.wire_len) ++info_.counters[CaptureCounter::kTruncatedRecords];
  }

  InputInfo info_;
  std::vector<NameRecord> names_;
  std::vector<Secret> secrets_;
  std::uint32_t input_;
  core::Diagnostics* diag_;
  core::AppRegistry* apps_;
  Limits limits_;
};

// pcap file header fields the reader needs (draft-ietf-opsawg-pcap §4).
struct PcapHeader {
  bool big_endian = false;
  bool nanoseconds = false;
  std::uint32_t snaplen = 0;
  std::uint32_t link_type = 0;  // FCS bits already masked off
};

// `in` must be positioned just after the 24-byte file header.
template <class In>
std::unique_ptr<PacketSource> make_pcap_reader(std::unique_ptr<In> in, ReaderContext ctx,
                                               const PcapHeader& header);
// `in` must be positioned at the first SHB.
template <class In>
std::unique_ptr<PacketSource> make_pcapng_reader(std::unique_ptr<In> in, ReaderContext ctx);

}  // namespace tattle::capture
