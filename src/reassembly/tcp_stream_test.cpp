// Expected outputs are worked out by hand from the inputs (see the comments beside them).
#include "reassembly/tcp_stream.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tattle::reassembly {
namespace {

using C = ReassemblyCounter;
using Events = std::vector<std::string>;

constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;
constexpr std::uint8_t kAck = 0x10;

core::Bytes bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Records "D:<bytes>" per on_data and "G:<n>" per on_gap, and where each span pointed.
class Recorder final : public StreamConsumer {
 public:
  void on_data(core::Bytes b) override {
    events.push_back("D:" + std::string(b.begin(), b.end()));
    spans.push_back(b.data());
  }
  void on_gap(std::uint64_t missing) override { events.push_back("G:" + std::to_string(missing)); }

  Events events;
  std::vector<const std::uint8_t*> spans;
};

class TcpStreamTest : public testing::Test {
 protected:
  void TearDown() override {
    st.release(ctx);
    EXPECT_EQ(ctx.budget.used(), 0u);
  }
  void syn(std::uint32_t isn) { st.on_segment(isn, {}, kSyn, ctx, &rec); }
  void seg(std::uint32_t seq, std::string_view data, std::uint8_t flags = kAck) {
    st.on_segment(seq, bytes(data), flags, ctx, &rec);
  }
  void use_limits(std::size_t per_stream, std::size_t segments, std::size_t total) {
    ctx = Context{Limits{
        .per_stream_bytes = per_stream, .total_bytes = total, .per_stream_segments = segments}};
  }
  std::uint64_t n(C c) const { return ctx.counters[c]; }

