// Structure-aware fuzzer for reassembly::TcpStream: the input is a script of segments on three
// streams sharing one Context with small limits, and an oracle checks what comes out.
//
// Input: a 5-byte header, then operations until the input runs out.
//   header  per_stream_bytes = 64 + 16*b0, total_bytes = 64 + 24*b1,
//           per_stream_segments = 1 + b2 % 32, base = 2^32 - 1 - u16be(b3 b4) (near the wrap)
//   op      one byte: bits 0-1 target stream (0, 1: with an oracle consumer; 2: without a
//           consumer) or 3 = control.
//     segment (target 0-2): bit 2 SYN, bit 3 FIN, bit 4 RST, bit 5 corrupt (bytes XOR 0x5A; on
//           stream 2 it also attaches a consumer), bits 6-7 seq mode, then the seq operand:
//           0: base + u16be   1: base - u8   2: base + 16*u16be   3: u32be (anywhere)
//           then a length byte: < 0x80 is the length, else (b & 0x7f) * 64.
//     control (target 3): bits 2-3 stream (3 means 0), bit 4 close (else release).
// Byte at sequence number s is f(s) (a hash), or f(s) ^ 0x5A when corrupt, so a delivered byte
// shows which position it came from.
//
// Oracle, per consumer stream: on_data/on_gap advance a position from the stream's first byte;
// every delivered byte must have been sent at that position (bitmap), and equal f(s) unless a
// corrupt segment also covered it; the position never passes the furthest byte (or FIN) sent;
// after the final close(), if nothing was dropped or released, the position is exactly the end
// of the furthest byte or FIN sent (delivered + gaps cover a contiguous prefix, all of it);
// counters are at least what the consumers saw; buffers and budget stay within limits; after
// close() and release() the budget is back to 0. Any violation abort()s.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/byte_reader.hpp"
#include "reassembly/tcp_stream.hpp"

namespace {

using tattle::core::ByteReader;
using tattle::reassembly::Context;
using tattle::reassembly::Limits;
using tattle::reassembly::ReassemblyCounter;
using tattle::reassembly::StreamConsumer;
using tattle::reassembly::TcpStream;

#define ORACLE(cond)                                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "oracle failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                            \
    }                                                                          \
  } while (false)

constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;
constexpr std::uint8_t kAck = 0x10;
constexpr std::uint8_t kCorrupt = 0x5A;
constexpr std::uint64_t kWindow = 1 << 17;  // positions tracked by the bitmaps (mode 0 reach)

std::uint8_t content(std::uint32_t seq) {
  std::uint32_t x = seq * 0x9E3779B1u;
  x ^= x >> 15;
  x *= 0x85EBCA6Bu;
  return static_cast<std::uint8_t>(x >> 24);
}

class Oracle final : public StreamConsumer {
 public:
  Oracle() : sent_(kWindow), corrupt_(kWindow) {}

  // Mirrors what the stream does on its first segment, then records what was sent.
  void sent(std::uint32_t seq, std::size_t len, std::uint8_t flags, bool corrupt) {
    const std::uint32_t first = (flags & kSyn) != 0 ? seq + 1u : seq;
    if (!started_) {
      started_ = true;
      start_ = first;
    }
    // Unwrapped around the oracle's position, as the stream unwraps around its next byte.
    const std::uint32_t here = start_ + static_cast<std::uint32_t>(pos_);
    const auto rel = static_cast<std::int64_t>(pos_) + static_cast<std::int32_t>(first - here);
    const std::int64_t end = rel + static_cast<std::int64_t>(len);
    if (len > 0) max_end_ = std::max(max_end_, end);
    // The stream takes the first FIN within reach (kMaxAhead) as the end of the stream.
    if ((flags & kFin) != 0 && !fin_ &&
        end <= static_cast<std::int64_t>(pos_ + tattle::reassembly::kMaxAhead)) {
      fin_ = true;
      max_end_ = std::max(max_end_, end);
    }
    const std::int64_t stop = std::min(end, static_cast<std::int64_t>(kWindow));
    for (std::int64_t r = std::max<std::int64_t>(rel, 0); r < stop; ++r) {
      sent_[static_cast<std::size_t>(r)] = true;
      if (corrupt) corrupt_[static_cast<std::size_t>(r)] = true;
    }
  }

  void on_data(tattle::core::Bytes bytes) override {
    ORACLE(!bytes.empty());
    for (const std::uint8_t b : bytes) {
      if (pos_ < kWindow) {
        ORACLE(sent_[pos_]);
        const std::uint8_t want = content(start_ + static_cast<std::uint32_t>(pos_));
        ORACLE(b == want || (corrupt_[pos_] && b == (want ^ kCorrupt)));
      }
      ++pos_;
    }
    data_ += bytes.size();
    check_bounds();
  }
  void on_gap(std::uint64_t missing) override {
    ORACLE(missing > 0);
    pos_ += missing;
    gaps_ += 1;
    missing_ += missing;
    check_bounds();
  }
  void check_bounds() const { ORACLE(static_cast<std::int64_t>(pos_) <= max_end_); }
  // After close(), when nothing was dropped: every byte sent was delivered or signalled.
  void check_complete() const { ORACLE(static_cast<std::int64_t>(pos_) == max_end_); }

