#include "flow/stream_feed.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tattle::flow {
namespace {

// Wants records of a fixed size; remembers what it saw.
struct FixedRecords : Dissector {
  std::size_t size = 4;
  std::string seen;
  std::uint64_t gaps = 0;
  bool reject_on_gap = false;
  std::size_t finish_after = 0;  // 0: never; else finished once this many bytes were seen
  Progress on_stream(Direction, core::Timestamp, core::Bytes b) override {
    if (finish_after > 0 && seen.size() >= finish_after) return Progress::finished();
    if (b.size() < size) return Progress::need(size);
    const std::size_t n = b.size() / size * size;
    seen.append(reinterpret_cast<const char*>(b.data()), n);
    return Progress::done(n);
  }
  Progress on_gap(Direction, std::uint64_t missing) override {
    gaps += missing;
    return reject_on_gap ? Progress::reject() : Progress::done(0);
  }
  Progress on_datagram(Direction, core::Timestamp, core::Bytes) override { return Progress::done(0); }
};

core::Bytes bytes(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

TEST(StreamFeed, PresentsUnconsumedBytesAgain) {
  std::unique_ptr<Dissector> d = std::make_unique<FixedRecords>();
  auto* rec = static_cast<FixedRecords*>(d.get());
  StreamFeed feed(d, Direction::kFromClient, 64);
  feed.on_data(bytes("ab"));
  EXPECT_EQ(rec->seen, "");
  feed.on_data(bytes("cdef"));
  EXPECT_EQ(rec->seen, "abcd");
  feed.on_data(bytes("gh"));
  EXPECT_EQ(rec->seen, "abcdefgh");
}

TEST(StreamFeed, GapDiscardsHeldBytes) {
  std::unique_ptr<Dissector> d = std::make_unique<FixedRecords>();
  auto* rec = static_cast<FixedRecords*>(d.get());
  StreamFeed feed(d, Direction::kFromServer, 64);
  feed.on_data(bytes("xy"));
  feed.on_gap(10);
  EXPECT_EQ(rec->gaps, 12u);  // the 10 missing and the 2 that can no longer be completed
  feed.on_data(bytes("1234"));
  EXPECT_EQ(rec->seen, "1234");
}

TEST(StreamFeed, PendingIsBounded) {
  std::unique_ptr<Dissector> d = std::make_unique<FixedRecords>();
  auto* rec = static_cast<FixedRecords*>(d.get());
  rec->size = 1000;
  StreamFeed feed(d, Direction::kFromClient, 16);
  feed.on_data(bytes("0123456789"));
  feed.on_data(bytes("0123456789"));  // 20 > 16 held: the first 10 are given up
  EXPECT_EQ(feed.dropped(), 10u);
  EXPECT_EQ(rec->gaps, 10u);
}

TEST(StreamFeed, RejectDetaches) {
  std::unique_ptr<Dissector> d = std::make_unique<FixedRecords>();
  static_cast<FixedRecords*>(d.get())->reject_on_gap = true;
  StreamFeed feed(d, Direction::kFromClient, 16);
  feed.on_gap(1);
  EXPECT_EQ(d, nullptr);
  EXPECT_TRUE(feed.rejected());
  feed.on_data(bytes("abcd"));  // no dissector: ignored
}

TEST(StreamFeed, FinishedStopsDeliveryButKeepsTheDissector) {
  std::unique_ptr<Dissector> d = std::make_unique<FixedRecords>();
  auto* rec = static_cast<FixedRecords*>(d.get());
  rec->finish_after = 4;
  StreamFeed feed(d, Direction::kFromClient, 64);
  feed.on_data(bytes("abcdef"));  // "abcd" read, "ef" held
  EXPECT_FALSE(feed.finished());
  feed.on_data(bytes("gh"));      // the dissector has had enough
  EXPECT_TRUE(feed.finished());
  feed.on_data(bytes("ijkl"));
  feed.on_gap(3);
  EXPECT_EQ(rec->seen, "abcd");
  EXPECT_EQ(rec->gaps, 0u);
  EXPECT_NE(d, nullptr);  // still there for annotate()
  EXPECT_FALSE(feed.rejected());
}

}  // namespace
}  // namespace tattle::flow