  Context ctx;
  Recorder rec;
  TcpStream st;
};

TEST_F(TcpStreamTest, InOrderIsHandedOnFromThePacket) {
  syn(1000);  // data starts at 1001
  const std::string a = "hello";
  const std::string b = " world";
  seg(1001, a);
  seg(1006, b);  // 1001 + 5
  EXPECT_EQ(rec.events, (Events{"D:hello", "D: world"}));
  ASSERT_EQ(rec.spans.size(), 2u);
  EXPECT_EQ(rec.spans[0], reinterpret_cast<const std::uint8_t*>(a.data()));  // not copied
  EXPECT_EQ(rec.spans[1], reinterpret_cast<const std::uint8_t*>(b.data()));
  EXPECT_EQ(n(C::kSegments), 2u);
  EXPECT_EQ(n(C::kBytesDelivered), 11u);
  EXPECT_EQ(n(C::kMidstreamPickups), 0u);
  EXPECT_EQ(n(C::kOutOfOrder), 0u);
  EXPECT_EQ(ctx.budget.used(), 0u);
}

TEST_F(TcpStreamTest, OutOfOrderIsBufferedUntilTheHoleFills) {
  syn(99);            // data at 100
  seg(106, "world");  // "hello " is 100..105
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(n(C::kOutOfOrder), 1u);
  EXPECT_EQ(st.buffered(), 5u);
  EXPECT_EQ(ctx.budget.used(), 5u + kSegmentOverhead);
  seg(100, "hello ");
  EXPECT_EQ(rec.events, (Events{"D:hello ", "D:world"}));
  EXPECT_EQ(n(C::kBytesDelivered), 11u);
  EXPECT_EQ(st.buffered(), 0u);
  EXPECT_EQ(ctx.budget.used(), 0u);
}

TEST_F(TcpStreamTest, DuplicatesAreCountedAndDropped) {
  syn(99);
  seg(100, "abc");
  seg(100, "abc");  // delivered before: 3 retransmitted
  EXPECT_EQ(n(C::kRetransmittedBytes), 3u);
  seg(106, "ghi");  // out of order, "def" missing
  seg(106, "ghi");  // buffered before: 3 more, same bytes
  EXPECT_EQ(n(C::kRetransmittedBytes), 6u);
  EXPECT_EQ(n(C::kOverlapConflicts), 0u);
  EXPECT_EQ(n(C::kOutOfOrder), 1u);  // the repeat brought nothing new
  seg(103, "def");
  EXPECT_EQ(rec.events, (Events{"D:abc", "D:def", "D:ghi"}));
  EXPECT_EQ(n(C::kSegments), 5u);
  EXPECT_EQ(n(C::kBytesDelivered), 9u);
}

TEST_F(TcpStreamTest, OverlapWithSameBytesBuffersOnlyTheNewParts) {
  syn(99);
  seg(102, "cdef");    // 102..105
  seg(101, "bcdefg");  // 101..106: 102..105 seen (4 bytes, same), new: 101 and 106
  EXPECT_EQ(n(C::kRetransmittedBytes), 4u);
  EXPECT_EQ(n(C::kOverlapConflicts), 0u);
  EXPECT_EQ(n(C::kOutOfOrder), 2u);
  EXPECT_EQ(st.buffered(), 6u);
  EXPECT_EQ(ctx.budget.used(), 6u + 3 * kSegmentOverhead);  // pieces "b", "cdef", "g"
  seg(100, "a");
  EXPECT_EQ(rec.events, (Events{"D:a", "D:b", "D:cdef", "D:g"}));
  EXPECT_EQ(n(C::kBytesDelivered), 7u);
}

TEST_F(TcpStreamTest, SegmentOverlappingTheStartOfABufferedOneBuffersItsHead) {
  syn(0);              // data at 1: "abcdefghi" is 1..9
  seg(5, "efghi");
  seg(3, "cdef");      // 5..6 seen ("ef", same); new: "cd" at 3, before the buffered piece
  EXPECT_EQ(n(C::kRetransmittedBytes), 2u);
  EXPECT_EQ(st.buffered(), 7u);
  seg(1, "ab");
  EXPECT_EQ(rec.events, (Events{"D:ab", "D:cd", "D:efghi"}));
}

TEST_F(TcpStreamTest, OverlapWithDifferentBytesKeepsTheFirst) {
  syn(99);
  seg(102, "XXXX");
  seg(101, "bcdefg");  // "cdef" differs from "XXXX": one conflict, "XXXX" stays
  EXPECT_EQ(n(C::kRetransmittedBytes), 4u);
  EXPECT_EQ(n(C::kOverlapConflicts), 1u);
  seg(100, "a");
  EXPECT_EQ(rec.events, (Events{"D:a", "D:b", "D:XXXX", "D:g"}));
}

TEST_F(TcpStreamTest, InOrderSegmentOverBufferedPiecesInterleavesThem) {
  syn(99);
  seg(102, "c");  // same as the packet below will carry
  seg(104, "X");  // the packet below carries "e" here
  const std::string p = "abcdef";  // 100..105
  seg(100, p);
  EXPECT_EQ(rec.events, (Events{"D:ab", "D:c", "D:d", "D:X", "D:f"}));
  EXPECT_EQ(n(C::kRetransmittedBytes), 2u);
  EXPECT_EQ(n(C::kOverlapConflicts), 1u);
  EXPECT_EQ(n(C::kBytesDelivered), 6u);
  EXPECT_EQ(rec.spans[0], reinterpret_cast<const std::uint8_t*>(p.data()));  // "ab" not copied
  EXPECT_EQ(ctx.budget.used(), 0u);
}

TEST_F(TcpStreamTest, RewriteOfDeliveredDataIsCountedNotCompared) {
  syn(99);
  seg(100, "abc");
  seg(100, "xbcd");  // 100..102 delivered already; only "d" is new
  EXPECT_EQ(rec.events, (Events{"D:abc", "D:d"}));
  EXPECT_EQ(n(C::kRetransmittedBytes), 3u);
  EXPECT_EQ(n(C::kOverlapConflicts), 0u);  // delivered bytes are not kept (header)
}

TEST_F(TcpStreamTest, SequenceWrap) {
  syn(0xFFFFFFF5);  // data at 0xFFFFFFF6
  // 16 bytes from 0xFFFFFFF6 end at 2^32 + 6: the next segment is at seq 6, then seq 10.
  seg(10, "WXYZ");  // 20 ahead of 0xFFFFFFF6, across the wrap
  EXPECT_EQ(n(C::kOutOfOrder), 1u);
  seg(0xFFFFFFF6, "0123456789abcdef");
  seg(6, "uvwx");
  EXPECT_EQ(rec.events, (Events{"D:0123456789abcdef", "D:uvwx", "D:WXYZ"}));
  EXPECT_EQ(n(C::kBytesDelivered), 24u);
  seg(0xFFFFFFFE, "89abcdef");  // offset 8 of the first segment: all old
  EXPECT_EQ(n(C::kRetransmittedBytes), 8u);
  seg(14, "!");  // 10 + 4, in order after the wrap
  EXPECT_EQ(rec.events.back(), "D:!");
  EXPECT_EQ(n(C::kBytesDelivered), 25u);
}

TEST_F(TcpStreamTest, LongInOrderStreamCrossesTheWrap) {
  syn(0xFFFFF000);  // data at 0xFFFFF001; 4095 bytes to the wrap
  const std::string chunk(1000, 'q');
  std::uint32_t seq = 0xFFFFF001;
  for (int i = 0; i < 10; ++i, seq += 1000) seg(seq, chunk);
  EXPECT_EQ(n(C::kBytesDelivered), 10000u);
  EXPECT_EQ(rec.events.size(), 10u);
  EXPECT_EQ(n(C::kOutOfOrder), 0u);
  EXPECT_EQ(n(C::kRetransmittedBytes), 0u);
}

TEST_F(TcpStreamTest, MidstreamPickupStartsAtTheFirstSegment) {
  seg(5000, "abc");
  seg(5003, "def");
  EXPECT_EQ(rec.events, (Events{"D:abc", "D:def"}));
  EXPECT_EQ(n(C::kMidstreamPickups), 1u);
  seg(4990, "0123456789");  // before the pickup point: treated as seen
  EXPECT_EQ(n(C::kRetransmittedBytes), 10u);
  EXPECT_EQ(rec.events.size(), 2u);
}

TEST_F(TcpStreamTest, SynWithData) {
  st.on_segment(7, bytes("hi"), kSyn, ctx, &rec);  // data at 8, 9
  seg(10, "!");
  EXPECT_EQ(rec.events, (Events{"D:hi", "D:!"}));
  EXPECT_EQ(n(C::kMidstreamPickups), 0u);
  EXPECT_EQ(n(C::kSegments), 2u);
  st.on_segment(7, bytes("hi"), kSyn, ctx, &rec);  // a repeated SYN: data again at 8
  EXPECT_EQ(n(C::kRetransmittedBytes), 2u);
  EXPECT_EQ(n(C::kBytesDelivered), 3u);
}

TEST_F(TcpStreamTest, FinEndsTheStream) {
  syn(0);
  seg(1, "abc", kAck | kFin);  // FIN at 4
  EXPECT_TRUE(st.fin_seen());
  EXPECT_FALSE(st.rst_seen());
  seg(4, "zzz");  // after the FIN
  EXPECT_EQ(rec.events, (Events{"D:abc"}));
  EXPECT_EQ(n(C::kOutOfWindowBytes), 3u);
  EXPECT_EQ(st.buffered(), 0u);
  seg(4, "", kRst);
  EXPECT_TRUE(st.rst_seen());
}

TEST_F(TcpStreamTest, FinOutOfOrder) {
  syn(0);
  seg(4, "def", kAck | kFin);  // FIN at 7, "abc" missing
  EXPECT_TRUE(st.fin_seen());
  seg(1, "abc");
  seg(7, "g");
  EXPECT_EQ(rec.events, (Events{"D:abc", "D:def"}));
  EXPECT_EQ(n(C::kOutOfWindowBytes), 1u);
}

TEST_F(TcpStreamTest, DataAfterRstIsStillReassembled) {
  syn(0);
  seg(1, "", kRst);
  seg(1, "abc");
  EXPECT_TRUE(st.rst_seen());
  EXPECT_EQ(rec.events, (Events{"D:abc"}));
}

TEST_F(TcpStreamTest, FarAheadSegmentTakesNoMemory) {
  syn(0);  // next expected: 1
  seg(1 + (1u << 30), "far");  // starts exactly kMaxAhead ahead: all cut
  EXPECT_EQ(n(C::kOutOfWindowBytes), 3u);
  EXPECT_EQ(n(C::kOutOfOrder), 0u);
  EXPECT_EQ(ctx.budget.used(), 0u);
  seg(1 + (1u << 30) - 2, "abcd");  // two bytes inside, two beyond
  EXPECT_EQ(n(C::kOutOfWindowBytes), 5u);
  EXPECT_EQ(st.buffered(), 2u);
  EXPECT_EQ(n(C::kOutOfOrder), 1u);
}

TEST_F(TcpStreamTest, PerStreamLimitGivesUpTheOldestHole) {
  use_limits(2 * (10 + kSegmentOverhead), 1024, 1 << 20);  // room for two 10-byte pieces
  syn(0);                                                  // data at 1
  seg(11, std::string(10, 'b'));                           // hole 1..10
  seg(31, std::string(10, 'd'));                           // hole 21..30
  EXPECT_EQ(ctx.budget.used(), 2 * (10 + kSegmentOverhead));
  seg(51, std::string(10, 'f'));  // no room: give up 1..10, deliver "b"s, then it fits
  EXPECT_EQ(rec.events, (Events{"G:10", "D:bbbbbbbbbb"}));
  EXPECT_EQ(n(C::kGaps), 1u);
  EXPECT_EQ(n(C::kBytesMissing), 10u);
  EXPECT_EQ(n(C::kOutOfOrder), 3u);
  EXPECT_EQ(n(C::kDroppedStreamLimit), 0u);
  EXPECT_EQ(st.buffered(), 20u);
  st.close(ctx, &rec);  // holes 21..30 and 41..50
  EXPECT_EQ(rec.events, (Events{"G:10", "D:bbbbbbbbbb", "G:10", "D:dddddddddd", "G:10",
                                "D:ffffffffff"}));
  EXPECT_EQ(n(C::kGaps), 3u);
  EXPECT_EQ(n(C::kBytesMissing), 30u);
  EXPECT_EQ(n(C::kBytesDelivered), 30u);
  EXPECT_EQ(st.buffered(), 0u);
  EXPECT_EQ(ctx.budget.used(), 0u);
}

TEST_F(TcpStreamTest, SegmentBiggerThanTheStreamLimitIsDropped) {
  use_limits(2 * (10 + kSegmentOverhead), 1024, 1 << 20);
  syn(0);
  seg(201, std::string(100, 'z'));  // costs 164 > 148, nothing buffered to give up
  EXPECT_EQ(n(C::kDroppedStreamLimit), 100u);
  EXPECT_EQ(n(C::kOutOfOrder), 1u);
  EXPECT_EQ(ctx.budget.used(), 0u);
  EXPECT_TRUE(rec.events.empty());
  seg(1, "x");  // the stream goes on
  EXPECT_EQ(rec.events, (Events{"D:x"}));
}

TEST_F(TcpStreamTest, SegmentCountIsCapped) {
  use_limits(1 << 20, 2, 1 << 20);
  syn(0);
  seg(3, "a");
  seg(5, "b");
  seg(7, "c");  // a third piece: give up 1..2, deliver "a", then it fits
  EXPECT_EQ(rec.events, (Events{"G:2", "D:a"}));
  st.close(ctx, &rec);  // holes at 4 and 6
  EXPECT_EQ(rec.events, (Events{"G:2", "D:a", "G:1", "D:b", "G:1", "D:c"}));
  EXPECT_EQ(n(C::kGaps), 3u);
  EXPECT_EQ(n(C::kBytesMissing), 4u);
}

TEST_F(TcpStreamTest, NewSegmentBeforeAllBufferedEndsTheGivenUpHole) {
  use_limits(2 * (10 + kSegmentOverhead), 1024, 1 << 20);
  syn(0);
  seg(21, std::string(10, 'c'));
  seg(41, std::string(10, 'e'));
  seg(6, std::string(10, 'a'));  // no room; the oldest hole is 1..5, ending at this segment
  EXPECT_EQ(rec.events, (Events{"G:5", "D:aaaaaaaaaa"}));
  EXPECT_EQ(n(C::kDroppedStreamLimit), 0u);
  EXPECT_EQ(st.buffered(), 20u);
}

TEST_F(TcpStreamTest, GlobalBudgetGivesUpThenDrops) {
  use_limits(1 << 20, 1024, 2 * (10 + kSegmentOverhead));
  TcpStream a, b, c;
  Recorder ra, rb, rc;
  a.on_segment(0, {}, kSyn, ctx, &ra);
  b.on_segment(0, {}, kSyn, ctx, &rb);
  c.on_segment(0, {}, kSyn, ctx, &rc);
  a.on_segment(11, bytes("xxxxxxxxxx"), kAck, ctx, &ra);
  b.on_segment(11, bytes("yyyyyyyyyy"), kAck, ctx, &rb);
  EXPECT_EQ(ctx.budget.used(), 148u);
  a.on_segment(31, bytes("zzzzzzzzzz"), kAck, ctx, &ra);  // budget spent: a gives up 1..10
  EXPECT_EQ(ra.events, (Events{"G:10", "D:xxxxxxxxxx"}));
  EXPECT_EQ(ctx.budget.used(), 148u);
  c.on_segment(5, bytes("cc"), kAck, ctx, &rc);  // c has nothing to give up: dropped
  EXPECT_EQ(n(C::kDroppedGlobalLimit), 2u);
  EXPECT_EQ(n(C::kDroppedStreamLimit), 0u);
  EXPECT_TRUE(rc.events.empty());
  EXPECT_EQ(n(C::kGaps), 1u);
  EXPECT_EQ(n(C::kBytesMissing), 10u);
  a.release(ctx);
  EXPECT_EQ(ctx.budget.used(), 74u);
  b.release(ctx);
  c.release(ctx);
  EXPECT_EQ(ctx.budget.used(), 0u);
}

TEST_F(TcpStreamTest, CloseSignalsHolesIncludingBeforeTheFin) {
  syn(0);
  seg(1, "aa");
  seg(5, "dd");       // hole 3..4
  seg(9, "", kFin);   // FIN at 9: hole 7..8
  st.close(ctx, &rec);
  EXPECT_EQ(rec.events, (Events{"D:aa", "G:2", "D:dd", "G:2"}));
  EXPECT_EQ(n(C::kGaps), 2u);
  EXPECT_EQ(n(C::kBytesMissing), 4u);
  EXPECT_EQ(ctx.budget.used(), 0u);
  EXPECT_TRUE(st.fin_seen());
}

TEST_F(TcpStreamTest, ZeroLengthSegments) {
  syn(0);
  seg(1, "");
  seg(50, "");
  EXPECT_EQ(n(C::kSegments), 0u);
  EXPECT_EQ(n(C::kOutOfOrder), 0u);
  EXPECT_EQ(ctx.budget.used(), 0u);
  EXPECT_TRUE(rec.events.empty());
  seg(1, "ab");
  EXPECT_EQ(rec.events, (Events{"D:ab"}));
  EXPECT_EQ(n(C::kSegments), 1u);
}

TEST_F(TcpStreamTest, ZeroLengthMidstreamPickup) {
  seg(300, "");  // a pure ACK carries the next sequence number to be sent
  EXPECT_EQ(n(C::kMidstreamPickups), 1u);
  seg(300, "x");
  EXPECT_EQ(rec.events, (Events{"D:x"}));
}

TEST_F(TcpStreamTest, ReleaseReturnsTheBudget) {
  TcpStream other;
  syn(0);
  other.on_segment(0, {}, kSyn, ctx, &rec);
  seg(10, "abc");
  seg(20, "de");
  other.on_segment(10, bytes("f"), kAck, ctx, &rec);
  EXPECT_EQ(ctx.budget.used(), 6u + 3 * kSegmentOverhead);
  EXPECT_EQ(st.buffered(), 5u);
  st.release(ctx);
  EXPECT_EQ(st.buffered(), 0u);
  EXPECT_EQ(ctx.budget.used(), 1u + kSegmentOverhead);
  other.release(ctx);
  EXPECT_EQ(ctx.budget.used(), 0u);
  EXPECT_TRUE(rec.events.empty());
}

TEST_F(TcpStreamTest, WithoutConsumerRangesAreTrackedNotCopied) {
  st.on_segment(0, {}, kSyn, ctx, nullptr);
  st.on_segment(7, bytes("world"), kAck, ctx, nullptr);
  EXPECT_EQ(st.buffered(), 0u);
  EXPECT_EQ(ctx.budget.used(), kSegmentOverhead);
  EXPECT_EQ(n(C::kOutOfOrder), 1u);
  st.on_segment(7, bytes("XXXXX"), kAck, ctx, nullptr);
  EXPECT_EQ(n(C::kRetransmittedBytes), 5u);
  EXPECT_EQ(n(C::kOverlapConflicts), 0u);  // nothing kept to compare with
  st.on_segment(1, bytes("hello "), kAck, ctx, nullptr);
  EXPECT_EQ(n(C::kBytesDelivered), 11u);
  EXPECT_EQ(ctx.budget.used(), 0u);
  st.on_segment(12, bytes("!"), kAck, ctx, nullptr);
  EXPECT_EQ(n(C::kBytesDelivered), 12u);
}

TEST_F(TcpStreamTest, RangeWithoutBytesReachesALaterConsumerAsAGap) {
  syn(0);
  st.on_segment(7, bytes("world"), kAck, ctx, nullptr);
  seg(1, "hello ");
  EXPECT_EQ(rec.events, (Events{"D:hello ", "G:5"}));
  EXPECT_EQ(n(C::kGaps), 1u);
  EXPECT_EQ(n(C::kBytesMissing), 5u);
  EXPECT_EQ(n(C::kBytesDelivered), 6u);
}

TEST_F(TcpStreamTest, MoveLeavesTheSourceEmpty) {
  syn(0);
  seg(2, "b");
  TcpStream moved(std::move(st));
  EXPECT_EQ(st.buffered(), 0u);  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_EQ(moved.buffered(), 1u);
  moved.on_segment(1, bytes("a"), kAck, ctx, &rec);
  EXPECT_EQ(rec.events, (Events{"D:a", "D:b"}));
  EXPECT_EQ(ctx.budget.used(), 0u);
}

TEST(CounterName, SnakeCaseAndUnique) {
  EXPECT_EQ(counter_name(C::kSegments), "segments");
  EXPECT_EQ(counter_name(C::kBytesDelivered), "bytes_delivered");
  EXPECT_EQ(counter_name(C::kDroppedGlobalLimit), "dropped_global_limit");
  EXPECT_EQ(counter_name(C::kOutOfWindowBytes), "out_of_window_bytes");
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(C::kCount); ++i) {
    const auto name = counter_name(static_cast<C>(i));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos);
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(C::kCount));
}

}  // namespace
}  // namespace tattle::reassembly