  std::uint64_t data_ = 0, gaps_ = 0, missing_ = 0;

 private:
  bool started_ = false;
  bool fin_ = false;
  std::uint32_t start_ = 0;
  std::uint64_t pos_ = 0;       // bytes delivered + gap bytes since the stream's first byte
  std::int64_t max_end_ = 0;    // furthest byte or FIN sent, relative to the first byte
  std::vector<bool> sent_, corrupt_;
};

// Attached to the consumer-less stream now and then: takes anything.
class Sink final : public StreamConsumer {
 public:
  void on_data(tattle::core::Bytes bytes) override { ORACLE(!bytes.empty()); }
  void on_gap(std::uint64_t missing) override { ORACLE(missing > 0); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteReader in(tattle::core::Bytes(data, size));
  const std::size_t per_stream = 64 + 16 * std::size_t{in.u8()};
  const std::size_t total = 64 + 24 * std::size_t{in.u8()};
  const std::size_t segments = 1 + in.u8() % 32;
  const std::uint32_t base = 0xFFFFFFFFu - in.u16be();
  if (!in.ok()) return 0;

  Context ctx{Limits{
      .per_stream_bytes = per_stream, .total_bytes = total, .per_stream_segments = segments}};
  TcpStream streams[3];
  Oracle oracles[2];
  Sink sink;
  bool released = false;

  while (in.remaining() > 0) {
    const std::uint8_t op = in.u8();
    const unsigned target = op & 3u;
    if (target == 3) {
      const unsigned which = (op >> 2 & 3u) % 3;
      if ((op & 0x10) != 0) {
        streams[which].close(ctx, which < 2 ? &oracles[which] : nullptr);
        ORACLE(streams[which].buffered() == 0);
      } else {
        streams[which].release(ctx);
        released = true;
      }
      continue;
    }
    std::uint8_t flags = kAck;
    if ((op & 0x04) != 0) flags |= kSyn;
    if ((op & 0x08) != 0) flags |= kFin;
    if ((op & 0x10) != 0) flags |= kRst;
    const bool corrupt = (op & 0x20) != 0;
    std::uint32_t seq = base;
    switch (op >> 6) {
      case 0: seq = base + in.u16be(); break;
      case 1: seq = base - in.u8(); break;
      case 2: seq = base + 16u * in.u16be(); break;
      default: seq = in.u32be(); break;
    }
    const std::uint8_t len_byte = in.u8();
    if (!in.ok()) break;
    const std::size_t len = len_byte < 0x80 ? len_byte : std::size_t{len_byte & 0x7fu} * 64;

    // An exact-size buffer, so that an over-read of the packet lands in ASan's redzone.
    const std::uint32_t first = (flags & kSyn) != 0 ? seq + 1u : seq;
    std::vector<std::uint8_t> packet(len);
    for (std::size_t i = 0; i < len; ++i) {
      packet[i] = content(first + static_cast<std::uint32_t>(i));
      if (corrupt) packet[i] ^= kCorrupt;
    }
    StreamConsumer* consumer = nullptr;
    if (target < 2) {
      oracles[target].sent(seq, len, flags, corrupt);
      consumer = &oracles[target];
    } else if (corrupt) {
      consumer = &sink;
    }
    streams[target].on_segment(seq, tattle::core::Bytes(packet.data(), packet.size()), flags, ctx,
                               consumer);

    ORACLE(ctx.budget.used() <= total);
    for (const TcpStream& s : streams) ORACLE(s.buffered() <= per_stream);
  }

  for (unsigned i = 0; i < 3; ++i) streams[i].close(ctx, i < 2 ? &oracles[i] : nullptr);
  ORACLE(ctx.budget.used() == 0);
  const auto& c = ctx.counters;
  ORACLE(c[ReassemblyCounter::kBytesDelivered] >= oracles[0].data_ + oracles[1].data_);
  ORACLE(c[ReassemblyCounter::kGaps] >= oracles[0].gaps_ + oracles[1].gaps_);
  ORACLE(c[ReassemblyCounter::kBytesMissing] >= oracles[0].missing_ + oracles[1].missing_);
  if (!released && c[ReassemblyCounter::kDroppedStreamLimit] == 0 &&
      c[ReassemblyCounter::kDroppedGlobalLimit] == 0 &&
      c[ReassemblyCounter::kOutOfWindowBytes] == 0) {
    oracles[0].check_complete();
    oracles[1].check_complete();
  }
  for (TcpStream& s : streams) s.release(ctx);
  ORACLE(ctx.budget.used() == 0);
  return 0;
}
