#include "capture/privacy_report.hpp"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <simdjson.h>

namespace tattle::capture {

namespace {

constexpr std::size_t kMaxLine = 1 << 20;  // real records are a few hundred bytes

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  const auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, out);
  return ec == std::errc{} && end == s.data() + at + n;
}

}  // namespace

bool parse_iso8601(std::string_view s, core::Timestamp& out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return false;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  // Nanoseconds since the epoch in 64 bits reach from 1677 to 2262.
  if (!ymd.ok() || y < 1678 || y > 2261 || h > 23 || mi > 59 || sec > 60) return false;
  std::size_t at = 19;
  std::int64_t frac = 0;
  if (at < s.size() && s[at] == '.') {
    std::int64_t scale = 100'000'000;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at) {
      frac += (s[at] - '0') * scale;
      scale /= 10;
    }
  }
  std::int64_t offset = 0;
  if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int oh = 0, om = 0;
    const std::size_t m = s.size() > at + 3 && s[at + 3] == ':' ? at + 4 : at + 3;
    if (!digits(s, at + 1, 2, oh) || !digits(s, m, 2, om) || m + 2 != s.size()) return false;
    offset = (s[at] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  } else if (at < s.size() && s[at] == 'Z') {
    if (at + 1 != s.size()) return false;
  } else if (at != s.size()) {
    return false;
  }
  const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  out = core::Timestamp::from_seconds(days * 86400 + h * 3600 + mi * 60 + sec - offset, frac);
  return true;
}

bool looks_like_json_lines(std::string_view head) {
  for (const char c : head) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

absl::Status read_privacy_report(const std::string& path, std::uint32_t input, core::Diagnostics& diag,
                                 const std::function<void(const NetworkActivity&)>& each,
                                 PrivacyReportCounts& counts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("{}: {}", path, std::strerror(errno)));
  if (!read_privacy_report(in, input, diag, each, counts)) return absl::DataLossError(fmt::format("{}: read error", path));
  return absl::OkStatus();
}

bool read_privacy_report(std::istream& in, std::uint32_t input, core::Diagnostics& diag,
                         const std::function<void(const NetworkActivity&)>& each, PrivacyReportCounts& counts) {
  simdjson::dom::parser parser;
  std::string line;
  std::uint64_t offset = 0;
  while (std::getline(in, line)) {
    const std::uint64_t at = offset;
    offset += line.size() + 1;
    ++counts.lines;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto bad = [&](std::string_view why) {
      ++counts.bad_lines;
      diag.warn(input, at, fmt::format("App Privacy Report line {}: {}", counts.lines, why));
    };
    if (line.size() > kMaxLine) {
      bad("longer than 1 MiB; passed over");
      continue;
    }
    simdjson::dom::element record;
    if (parser.parse(line).get(record) != simdjson::SUCCESS || !record.is_object()) {
      bad("not a JSON object");
      continue;
    }
    std::string_view type;
    if (record["type"].get(type) != simdjson::SUCCESS || type != "networkActivity") {
      ++counts.other_records;
      continue;
    }
    NetworkActivity a;
    a.offset = at;
    std::string_view bundle, domain, first, last, initiated;
    if (record["bundleID"].get(bundle) != simdjson::SUCCESS || record["domain"].get(domain) != simdjson::SUCCESS ||
        bundle.empty() || domain.empty()) {
      bad("a networkActivity record without bundleID or domain");
      continue;
    }
    a.bundle_id = bundle;
    a.domain = domain;
    std::uint64_t hits = 0;
    if (record["hits"].get(hits) == simdjson::SUCCESS) a.hits = hits;
    const bool has_last = record["timeStamp"].get(last) == simdjson::SUCCESS && parse_iso8601(last, a.last);
    const bool has_first = record["firstTimeStamp"].get(first) == simdjson::SUCCESS && parse_iso8601(first, a.first);
    if (!has_first && !has_last) {
      bad("a networkActivity record without a readable timeStamp");
      continue;
    }
    if (!has_first) a.first = a.last;
    if (!has_last) a.last = a.first;
    if (record["initiatedType"].get(initiated) == simdjson::SUCCESS) a.app_initiated = initiated != "NonAppInitiated";
    ++counts.network_activity;
    each(a);
  }
  return !in.bad();
}

}  // namespace tattle::capture
