#include "report/spool.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tattle::report {
namespace {

// Bytes that tell their own place: a misplaced or lost block shows.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
  return s;
}

// Everything the spool holds, as copy_to() writes it.
std::string read_back(Spool& spool) {
  char* out = nullptr;
  std::size_t size = 0;
  std::FILE* f = open_memstream(&out, &size);
  EXPECT_TRUE(spool.copy_to(f));
  std::fclose(f);
  std::string back(out, size);
  std::free(out);
  return back;
}

// Writes `data` through the spool's stream in pieces of odd sizes, then reads it all back.
std::string round_trip(Spool& spool, const std::string& data) {
  for (std::size_t at = 0, piece = 1; at < data.size(); at += piece, piece = piece * 3 % 70001 + 1)
    EXPECT_EQ(std::fwrite(data.data() + at, 1, std::min(piece, data.size() - at), spool.file()),
              std::min(piece, data.size() - at));
  return read_back(spool);
}

TEST(Spool, KeepsBytesInOrderAcrossMemoryBlocks) {
  Spool spool;
  ASSERT_NE(spool.file(), nullptr);
  const std::string data = pattern(2 * Spool::kBlock + 12345);
  EXPECT_EQ(round_trip(spool, data), data);
  EXPECT_EQ(spool.size(), data.size());
  EXPECT_FALSE(spool.spilled());
}

TEST(Spool, GoesOnInATemporaryFilePastItsMemoryLimit) {
  Spool spool(Spool::kBlock + 100);  // a block and a bit, then the file
  const std::string data = pattern(3 * Spool::kBlock + 777);
  EXPECT_EQ(round_trip(spool, data), data);
  EXPECT_TRUE(spool.spilled());
}

// Records written in place, of sizes that end blocks at every kind of place, mixed with writes
// through the stream; then again past the memory limit, where they go to the file.
std::string in_place(Spool& spool, const std::string& data) {
  for (std::size_t at = 0, piece = 1, i = 0; at < data.size(); at += piece, piece = piece * 5 % 90001 + 1, ++i) {
    piece = std::min(piece, data.size() - at);
    if (i % 3 == 2) {
      EXPECT_EQ(std::fwrite(data.data() + at, 1, piece, spool.file()), piece);
      continue;
    }
    char* p = spool.reserve(piece + 100);  // more room than is used, as a record's bound is
    std::memcpy(p, data.data() + at, piece);
    spool.commit(p + piece);
  }
  return read_back(spool);
}

TEST(Spool, KeepsRecordsWrittenInPlaceInOrder) {
  Spool spool;
  const std::string data = pattern(3 * Spool::kBlock + 4321);
  EXPECT_EQ(in_place(spool, data), data);
  EXPECT_EQ(spool.size(), data.size());
  EXPECT_FALSE(spool.spilled());
}

TEST(Spool, KeepsRecordsWrittenInPlacePastItsMemoryLimit) {
  Spool spool(Spool::kBlock + 100);
  const std::string data = pattern(3 * Spool::kBlock + 99);
  EXPECT_EQ(in_place(spool, data), data);
  EXPECT_TRUE(spool.spilled());
}

TEST(Spool, AnEmptySpoolCopiesNothing) {
  Spool spool;
  EXPECT_EQ(round_trip(spool, ""), "");
}

}  // namespace
}  // namespace tattle::report
