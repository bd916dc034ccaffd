// pcap (draft-ietf-opsawg-pcap): a 24-byte file header, then 16-byte record headers each
// followed by its captured bytes. Nothing frames a record but its own length, so a lying length
// is found by limits and by running past the end, and recovery means scanning for a header
// that looks like the records around it.
#include <fmt/format.h>

#include "capture/reader_base.hpp"

namespace tattle::capture {

namespace {

constexpr std::size_t kRecordHeader = 16;
// A record may exceed the snaplen a little (writers disagree on whether the snaplen counts
// pseudo-headers), but not by more than this.
constexpr std::uint32_t kSnaplenSlack = 64 * 1024;
// Resynchronisation: wire lengths beyond this are not believed (TSO/GRO super-frames stay well
// below), and neighbouring records are expected within this many seconds of each other.
constexpr std::uint32_t kMaxWireLen = 16 * 1024 * 1024;
constexpr std::uint32_t kMaxGapSeconds = 24 * 3600;

struct RecordHeader {
  std::uint32_t sec = 0;
  std::uint32_t frac = 0;
  std::uint32_t caplen = 0;
  std::uint32_t wirelen = 0;
};

template <class In>
class PcapReader final : public ReaderBase {
 public:
  PcapReader(std::unique_ptr<In> in, ReaderContext ctx, const PcapHeader& h)
      : ReaderBase(std::move(ctx)),
        in_(std::move(in)),
        be_(h.big_endian),
        frac_ns_(h.nanoseconds ? 1 : 1000),
        frac_limit_(h.nanoseconds ? 1'000'000'000u : 1'000'000u),
        link_type_(h.link_type),
        snaplen_(h.snaplen) {
    cap_limit_ = limits_.max_record;
    if (snaplen_ != 0 && snaplen_ < cap_limit_ && cap_limit_ - snaplen_ > kSnaplenSlack)
      cap_limit_ = snaplen_ + kSnaplenSlack;
    add_link_type(link_type_);
  }

  bool next(Frame& f) override {
    while (!done_) {
      const std::uint64_t at = in_->offset();
      core::Bytes w = in_->window(kRecordHeader);
      if (w.size() < kRecordHeader) {
        if (!w.empty()) {
          warn(at, fmt::format("{} trailing bytes, too few for a record header", w.size()));
          count(CaptureCounter::kSkippedBytes, w.size());
          in_->advance(w.size());
        }
        done_ = true;
        return false;
      }
      const RecordHeader h = header(w);
      if (h.caplen > cap_limit_) {
        count(CaptureCounter::kBadRecords);
        damaged(at, fmt::format("record claims {} captured bytes (limit {}, snaplen {})", h.caplen,
                                cap_limit_, snaplen_));
        continue;
      }
      const std::size_t len = kRecordHeader + h.caplen;
      w = in_->window(len);
      if (w.size() < len) {
        count(CaptureCounter::kBadRecords);
        const std::size_t left = w.size() - kRecordHeader;
        if (!resync()) {
          warn(at, fmt::format("truncated final record: {} captured bytes claimed, {} present",
                               h.caplen, left));
          count(CaptureCounter::kSkippedBytes, in_->skip(~std::uint64_t{0}));
          done_ = true;
          return false;
        }
        warn(at, fmt::format("record claims {} captured bytes but only {} remain; skipped {} "
                             "bytes to a plausible record at offset {}",
                             h.caplen, left, in_->offset() - at, in_->offset()));
        continue;
      }
      f.ts = core::Timestamp{static_cast<std::int64_t>(h.sec) * core::kNsPerSecond +
                             static_cast<std::int64_t>(h.frac) * frac_ns_};
      f.data = w.subspan(kRecordHeader, h.caplen);
      f.wire_len = h.wirelen;
      f.link_type = link_type_;
      f.input = input_;
      f.offset = at;
      f.app = core::kNoApp;
      in_->advance(len);
      prefetch_next(*in_);
      prev_sec_ = h.sec;
      have_prev_ = true;
      note_packet(f);
      return true;
    }
    return false;
  }

  [[nodiscard]] bool stable() const override { return In::kStable; }
  [[nodiscard]] std::uint64_t position() const override { return in_->position(); }
  [[nodiscard]] std::uint64_t size() const override { return in_->size(); }

 private:
  RecordHeader header(core::Bytes w) const noexcept {
    // Caller guarantees w.size() >= 16.
    const std::uint8_t* p = w.data();
    auto rd = [&](int i) {
      return be_ ? core::ByteReader::load_u32be(p + 4 * i)
                 : core::ByteReader::load_u32le(p + 4 * i);
    };
    return RecordHeader{rd(0), rd(1), rd(2), rd(3)};
  }

  // A record header that could belong here: fraction in range, caplen within limits and not
  // above the wire length, time close to `near_sec` when known.
  bool plausible(const RecordHeader& h, bool have_near, std::uint32_t near_sec) const noexcept {
    if (h.frac >= frac_limit_ || h.caplen > cap_limit_ || h.caplen > h.wirelen ||
        h.wirelen > kMaxWireLen)
      return false;
    if (!have_near) return true;
    const std::uint32_t gap = h.sec > near_sec ? h.sec - near_sec : near_sec - h.sec;
    return gap <= kMaxGapSeconds;
  }

  // Moves forward from the damaged record at the current offset to the next offset where a
  // plausible header is followed either by the exact end of the file or by another plausible
  // header. Counts the bytes passed over; false when there is no such offset (then fewer than
  // 16 bytes remain).
  bool resync() {
    std::uint64_t skipped = 1;
    in_->advance(1);
    while (true) {
      core::Bytes w = in_->window(kRecordHeader);
      if (w.size() < kRecordHeader) break;
      const RecordHeader h = header(w);
      if (plausible(h, have_prev_, prev_sec_)) {
        const std::size_t len = kRecordHeader + h.caplen;
        w = in_->window(len + kRecordHeader);
        const bool ends_file = w.size() == len;
        if (ends_file ||
            (w.size() >= len + kRecordHeader && plausible(header(w.subspan(len)), true, h.sec))) {
          count(CaptureCounter::kSkippedBytes, skipped);
          return true;
        }
      }
      in_->advance(1);
      ++skipped;
    }
    count(CaptureCounter::kSkippedBytes, skipped);
    return false;
  }

  void damaged(std::uint64_t at, const std::string& what) {
    if (resync()) {
      warn(at, fmt::format("{}; skipped {} bytes to a plausible record at offset {}", what,
                           in_->offset() - at, in_->offset()));
    } else {
      const std::uint64_t rest = in_->skip(~std::uint64_t{0});
      count(CaptureCounter::kSkippedBytes, rest);
      warn(at, fmt::format("{}; no plausible record after it, {} bytes skipped to the end", what,
                           in_->offset() - at));
      done_ = true;
    }
  }

  std::unique_ptr<In> in_;
  bool be_;
  std::int64_t frac_ns_;
  std::uint32_t frac_limit_;
  std::uint32_t link_type_;
  std::uint32_t snaplen_;
  std::uint32_t cap_limit_ = 0;
  std::uint32_t prev_sec_ = 0;
  bool have_prev_ = false;
  bool done_ = false;
};

}  // namespace

template <class In>
std::unique_ptr<PacketSource> make_pcap_reader(std::unique_ptr<In> in, ReaderContext ctx,
                                               const PcapHeader& header) {
  return std::make_unique<PcapReader<In>>(std::move(in), std::move(ctx), header);
}

template std::unique_ptr<PacketSource> make_pcap_reader(std::unique_ptr<MappedInput>, ReaderContext,
                                                        const PcapHeader&);
template std::unique_ptr<PacketSource> make_pcap_reader(std::unique_ptr<GzipInput>, ReaderContext,
                                                        const PcapHeader&);

}  // namespace tattle::capture
