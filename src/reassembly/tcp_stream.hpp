// TCP stream reassembly, one direction at a time: segments in, ordered bytes out. In-order data
// is handed on straight from the packet, never copied; only out-of-order segments are buffered,
// within a per-stream and a per-worker budget. Every byte dropped to keep those bounds is counted.
//
// Policies, for every stream:
// - Sequence numbers are unwrapped to 64 bits around the next expected byte, so a stream may
//   cross 2^32 any number of times. A segment reaching more than kMaxAhead past the next expected
//   byte is cut there; the cut bytes count as kOutOfWindowBytes and take no memory.
// - First data wins: bytes seen first (delivered or buffered) are never replaced. Repeats count
//   as kRetransmittedBytes. Repeats of *buffered* bytes are compared with them and each
//   differing overlap counts one kOverlapConflicts; delivered bytes are not kept, so repeats of
//   them are counted but cannot be compared (a conflicting rewrite of delivered data is only
//   ever counted as a retransmission).
// - A stream picked up without its SYN starts at its first segment's sequence number; anything
//   before it counts as retransmitted.
// - The first FIN fixes where the stream ends (never before bytes already seen); bytes after it
//   count as kOutOfWindowBytes. RST is only recorded: data after it is still reassembled, since
//   a RST may be forged (RFC 5961) and the flow table decides when a flow is over.
// - Buffered segments are charged to the limits at their payload size plus kSegmentOverhead, and
//   their number per stream is capped, so tiny segments cannot blow up per-segment overhead.
//   When a new out-of-order segment does not fit, the oldest hole is given up (on_gap, kGaps,
//   kBytesMissing), the data after it delivered, and the segment retried; if nothing is buffered
//   and it still does not fit, its new bytes are dropped (kDroppedStreamLimit or
//   kDroppedGlobalLimit). Dropped bytes that later lie in a hole given up also count as missing.
// - Without a consumer nothing can be delivered, so no bytes are copied: out-of-order segments
//   are kept as ranges only (charged kSegmentOverhead each, limits and gaps work as usual), and
//   kBytesDelivered counts the bytes that reached the in-order point. Overlaps with such ranges
//   cannot be compared, so kOverlapConflicts only counts what was seen with a consumer. If a
//   consumer is passed later, ranges whose bytes were not kept reach it as gaps (and count as
//   kGaps/kBytesMissing).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_reader.hpp"
#include "core/counter.hpp"

namespace tattle::reassembly {

enum class ReassemblyCounter {
  kSegments,            // segments with payload seen
  kBytesDelivered,      // bytes handed on in order (or, without a consumer, reaching that point)
  kOutOfOrder,          // segments with new bytes that arrived ahead of a hole (to be buffered)
  kRetransmittedBytes,  // bytes that repeated data already seen (delivered or buffered)
  kOverlapConflicts,    // overlaps whose bytes differ from buffered data seen first (first wins)
  kGaps,                // holes given up on (limits, close) and signalled as gaps
  kBytesMissing,        // bytes in those holes
  kDroppedStreamLimit,  // bytes dropped because a stream's buffer was full
  kDroppedGlobalLimit,  // bytes dropped because the worker's budget was spent
  kMidstreamPickups,    // streams whose first segment carried no SYN
  kOutOfWindowBytes,    // bytes dropped for lying after the FIN or more than kMaxAhead ahead
  kCount,
};
// snake_case name of the counter, e.g. "bytes_delivered".
std::string_view counter_name(ReassemblyCounter c);

// Charged per buffered segment on top of its payload: the bookkeeping entry and the allocator's
// header, rounded up. Makes a thousand 1-byte segments cost what they really cost.
inline constexpr std::size_t kSegmentOverhead = 64;
// Farthest a segment may reach past the next expected byte: the largest window TCP can
// advertise, 65535 << 14 (RFC 7323 §2.3), rounded to 2^30.
inline constexpr std::uint64_t kMaxAhead = std::uint64_t{1} << 30;

struct Limits {
  // Out-of-order data buffered per direction, in charged bytes (payload + kSegmentOverhead each).
  std::size_t per_stream_bytes = 1024 * 1024;
  // Out-of-order data buffered per worker, in charged bytes.
  std::size_t total_bytes = 256 * 1024 * 1024;
  // Out-of-order segments buffered per direction (keeps insertion cost bounded).
  std::size_t per_stream_segments = 1024;
};

// The bytes every stream of one worker may hold between them; not thread-safe (one per worker).
class Budget {
 public:
  explicit Budget(std::size_t total) : total_(total) {}
  [[nodiscard]] bool reserve(std::size_t n) {
    if (n > total_ - used_) return false;
    used_ += n;
    return true;
  }
  void release(std::size_t n) { used_ -= n; }
  [[nodiscard]] std::size_t used() const { return used_; }

 private:
  std::size_t total_;
  std::size_t used_ = 0;
};

// Receives one direction's bytes in order. Spans are valid only during the call, and are never
// empty. A consumer must not call back into the stream that is delivering to it.
class StreamConsumer {
 public:
  virtual ~StreamConsumer() = default;
  virtual void on_data(core::Bytes bytes) = 0;
  // `missing` (> 0) bytes will never arrive; the next on_data continues after them.
  virtual void on_gap(std::uint64_t missing) = 0;
};

// Shared by every stream of one worker.
struct Context {
  Limits limits;
  Budget budget{limits.total_bytes};
  core::Counters<ReassemblyCounter> counters;
};

class TcpStream {
 public:
  TcpStream() = default;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;
  // A moved-from stream is empty and holds no budget.
  TcpStream(TcpStream&& other) noexcept { take(other); }
  TcpStream& operator=(TcpStream&& other) noexcept {
    assert(charged_ == 0 && "release() a stream before overwriting it");
    if (this != &other) take(other);
    return *this;
  }
  ~TcpStream() = default;  // call release() first so the budget is returned

