#include "decode/defrag.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace tattle::decode {

namespace {

// Packet times come from files and may be anything: an age that overflows is huge or negative.
bool timed_out(core::Timestamp first, core::Timestamp now, std::int64_t timeout_ns) {
  std::int64_t age = 0;
  if (__builtin_sub_overflow(now.ns, first.ns, &age)) return now.ns > first.ns;
  return age > timeout_ns;
}

}  // namespace

void Defragmenter::drop(List::iterator it) {
  counters_[DecodeCounter::kFragmentsDropped] += it->frames;
  bytes_ -= it->data.size();
  index_.erase(it->key);
  order_.erase(it);
}

void Defragmenter::expire(core::Timestamp now) {
  // Datagrams are appended in arrival order, so the front is the oldest. A clock that steps back
  // can leave a younger one in front for a while; it then expires late, never early.
  while (!order_.empty() && timed_out(order_.front().first, now, limits_.fragment_timeout_ns)) {
    drop(order_.begin());
  }
}

bool Defragmenter::merge(Datagram& d, std::uint32_t begin, core::Bytes bytes) {
  const auto end = static_cast<std::uint32_t>(begin + bytes.size());
  bool conflict = false;
  std::uint32_t cursor = begin;
  auto first = std::lower_bound(d.have.begin(), d.have.end(), begin,
                                [](const Range& r, std::uint32_t b) { return r.end < b; });
  for (auto r = first; r != d.have.end() && r->begin <= end; ++r) {
    const std::uint32_t ob = std::max(r->begin, begin);
    const std::uint32_t oe = std::min(r->end, end);
    if (ob < oe && std::memcmp(d.data.data() + ob, bytes.data() + (ob - begin), oe - ob) != 0) {
      conflict = true;
    }
    // First data wins (as BSD and Linux before RFC 5722): fill only the gaps before this range.
    if (r->begin > cursor) {
      std::memcpy(d.data.data() + cursor, bytes.data() + (cursor - begin), r->begin - cursor);
    }
    cursor = std::max(cursor, r->end);
  }
  if (cursor < end) std::memcpy(d.data.data() + cursor, bytes.data() + (cursor - begin), end - cursor);

  // Merge [begin, end) with every range it overlaps or touches, keeping `have` minimal.
  Range merged{begin, end};
  auto last = first;
  while (last != d.have.end() && last->begin <= end) {
    merged.begin = std::min(merged.begin, last->begin);
    merged.end = std::max(merged.end, last->end);
    ++last;
  }
  const auto at = d.have.erase(first, last);
  if (merged.end > merged.begin) d.have.insert(at, merged);
  return conflict;
}

FragmentResult Defragmenter::add(const Fragment& f, Reassembled& out) {
  ++counters_[DecodeCounter::kFragments];
  FragmentResult result;
  const std::uint64_t end64 = std::uint64_t{f.offset} + f.data.size();
  if (end64 > kMaxDatagram) {
    ++counters_[DecodeCounter::kFragmentsDropped];
    result.rejected = "fragment ends beyond 65535 bytes";
    return result;
  }
  const auto end = static_cast<std::uint32_t>(end64);

  List::iterator it;
  if (auto found = index_.find(f.key); found != index_.end()) {
    it = found->second;
  } else {
    if (limits_.max_datagrams == 0) {
      ++counters_[DecodeCounter::kFragmentsDropped];
      result.rejected = "fragment reassembly is disabled (max_datagrams 0)";
      return result;
    }
    while (order_.size() >= limits_.max_datagrams) drop(order_.begin());
    order_.emplace_back();
    it = std::prev(order_.end());
    it->key = f.key;
    it->first = f.ts;
    index_.emplace(f.key, it);
  }
  Datagram& d = *it;

  const auto reject = [&](const char* why) {
    ++counters_[DecodeCounter::kFragmentsDropped];
    result.rejected = why;
    if (d.frames == 0) {  // nothing of this datagram was kept: forget it without counting
      bytes_ -= d.data.size();
      index_.erase(d.key);
      order_.erase(it);
    }
    return result;
  };
  if (!f.more) {
    if (d.total != kUnknownTotal && d.total != end) {
      return reject("last fragment disagrees with an earlier one about the datagram length");
    }
    if (!d.have.empty() && d.have.back().end > end) {
      return reject("last fragment ends before data already received");
    }
  } else if (d.total != kUnknownTotal && end > d.total) {
    return reject("fragment extends past the end of the datagram");
  }
  if (d.have.size() >= kMaxRanges) return reject("too many holes in one datagram");

  const std::size_t grow = end > d.data.size() ? end - d.data.size() : 0;
  while (grow > 0 && bytes_ + grow > limits_.max_fragment_bytes && order_.begin() != it) {
    drop(order_.begin());
  }
  if (bytes_ + grow > limits_.max_fragment_bytes) return reject("fragment buffer limit reached");
  if (grow > 0) {
    d.data.resize(end);
    bytes_ += grow;
  }

  result.overlap_conflict = merge(d, f.offset, f.data);
  if (result.overlap_conflict) ++counters_[DecodeCounter::kFragmentOverlaps];
  if (!f.more) d.total = end;
  ++d.frames;
  d.wire_len = d.wire_len > 0xFFFFFFFFu - f.wire_len ? 0xFFFFFFFFu : d.wire_len + f.wire_len;
  if (f.offset == 0) d.next_header = f.next_header;
  if (d.app == core::kNoApp) d.app = f.app;

  const bool whole = d.total != kUnknownTotal &&
                     (d.total == 0 ? d.have.empty()
                                   : d.have.size() == 1 && d.have[0].begin == 0 && d.have[0].end == d.total);
  if (!whole) return result;
  bytes_ -= d.data.size();
  out.data = std::move(d.data);
  out.data.resize(d.total);
  out.frames = d.frames;
  out.wire_len = d.wire_len;
  out.next_header = d.next_header;
  out.app = d.app;
  index_.erase(d.key);
  order_.erase(it);
  ++counters_[DecodeCounter::kReassembled];
  result.complete = true;
  return result;
}

}  // namespace tattle::decode
