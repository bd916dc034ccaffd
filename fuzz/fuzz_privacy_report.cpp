// The App Privacy Report reader on arbitrary bytes, as the lines of an NDJSON file.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

#include "capture/privacy_report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::FILE* null = std::fopen("/dev/null", "w");
  core::Diagnostics diag(null);
  const std::uint32_t input = diag.add_input("fuzz.ndjson");
  capture::PrivacyReportCounts counts;
  std::uint64_t sum = 0;
  capture::read_privacy_report(in, input, diag, [&](const capture::NetworkActivity& a) {
    sum += a.bundle_id.size() + a.domain.size() + a.hits + static_cast<std::uint64_t>(a.first.ns ^ a.last.ns);
  }, counts);
  std::fclose(null);
  return sum == 1 ? 1 : 0;
}
