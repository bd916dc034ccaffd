// The App Privacy Report reader: ISO 8601 times as Apple writes them, records, damaged lines.
#include "capture/privacy_report.hpp"

#include <cstdio>
#include <sstream>

#include <gtest/gtest.h>

namespace tattle::capture {
namespace {

TEST(PrivacyReport, ReadsIso8601WithOffsetsAndFractions) {
  core::Timestamp t;
  ASSERT_TRUE(parse_iso8601("2026-11-20T09:14:03.001+01:00", t));
  EXPECT_EQ(t.ns, 1'795'162'443'001'000'000);  // 08:14:03.001 UTC (date -d @1795162443)
  ASSERT_TRUE(parse_iso8601("2026-11-20T08:14:03.001Z", t));
  EXPECT_EQ(t.ns, 1'795'162'443'001'000'000);
  ASSERT_TRUE(parse_iso8601("1970-01-01T00:00:00-0130", t));
  EXPECT_EQ(t.ns, 5400 * core::kNsPerSecond);
  ASSERT_TRUE(parse_iso8601("2024-02-29T00:00:00", t));  // no zone: UTC
  EXPECT_EQ(t.ns, 1'709'164'800 * core::kNsPerSecond);
  EXPECT_FALSE(parse_iso8601("2023-02-29T00:00:00Z", t));  // not a day
  EXPECT_FALSE(parse_iso8601("9999-01-01T00:00:00Z", t));  // beyond 64-bit nanoseconds
  EXPECT_FALSE(parse_iso8601("2026-11-20T09:14", t));
  EXPECT_FALSE(parse_iso8601("2026-11-20T09:14:03+01:00x", t));
}

TEST(PrivacyReport, TakesNetworkActivityAndWarnsOfDamagedLines) {
  std::istringstream in(
      R"({"type":"access","accessor":{"identifier":"a"},"timeStamp":"2026-11-20T09:00:00Z"})" "\n"
      R"({"type":"networkActivity","bundleID":"com.a","domain":"x.example","hits":3,"firstTimeStamp":"2026-11-20T09:00:00Z","timeStamp":"2026-11-20T09:00:05Z","initiatedType":"NonAppInitiated"})" "\n"
      "not json\n"
      R"({"type":"networkActivity","bundleID":"com.a","domain":"y.example","hits":1})" "\n");
  std::FILE* null = std::fopen("/dev/null", "w");
  core::Diagnostics diag(null);
  const auto input = diag.add_input("report.ndjson");
  PrivacyReportCounts counts;
  std::vector<NetworkActivity> got;
  ASSERT_TRUE(read_privacy_report(in, input, diag, [&](const NetworkActivity& a) { got.push_back(a); }, counts));
  std::fclose(null);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bundle_id, "com.a");
  EXPECT_EQ(got[0].domain, "x.example");
  EXPECT_EQ(got[0].hits, 3u);
  EXPECT_EQ(got[0].last.ns - got[0].first.ns, 5 * core::kNsPerSecond);
  EXPECT_FALSE(got[0].app_initiated);
  EXPECT_EQ(counts.other_records, 1u);
  EXPECT_EQ(counts.bad_lines, 2u);  // not JSON; no time
  ASSERT_EQ(diag.inputs()[input].kept.size(), 2u);
  EXPECT_EQ(diag.inputs()[input].kept[0].offset, 268u);  // where "not json" begins
}

}  // namespace
}  // namespace tattle::capture
