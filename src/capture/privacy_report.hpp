// Apple's App Privacy Report (iOS 15+, Settings → Privacy → App Privacy Report → Export): NDJSON
// whose `networkActivity` records say which app (bundleID) contacted which domain, how often
// (hits) and when. An input of its own: it has names and apps but no packets or addresses.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>

#include <absl/status/status.h>

#include "core/diagnostics.hpp"
#include "core/timestamp.hpp"

namespace tattle::capture {

struct NetworkActivity {
  std::string bundle_id;  // the app
  std::string domain;
  std::uint64_t hits = 0;
  core::Timestamp first, last;
  bool app_initiated = true;  // false: "NonAppInitiated" (web content inside the app)
  std::uint64_t offset = 0;   // of the record's line in the file
};

// True when `head` (the first bytes of a file) begins like JSON text rather than a capture.
bool looks_like_json_lines(std::string_view head);

// Calls `each` for every networkActivity record. Other records (sensor and data access) are
// passed over; a line that is not a JSON object, or a networkActivity record without its bundleID
// or domain, is a warning naming the byte offset, and the rest of the file is still read.
// Fails only when the file cannot be read at all.
struct PrivacyReportCounts {
  std::uint64_t lines = 0, network_activity = 0, other_records = 0, bad_lines = 0;
};
absl::Status read_privacy_report(const std::string& path, std::uint32_t input, core::Diagnostics& diag,
                                 const std::function<void(const NetworkActivity&)>& each,
                                 PrivacyReportCounts& counts);
// The same over a stream (the file's contents); false when reading failed.
bool read_privacy_report(std::istream& in, std::uint32_t input, core::Diagnostics& diag,
                         const std::function<void(const NetworkActivity&)>& each, PrivacyReportCounts& counts);

// "2021-09-20T12:34:56.789-07:00", "...Z" or without fraction → nanoseconds since the epoch, UTC.
bool parse_iso8601(std::string_view text, core::Timestamp& out);

}  // namespace tattle::capture