  // One segment of this direction. `flags` are TCP flags (decode::tcp_flag). `consumer` may be
  // null: sequence tracking and counting still happen, nothing is delivered or copied (see
  // above). `payload` is only read during the call. Never throws except std::bad_alloc.
  void on_segment(std::uint32_t seq, core::Bytes payload, std::uint8_t flags, Context& ctx,
                  StreamConsumer* consumer) {
    // The common case, kept to a few comparisons and inline: the stream is started, nothing is
    // pending, no FIN/SYN/RST, and the segment starts at the next expected byte.
    if (fast_ && (flags & kSlowFlags) == 0 && seq == static_cast<std::uint32_t>(next_)) {
      if (!payload.empty()) {
        ++ctx.counters[ReassemblyCounter::kSegments];
        ctx.counters[ReassemblyCounter::kBytesDelivered] += payload.size();
        next_ += payload.size();
        if (consumer != nullptr) consumer->on_data(payload);
      }
      return;
    }
    on_segment_slow(seq, payload, flags, ctx, consumer);
  }
  // End of the stream (FIN/RST seen and flow over, or idle timeout): delivers what is buffered,
  // signalling the holes before it as gaps (and a hole before a known FIN), and returns the
  // buffers to the budget. Further segments are then handled as usual.
  void close(Context& ctx, StreamConsumer* consumer);
  // Drops buffered data without delivering it (for teardown); returns it to the budget.
  void release(Context& ctx);

  [[nodiscard]] bool fin_seen() const { return fin_; }
  [[nodiscard]] bool rst_seen() const { return rst_; }
  // Payload bytes held in buffers (ranges kept without bytes do not count).
  [[nodiscard]] std::size_t buffered() const { return buffered_; }

 private:
  static constexpr std::uint8_t kSlowFlags = 0x07;  // FIN | SYN | RST (RFC 9293 §3.1)

  // An out-of-order piece. Pieces never overlap, are sorted, and all start after next_.
  struct Segment {
    std::uint64_t start = 0;
    std::uint32_t size = 0;
    std::unique_ptr<std::uint8_t[]> data;  // null: range only, bytes not kept (no consumer)
    [[nodiscard]] std::uint64_t end() const { return start + size; }
    [[nodiscard]] std::size_t cost() const { return (data ? size : 0) + kSegmentOverhead; }
  };

  void on_segment_slow(std::uint32_t seq, core::Bytes payload, std::uint8_t flags, Context& ctx,
                       StreamConsumer* consumer);
  // 32-bit sequence number → 64-bit position nearest to next_.
  [[nodiscard]] std::uint64_t unwrap(std::uint32_t seq) const;
  void record_fin(std::uint64_t end);
  void accept(std::uint64_t pos, const std::uint8_t* data, std::uint64_t end, Context& ctx,
              StreamConsumer* consumer);
  void deliver_in_order(std::uint64_t pos, const std::uint8_t* data, std::uint64_t end,
                        Context& ctx, StreamConsumer* consumer);
  // Calls f(a, b) for each range of [lo, end) that no buffered piece covers, in order.
  template <class F>
  void for_each_new_piece(std::uint64_t lo, std::uint64_t end, F&& f) const;
  void insert(std::uint64_t lo, std::uint64_t pos, const std::uint8_t* data, std::uint64_t end,
              std::size_t pieces, bool keep);
  void give_up_oldest_hole(std::uint64_t lo, Context& ctx, StreamConsumer* consumer);
  void deliver_segment(const Segment& s, Context& ctx, StreamConsumer* consumer);
  void deliver_run(std::size_t from, Context& ctx, StreamConsumer* consumer);
  void drop_front(std::size_t n, Context& ctx);
  void gap(std::uint64_t missing, Context& ctx, StreamConsumer* consumer);
  void refresh_fast() { fast_ = started_ && pending_.empty() && end_ == kNoEnd; }
  void take(TcpStream& o) noexcept {
    fast_ = std::exchange(o.fast_, false);
    started_ = std::exchange(o.started_, false);
    fin_ = std::exchange(o.fin_, false);
    rst_ = std::exchange(o.rst_, false);
    next_ = std::exchange(o.next_, 0);
    end_ = std::exchange(o.end_, kNoEnd);
    buffered_ = std::exchange(o.buffered_, 0);
    charged_ = std::exchange(o.charged_, 0);
    pending_ = std::exchange(o.pending_, {});
  }

  static constexpr std::uint64_t kNoEnd = ~std::uint64_t{0};

  bool fast_ = false;               // started_, nothing pending, no FIN: in-order needs no checks
  bool started_ = false;
  bool fin_ = false;
  bool rst_ = false;
  std::uint64_t next_ = 0;          // next expected byte, unwrapped (low 32 bits = its seq)
  std::uint64_t end_ = kNoEnd;      // position of the FIN, once seen
  std::size_t buffered_ = 0;        // payload bytes held in pending_
  std::size_t charged_ = 0;         // bytes charged to the limits for pending_
  std::vector<Segment> pending_;    // out-of-order pieces, sorted by start
};

}  // namespace tattle::reassembly
