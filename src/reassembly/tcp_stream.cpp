#include "reassembly/tcp_stream.hpp"

#include <algorithm>
#include <cstring>

namespace tattle::reassembly {

namespace {

using C = ReassemblyCounter;

// Control bits, RFC 9293 §3.1 (the same values as decode::tcp_flag; reassembly does not depend
// on decode).
constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;

// Unwrapped positions start at 2^32, so that a sequence number up to 2^31 behind the next
// expected byte still unwraps to a positive position.
constexpr std::uint64_t kOrigin = std::uint64_t{1} << 32;

// A vector that once held this many pieces is freed when it empties, rather than kept at size.
constexpr std::size_t kKeepCapacity = 16;

}  // namespace

std::string_view counter_name(ReassemblyCounter c) {
  switch (c) {
    case C::kSegments: return "segments";
    case C::kBytesDelivered: return "bytes_delivered";
    case C::kOutOfOrder: return "out_of_order";
    case C::kRetransmittedBytes: return "retransmitted_bytes";
    case C::kOverlapConflicts: return "overlap_conflicts";
    case C::kGaps: return "gaps";
    case C::kBytesMissing: return "bytes_missing";
    case C::kDroppedStreamLimit: return "dropped_stream_limit";
    case C::kDroppedGlobalLimit: return "dropped_global_limit";
    case C::kMidstreamPickups: return "midstream_pickups";
    case C::kOutOfWindowBytes: return "out_of_window_bytes";
    case C::kCount: break;
  }
  return "unknown";
}

std::uint64_t TcpStream::unwrap(std::uint32_t seq) const {
  // RFC 9293 §3.4: sequence comparisons are modulo 2^32; taking the signed distance from the
  // next expected byte picks the 64-bit position within 2^31 of it.
  const auto delta = static_cast<std::int32_t>(seq - static_cast<std::uint32_t>(next_));
  return next_ + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
}

void TcpStream::on_segment_slow(std::uint32_t seq, core::Bytes payload, std::uint8_t flags,
                                Context& ctx, StreamConsumer* consumer) {
  const bool syn = (flags & kSyn) != 0;
  // RFC 9293 §3.4: the SYN occupies the sequence number before the first data byte, so data on
  // a SYN (TCP Fast Open, RFC 7413) starts at ISN+1. A repeated SYN is read the same way.
  const std::uint32_t first = syn ? seq + 1u : seq;
  if (!started_) {
    started_ = true;
    next_ = kOrigin + first;
    if (!syn) ++ctx.counters[C::kMidstreamPickups];
  }
  if ((flags & kRst) != 0) rst_ = true;
  const std::uint64_t pos = unwrap(first);
  const std::uint64_t end = pos + payload.size();
  if ((flags & kFin) != 0) {
    fin_ = true;
    record_fin(end);
  }
  if (!payload.empty()) {
    ++ctx.counters[C::kSegments];
    accept(pos, payload.data(), end, ctx, consumer);
  }
  refresh_fast();
}

void TcpStream::record_fin(std::uint64_t end) {
  // The FIN follows the segment's data (RFC 9293 §3.10.7.4), so `end` is where the stream stops.
  // Only the first usable FIN counts, and it cannot retract bytes already seen (first data wins).
  // One beyond any window is ignored: it would otherwise cut off the rest of the stream.
  if (end_ != kNoEnd || end > next_ + kMaxAhead) return;
  std::uint64_t seen = next_;
  if (!pending_.empty()) seen = std::max(seen, pending_.back().end());
  end_ = std::max(end, seen);
}

template <class F>
void TcpStream::for_each_new_piece(std::uint64_t lo, std::uint64_t end, F&& f) const {
  auto it = std::partition_point(pending_.begin(), pending_.end(),
                                 [lo](const Segment& s) { return s.end() <= lo; });
  std::uint64_t cur = lo;
  for (; cur < end; ++it) {
    if (it == pending_.end() || it->start >= end) {
      f(cur, end);
      return;
    }
    if (it->start > cur) f(cur, it->start);
    cur = std::max(cur, it->end());
  }
}

void TcpStream::accept(std::uint64_t pos, const std::uint8_t* data, std::uint64_t end,
                       Context& ctx, StreamConsumer* consumer) {
  auto& counters = ctx.counters;
  // Nothing lies after the FIN, and nothing legitimate beyond the largest window (RFC 7323
  // §2.3): cutting it here bounds how far a forged segment can push the stream.
  const std::uint64_t limit = std::min(end_, next_ + kMaxAhead);
  if (end > limit) {
    const std::uint64_t cut = std::max(pos, limit);
    counters[C::kOutOfWindowBytes] += end - cut;
    end = cut;
  }
  if (pos < next_) {
    // Already delivered and not kept: counted, not compared.
    const std::uint64_t old = std::min(end, next_) - pos;
    counters[C::kRetransmittedBytes] += old;
    pos += old;
    data += old;
  }
  if (pos >= end) return;

  // Compare with what is buffered (first wins), and size what is new.
  std::uint64_t new_bytes = 0;
  std::size_t pieces = 0;
  {
    auto it = std::partition_point(pending_.begin(), pending_.end(),
                                   [pos](const Segment& s) { return s.end() <= pos; });
    std::uint64_t cur = pos;
    for (; cur < end; ++it) {
      if (it == pending_.end() || it->start >= end) {
        new_bytes += end - cur;
        ++pieces;
        break;
      }
      if (it->start > cur) {
        new_bytes += it->start - cur;
        ++pieces;
        cur = it->start;
      }
      const std::uint64_t stop = std::min(end, it->end());
      counters[C::kRetransmittedBytes] += stop - cur;
      if (it->data && std::memcmp(it->data.get() + (cur - it->start), data + (cur - pos),
                                  static_cast<std::size_t>(stop - cur)) != 0)
        ++counters[C::kOverlapConflicts];
      cur = stop;
    }
  }
  if (new_bytes == 0) return;
  if (pos > next_) ++counters[C::kOutOfOrder];

  const bool keep = consumer != nullptr;
  const std::size_t cost =
      (keep ? static_cast<std::size_t>(new_bytes) : 0) + pieces * kSegmentOverhead;
  for (;;) {
    // Every new piece lies at or after next_, also after holes were given up below: a run of
    // buffered data delivered after a hole cannot cover a piece no buffer covered.
    const std::uint64_t lo = std::max(pos, next_);
    if (lo == next_) {
      deliver_in_order(pos, data, end, ctx, consumer);
      return;
    }
    const bool stream_room = charged_ + cost <= ctx.limits.per_stream_bytes &&
                             pending_.size() + pieces <= ctx.limits.per_stream_segments;
    if (stream_room && ctx.budget.reserve(cost)) {
      insert(lo, pos, data, end, pieces, keep);
      charged_ += cost;
      if (keep) buffered_ += static_cast<std::size_t>(new_bytes);
      return;
    }
    if (pending_.empty()) {
      // No hole with data after it to give up: keep the stream where it is rather than jump
      // ahead on the word of one segment that may be forged.
      counters[stream_room ? C::kDroppedGlobalLimit : C::kDroppedStreamLimit] += new_bytes;
      return;
    }
    give_up_oldest_hole(lo, ctx, consumer);
  }
}

void TcpStream::insert(std::uint64_t lo, std::uint64_t pos, const std::uint8_t* data,
                       std::uint64_t end, std::size_t pieces, bool keep) {
  auto make = [&](std::uint64_t a, std::uint64_t b) {
    Segment s;
    s.start = a;
    s.size = static_cast<std::uint32_t>(b - a);  // < kMaxAhead
    if (keep) {
      s.data = std::make_unique_for_overwrite<std::uint8_t[]>(s.size);
      std::memcpy(s.data.get(), data + (a - pos), s.size);
    }
    return s;
  };
  if (pieces == 1) {
    // The usual case: one segment into one hole.
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    for_each_new_piece(lo, end, [&](std::uint64_t x, std::uint64_t y) { a = x, b = y; });
    auto at = std::partition_point(pending_.begin(), pending_.end(),
                                   [a](const Segment& s) { return s.start < a; });
    pending_.insert(at, make(a, b));
    return;
  }
  // A segment spanning several buffered ones: merge in one pass rather than insert piece by
  // piece, which could cost pieces × pending moves.
  std::vector<Segment> fresh;
  fresh.reserve(pieces);
  for_each_new_piece(lo, end,
                     [&](std::uint64_t a, std::uint64_t b) { fresh.push_back(make(a, b)); });
  std::vector<Segment> merged;
  merged.reserve(pending_.size() + fresh.size());
  std::merge(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()),
             std::make_move_iterator(fresh.begin()), std::make_move_iterator(fresh.end()),
             std::back_inserter(merged),
             [](const Segment& x, const Segment& y) { return x.start < y.start; });
  pending_.swap(merged);
}

