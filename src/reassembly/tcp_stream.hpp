// TCP stream reassembly, one direction at a time: segments in, ordered bytes out. In-order data
// is handed on straight from the packet, never copied; only out-of-order segments are buffered,
// within a per-stream and a per-worker budget. Every byte dropped to keep those bounds is counted.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/byte_reader.hpp"
#include "core/counter.hpp"

namespace tattle::reassembly {

enum class ReassemblyCounter {
  kSegments,            // segments with payload seen
  kBytesDelivered,      // bytes handed on in order
  kOutOfOrder,          // segments that arrived ahead of a hole and were buffered
  kRetransmittedBytes,  // bytes that repeated data already seen (delivered or buffered)
  kOverlapConflicts,    // overlaps whose bytes differ from the data seen first (first wins)
  kGaps,                // holes given up on (limits, close) and signalled as gaps
  kBytesMissing,        // bytes in those holes
  kDroppedStreamLimit,  // bytes dropped because a stream's buffer was full
  kDroppedGlobalLimit,  // bytes dropped because the worker's budget was spent
  kMidstreamPickups,    // streams whose first segment carried no SYN
  kCount,
};
std::string_view counter_name(ReassemblyCounter c);

struct Limits {
  std::size_t per_stream_bytes = 1024 * 1024;   // out-of-order bytes buffered per direction
  std::size_t total_bytes = 256 * 1024 * 1024;  // out-of-order bytes buffered per worker
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

// Receives one direction's bytes in order. Spans are valid only during the call.
class StreamConsumer {
 public:
  virtual ~StreamConsumer() = default;
  virtual void on_data(core::Bytes bytes) = 0;
  // `missing` bytes will never arrive; the next on_data continues after them.
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
  TcpStream(TcpStream&&) noexcept = default;
  TcpStream& operator=(TcpStream&&) noexcept = default;
  ~TcpStream() = default;  // call release() first so the budget is returned

  // One segment of this direction. `flags` are TCP flags (decode::tcp_flag). `consumer` may be
  // null: sequence tracking and counting still happen, nothing is delivered.
  void on_segment(std::uint32_t seq, core::Bytes payload, std::uint8_t flags, Context& ctx,
                  StreamConsumer* consumer);
  // End of the stream (FIN/RST seen and flow over, or idle timeout): delivers what is buffered,
  // signalling the holes before it as gaps, and returns the buffers to the budget.
  void close(Context& ctx, StreamConsumer* consumer);
  // Drops buffered data without delivering it (for teardown); returns it to the budget.
  void release(Context& ctx);

  [[nodiscard]] bool fin_seen() const { return fin_; }
  [[nodiscard]] bool rst_seen() const { return rst_; }
  [[nodiscard]] std::size_t buffered() const { return buffered_; }

 private:
  // Sequence numbers are unwrapped to 64 bits relative to the first one seen.
  std::uint64_t unwrap(std::uint32_t seq) const;

  bool started_ = false;
  bool fin_ = false;
  bool rst_ = false;
  std::uint32_t isn_ = 0;          // first sequence number seen (SYN's, or first segment's)
  std::uint64_t next_ = 0;         // next expected byte, unwrapped
  std::size_t buffered_ = 0;       // bytes held in pending_
  std::map<std::uint64_t, std::vector<std::uint8_t>> pending_;  // out-of-order, by unwrapped seq
};

}  // namespace tattle::reassembly
