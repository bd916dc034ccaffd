// The JSON report's `dns` items: the same document whether they stayed in memory or went
// through a temporary file on the way.
#include "report/report.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace tattle::report {
namespace {

std::string report_of(std::size_t in_memory, int transactions) {
  char* data = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&data, &size);
  {
    core::AppRegistry apps;
    JsonReport r(out, apps, true, in_memory);
    for (int i = 0; i < transactions; ++i) {
      dissect::DnsTransaction t;
      t.time = core::Timestamp{i * 1000};
      t.client = core::Endpoint{core::IpAddress::parse("10.0.0.1"), static_cast<std::uint16_t>(1024 + i % 60000)};
      t.server = core::Endpoint{core::IpAddress::parse("10.0.0.53"), 53};
      t.qname = "host" + std::to_string(i) + ".example";
      t.qtype = dissect::dns_type::kA;
      r.on_dns(t);
    }
    r.finish(RunStats{});
  }
  std::fclose(out);
  std::string text(data, size);
  std::free(data);
  return text;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(JsonReport, DnsItemsAreTheSameInMemoryOrSpilled) {
  const std::string kept = report_of(JsonReport::kSpoolInMemory, 5000);
  const std::string spilled = report_of(0, 5000);  // to the temporary file at the first check
  EXPECT_EQ(count(kept, "\"qname\""), 5000u);
  EXPECT_NE(kept.find("\"host4999.example\""), std::string::npos);
  EXPECT_EQ(kept, spilled);
  EXPECT_EQ(count(report_of(0, 0), "\"qname\""), 0u);
}

}  // namespace
}  // namespace tattle::report