void TcpStream::deliver_in_order(std::uint64_t pos, const std::uint8_t* data, std::uint64_t end,
                                 Context& ctx, StreamConsumer* consumer) {
  // The segment reaches next_: hand on its new bytes straight from the packet, interleaved with
  // the buffered pieces it overlaps (whose bytes came first and win).
  std::size_t i = 0;
  while (next_ < end) {
    if (i < pending_.size() && pending_[i].start == next_) {
      deliver_segment(pending_[i++], ctx, consumer);
      continue;
    }
    const std::uint64_t stop = i < pending_.size() ? std::min(end, pending_[i].start) : end;
    const auto n = static_cast<std::size_t>(stop - next_);
    if (consumer != nullptr) consumer->on_data(core::Bytes(data + (next_ - pos), n));
    ctx.counters[C::kBytesDelivered] += n;
    next_ = stop;
  }
  deliver_run(i, ctx, consumer);
}

void TcpStream::deliver_segment(const Segment& s, Context& ctx, StreamConsumer* consumer) {
  if (s.data) {
    if (consumer != nullptr) consumer->on_data(core::Bytes(s.data.get(), s.size));
    ctx.counters[C::kBytesDelivered] += s.size;
  } else if (consumer != nullptr) {
    gap(s.size, ctx, consumer);  // seen while nobody listened; the bytes were not kept
  } else {
    ctx.counters[C::kBytesDelivered] += s.size;
  }
  next_ = s.end();
}

