#include "capture/app_metadata.hpp"

#include <charconv>

namespace tattle::capture {

namespace {

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Names end at the first NUL: C writers sometimes count the terminator in the length.
std::string trim_nul(std::string_view s) { return std::string(s.substr(0, s.find('\0'))); }

}  // namespace

std::optional<std::int64_t> parse_pcapdroid_comment(std::string_view comment) {
  if (comment.size() < 3 || comment.substr(0, 2) != "u-") return std::nullopt;
  // Android uids are non-negative, but PCAPdroid prints an int: -1 means "unknown".
  auto uid = to_int(trim_nul(comment.substr(2)));
  if (!uid || *uid < 0) return std::nullopt;
  return uid;
}

std::optional<core::AppInfo> parse_pymobiledevice_comment(std::string_view c) {
  constexpr std::string_view kPid = "PID: ";
  constexpr std::string_view kName = ", ProcName: ";
  constexpr std::string_view kEpid = ", EPID: ";
  constexpr std::string_view kEname = ", EProcName: ";
  if (c.substr(0, kPid.size()) != kPid) return std::nullopt;
  const std::size_t name_at = c.find(kName);
  if (name_at == std::string_view::npos) return std::nullopt;
  // The name is free text; take the last ", EPID: " so that a name containing ", " still parses.
  const std::size_t epid_at = c.rfind(kEpid);
  if (epid_at == std::string_view::npos || epid_at < name_at + kName.size()) return std::nullopt;
  const std::size_t ename_at = c.find(kEname, epid_at);
  if (ename_at == std::string_view::npos) return std::nullopt;

  const auto pid = to_int(c.substr(kPid.size(), name_at - kPid.size()));
  const auto epid = to_int(c.substr(epid_at + kEpid.size(), ename_at - epid_at - kEpid.size()));
  if (!pid || !epid) return std::nullopt;
  core::AppInfo a;
  a.pid = *pid;
  a.name = trim_nul(c.substr(name_at + kName.size(), epid_at - name_at - kName.size()));
  std::string ename = trim_nul(c.substr(ename_at + kEname.size()));
  while (!ename.empty() && (ename.back() == '\n' || ename.back() == '\r')) ename.pop_back();
  if (*epid != *pid || ename != a.name) {
    a.effective_pid = *epid;
    a.effective_name = std::move(ename);
  }
  return a;
}

std::optional<UidName> parse_pcapdroid_block(core::Bytes data, bool big_endian) {
  core::ByteReader r(data);
  const std::uint16_t version = r.u16(big_endian);
  const std::uint8_t type = r.u8();
  r.u8();  // padding
  if (!r.ok() || version != 1 || type != 1) return std::nullopt;
  UidName out;
  out.uid = static_cast<std::int32_t>(r.u32(big_endian));
  const std::uint8_t package_len = r.u8();
  const std::uint8_t app_len = r.u8();
  const core::Bytes package = r.take(package_len);
  const core::Bytes app = r.take(app_len);
  if (!r.ok() || out.uid < 0) return std::nullopt;
  out.name = trim_nul(as_text(package));
  if (out.name.empty()) out.name = trim_nul(as_text(app));
  return out;
}

std::optional<ProcessEntry> parse_wireshark_process_entry(core::Bytes data) {
  constexpr std::uint32_t kProcessInformation = 3;
  core::ByteReader r(data);
  const std::uint32_t entry_type = r.u32le();
  const std::uint32_t entry_len = r.u32le();
  if (!r.ok() || entry_type != kProcessInformation) return std::nullopt;
  core::ByteReader entry = r.sub(entry_len);
  if (!r.ok()) return std::nullopt;
  ProcessEntry out;
  out.pid = entry.u32le();
  if (!entry.ok()) return std::nullopt;
  for_each_option(entry, /*big_endian=*/false, [&](std::uint16_t code, core::Bytes v) {
    if (code == 2) out.name = trim_nul(as_text(v));
    if (code == 9 && v.size() == 8) {
      core::ByteReader t(v);
      const std::uint64_t ns = t.u64le();
      if (ns <= static_cast<std::uint64_t>(INT64_MAX)) out.start_ns = static_cast<std::int64_t>(ns);
    }
  });
  return out;
}

}  // namespace tattle::capture
