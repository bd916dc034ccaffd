#include <arpa/inet.h>

#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/app.hpp"
#include "core/ascii.hpp"
#include "core/byte_reader.hpp"
#include "core/diagnostics.hpp"
#include "core/ip_address.hpp"
#include "core/timestamp.hpp"

namespace tattle::core {
namespace {

TEST(ByteReader, ReadsBothByteOrders) {
  const std::uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  ByteReader r(b);
  EXPECT_EQ(r.u16be(), 0x0102);
  EXPECT_EQ(r.u32le(), 0x06050403u);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReader, FailureIsSticky) {
  const std::uint8_t b[] = {0xaa, 0xbb, 0xcc};
  ByteReader r(b);
  EXPECT_EQ(r.u32be(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0u);  // nothing readable after a failure, even though 3 bytes were there
  EXPECT_FALSE(r.ok());
}

TEST(ByteReader, ChildCannotReadPastItsLength) {
  const std::uint8_t b[] = {0x02, 0x11, 0x22, 0x33};
  ByteReader r(b);
  ByteReader child = r.sub_u8();
  EXPECT_EQ(child.u16be(), 0x1122);
  EXPECT_EQ(child.u8(), 0);
  EXPECT_FALSE(child.ok());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.u8(), 0x33);
}

TEST(ByteReader, LyingLengthFailsParent) {
  const std::uint8_t b[] = {0x00, 0x09, 0x01};
  ByteReader r(b);
  ByteReader child = r.sub_u16be();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(child.remaining(), 0u);
}

TEST(Timestamp, Iso8601WithMicroseconds) {
  // 2009-02-13T23:31:30Z is Unix time 1234567890.
  EXPECT_EQ(iso8601(Timestamp::from_seconds(1234567890, 123456789)), "2009-02-13T23:31:30.123456Z");
  EXPECT_EQ(iso8601(Timestamp{-1}), "1969-12-31T23:59:59.999999Z");
  // The same second again (cached), then the next one.
  EXPECT_EQ(iso8601(Timestamp::from_seconds(1234567890, 5000)), "2009-02-13T23:31:30.000005Z");
  EXPECT_EQ(iso8601(Timestamp::from_seconds(1234567890, 999'999'999)), "2009-02-13T23:31:30.999999Z");
  EXPECT_EQ(iso8601(Timestamp::from_seconds(1234567891)), "2009-02-13T23:31:31.000000Z");
}

// As std::sort sorts them: many times over a minute, over the whole range of the type (the
// distance overflows a signed subtraction), and a few.
TEST(Timestamp, SortTimesAgreesWithStdSort) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> minute(1'700'000'000'000'000'000, 1'700'000'060'000'000'000);
  std::uniform_int_distribution<std::int64_t> any(std::numeric_limits<std::int64_t>::min(),
                                                  std::numeric_limits<std::int64_t>::max());
  for (const std::size_t n : {std::size_t{5}, std::size_t{3000}, std::size_t{100'000}}) {
    for (const bool wide : {false, true}) {
      std::vector<std::int64_t> times(n);
      for (auto& t : times) t = wide ? any(rng) : minute(rng);
      times[n / 2] = times[n / 3];  // a repeat
      std::vector<std::int64_t> expected = times;
      std::sort(expected.begin(), expected.end());
      sort_times(times);
      EXPECT_EQ(times, expected) << n << (wide ? " wide" : "");
    }
  }
}

TEST(IpAddress, FormatsAsRfc5952) {
  EXPECT_EQ(to_string(IpAddress::parse("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(to_string(Endpoint{IpAddress::parse("2001:0db8:0:0:0:0:0:1"), 443}), "[2001:db8::1]:443");
  EXPECT_EQ(to_string(Endpoint{IpAddress::parse("10.1.2.3"), 53}), "10.1.2.3:53");
  EXPECT_EQ(to_string(IpAddress::parse("0.9.100.255")), "0.9.100.255");
  EXPECT_EQ(to_string(IpAddress::parse("::ffff:192.0.2.1")), "::ffff:192.0.2.1");
  EXPECT_EQ(IpAddress::parse("not an address").version, 0);
}

// The hand-written formatter against glibc's inet_ntop, which is what tshark prints: every run
// length and position of zero words, the IPv4-compatible and -mapped tails, and random addresses.
TEST(IpAddress, Ipv6TextMatchesInetNtop) {
  const auto check = [](const std::array<std::uint8_t, 16>& b) {
    char expected[INET6_ADDRSTRLEN] = {};
    ASSERT_NE(inet_ntop(AF_INET6, b.data(), expected, sizeof expected), nullptr);
    EXPECT_EQ(to_string(IpAddress::v6(std::span<const std::uint8_t, 16>(b))), expected);
  };
  for (unsigned mask = 0; mask < 256; ++mask) {  // each word zero or not
    for (std::uint8_t fill : {std::uint8_t{0x01}, std::uint8_t{0xff}}) {
      std::array<std::uint8_t, 16> b{};
      for (int w = 0; w < 8; ++w)
        if ((mask >> w) & 1) b[static_cast<std::size_t>(2 * w + 1)] = fill;
      check(b);
      b[10] = b[11] = 0xff;  // ::ffff:a.b.c.d when the rest allows
      check(b);
    }
  }
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 10000; ++i) {
    std::array<std::uint8_t, 16> b{};
    for (auto& byte : b) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto r = static_cast<std::uint8_t>(state >> 56);
      byte = (r & 0x30) != 0 ? 0 : r;  // mostly zeros, so runs of zero words are common
    }
    check(b);
  }
}

TEST(IpAddress, EndpointTextBounds) {
  const auto widest = Endpoint{IpAddress::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 65535};
  EXPECT_EQ(text(widest).view(), "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  EXPECT_EQ(text(Endpoint{IpAddress::parse("255.255.255.255"), 0}).view(), "255.255.255.255:0");
  EXPECT_EQ(text(IpAddress{}).view(), "");
}

// Eight bytes at a time must agree with a byte-by-byte check for every byte value, at every place
// of short and long texts (whole words, and the last word that overlaps them), for both uses
// (JSON and DNS labels).
TEST(Ascii, PrintableWithoutAgreesWithAByteByByteCheck) {
  struct Use {
    unsigned char lo;
    char a, b;
  };
  for (const Use u : {Use{0x20, '"', '\\'}, Use{0x21, '.', '\\'}}) {
    for (int c = 0; c < 256; ++c) {
      const bool plain = c >= u.lo && c <= 0x7e && c != u.a && c != u.b;
      for (const std::size_t size : {1, 5, 7, 8, 9, 15, 16, 19}) {  // byte by byte, words, overlap
        for (std::size_t at = 0; at < size; ++at) {
          std::string s = std::string("abcdefghijklmnopqrs").substr(0, size);
          s[at] = static_cast<char>(c);
          EXPECT_EQ(printable_without(s, u.lo, u.a, u.b), plain) << "byte " << c << " at " << at << " of " << size;
        }
      }
    }
  }
  EXPECT_TRUE(printable_without("", 0x21, '.', '\\'));
}

TEST(AppRegistry, InternsOnceAndNamesByUid) {
  AppRegistry apps;
  const AppId a = apps.intern(AppInfo{.name = "Safari", .pid = 42});
  EXPECT_EQ(apps.intern(AppInfo{.name = "Safari", .pid = 42}), a);
  EXPECT_NE(a, kNoApp);
  EXPECT_EQ(apps.intern(AppInfo{}), kNoApp);
  const AppId u = apps.intern(AppInfo{.uid = 10123});
  EXPECT_EQ(apps.display_name(u), "uid:10123");
  apps.name_uid(10123, "com.example.app");
  EXPECT_EQ(apps.display_name(u), "com.example.app");
}

TEST(AppRegistry, IsBounded) {
  AppRegistry apps;
  for (std::size_t i = 0; i < AppRegistry::kMaxApps + 10; ++i)
    apps.intern(AppInfo{.pid = static_cast<std::int64_t>(i)});
  EXPECT_EQ(apps.size(), AppRegistry::kMaxApps);
  EXPECT_EQ(apps.dropped(), 10u);
  EXPECT_NE(apps.intern(AppInfo{.pid = 5}), kNoApp);  // known apps are still found
}

TEST(Diagnostics, KeepsBoundedWarningsWithOffsets) {
  Diagnostics d;
  const auto in = d.add_input("x.pcap");
  for (int i = 0; i < 150; ++i) d.warn(in, static_cast<std::uint64_t>(i) * 10, "bad");
  EXPECT_EQ(d.inputs()[in].total, 150u);
  EXPECT_EQ(d.inputs()[in].kept.size(), Diagnostics::kKeep);
  EXPECT_EQ(d.inputs()[in].kept[3].offset, 30u);
}

}  // namespace
}  // namespace tattle::core