void TcpStream::deliver_run(std::size_t from, Context& ctx, StreamConsumer* consumer) {
  std::size_t i = from;
  while (i < pending_.size() && pending_[i].start == next_)
    deliver_segment(pending_[i++], ctx, consumer);
  drop_front(i, ctx);
}

void TcpStream::drop_front(std::size_t n, Context& ctx) {
  if (n == 0) return;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t cost = pending_[i].cost();
    charged_ -= cost;
    ctx.budget.release(cost);
    if (pending_[i].data) buffered_ -= pending_[i].size;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  if (pending_.empty() && pending_.capacity() > kKeepCapacity) pending_ = std::vector<Segment>();
}

void TcpStream::give_up_oldest_hole(std::uint64_t lo, Context& ctx, StreamConsumer* consumer) {
  // The oldest hole ends at the first data we have: buffered, or the new segment if it comes
  // first (then it is delivered at once instead of being buffered).
  const std::uint64_t hole_end = std::min(lo, pending_.front().start);
  gap(hole_end - next_, ctx, consumer);
  next_ = hole_end;
  deliver_run(0, ctx, consumer);
}

void TcpStream::gap(std::uint64_t missing, Context& ctx, StreamConsumer* consumer) {
  ++ctx.counters[C::kGaps];
  ctx.counters[C::kBytesMissing] += missing;
  if (consumer != nullptr) consumer->on_gap(missing);
}

void TcpStream::close(Context& ctx, StreamConsumer* consumer) {
  for (const Segment& s : pending_) {
    if (s.start > next_) {
      gap(s.start - next_, ctx, consumer);
      next_ = s.start;
    }
    deliver_segment(s, ctx, consumer);
  }
  drop_front(pending_.size(), ctx);
  // Bytes before a FIN we saw were sent, but never reached us.
  if (end_ != kNoEnd && next_ < end_) {
    gap(end_ - next_, ctx, consumer);
    next_ = end_;
  }
  refresh_fast();
}

void TcpStream::release(Context& ctx) {
  ctx.budget.release(charged_);
  charged_ = 0;
  buffered_ = 0;
  pending_ = std::vector<Segment>();
  refresh_fast();
}

}  // namespace tattle::reassembly
