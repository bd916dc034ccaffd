#include "capture/keystrokes.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "capture/privacy_report.hpp"

namespace tattle::capture {

namespace {

// Linux input event types and codes (linux/input-event-codes.h), as getevent prints them.
constexpr int kEvSyn = 0, kEvKey = 1, kEvAbs = 3;
constexpr int kSynReport = 0;
constexpr int kAbsMtTrackingId = 0x39;
constexpr int kBtnTouch = 0x14a;
constexpr std::int64_t kEpochFrom = std::int64_t{1'000'000'000} * core::kNsPerSecond;  // 2001-09-09

constexpr std::array<std::string_view, 6> kSystemKeyNames = {"KEY_MUTE",  "KEY_VOLUMEDOWN", "KEY_VOLUMEUP",
                                                             "KEY_POWER", "KEY_SLEEP",      "KEY_WAKEUP"};

bool parse_hex(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 8) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc{} && end == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return trim(s);
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Up to `n` whitespace-separated tokens.
template <std::size_t N>
std::size_t split_words(std::string_view s, std::array<std::string_view, N>& out) {
  std::size_t n = 0;
  while (n < N) {
    s = trim(s);
    if (s.empty()) break;
    const std::size_t end = s.find_first_of(" \t");
    out[n++] = s.substr(0, end);
    if (end == std::string_view::npos) break;
    s.remove_prefix(end);
  }
  return n;
}

// A time: decimal seconds, or ISO 8601.
bool parse_time(std::string_view s, std::int64_t& ns) {
  s = unquote(s);
  if (parse_decimal_seconds(s, ns)) return true;
  core::Timestamp t;
  if (!parse_iso8601(s, t)) return false;
  ns = t.ns;
  return true;
}

bool time_column_name(std::string_view s) {
  s = unquote(s);
  const auto same = [&](std::string_view n) {
    return std::equal(s.begin(), s.end(), n.begin(), n.end(),
                      [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b; });
  };
  for (const std::string_view n : {"time", "timestamp", "ts", "t", "epoch", "time_s", "seconds", "date", "datetime"})
    if (same(n)) return true;
  return false;
}

}  // namespace

// The BTN_ ranges of input-event-codes.h are left out, and keys that are not typing: mute,
// volume down and up, power, sleep and wake-up.
bool typing_key_code(int code) {
  if (code >= 0x100 && code < 0x160) return false;  // BTN_MISC … BTN_GEAR_UP (BTN_TOUCH among them)
  if (code >= 0x220 && code <= 0x223) return false;  // BTN_DPAD_*
  if (code >= 0x2c0 && code < 0x300) return false;   // BTN_TRIGGER_HAPPY*
  if ((code >= 113 && code <= 116) || code == 142 || code == 143) return false;
  return code >= 0 && code < 0x300;
}

std::string_view to_string(KeystrokeFormat f) {
  switch (f) {
    case KeystrokeFormat::kUnknown: return "unknown";
    case KeystrokeFormat::kGetevent: return "getevent";
    case KeystrokeFormat::kCsv: return "csv";
    case KeystrokeFormat::kJsonLines: return "jsonl";
    case KeystrokeFormat::kTattle: return "tattle";
  }
  return "unknown";
}

bool parse_decimal_seconds(std::string_view s, std::int64_t& ns) {
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  // 9,223,372,035 s is the last second whose nanoseconds fit in 63 bits.
  if (whole.empty() || whole.size() > 10) return false;
  std::int64_t sec = 0;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), sec);
  if (ec != std::errc{} || end != whole.data() + whole.size() || sec < 0 || sec > 9'223'372'035) return false;
  std::int64_t frac = 0;
  if (dot != std::string_view::npos) {
    const std::string_view digits = s.substr(dot + 1);
    if (digits.empty()) return false;
    std::int64_t scale = 100'000'000;
    for (const char c : digits) {
      if (c < '0' || c > '9') return false;
      frac += (c - '0') * scale;  // digits past the ninth add nothing
      scale /= 10;
    }
  }
  ns = sec * core::kNsPerSecond + frac;
  return true;
}

KeystrokeParser::KeystrokeParser(std::uint32_t input, core::Diagnostics& diag, std::string_view device)
    : input_(input), diag_(diag), device_(device) {}

void KeystrokeParser::bad(std::uint64_t offset, std::string_view why) {
  ++log_.counts.bad_lines;
  diag_.warn(input_, offset, fmt::format("keystroke log line {}: {}", log_.counts.lines, why));
}

void KeystrokeParser::take(std::int64_t t) {
  if (log_.times.size() >= KeystrokeLog::kMaxKeystrokes) {
    ++log_.counts.dropped;
    return;
  }
  log_.times.push_back(t);
  ++log_.counts.events;
}

void KeystrokeParser::line(std::string_view text, std::uint64_t offset) {
  ++log_.counts.lines;
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.size() > kMaxLine) {
    bad(offset, "longer than 4096 bytes; passed over");
    return;
  }
  const std::string_view t = trim(text);
  if (t.empty()) return;
  if (log_.format == KeystrokeFormat::kUnknown) {
    if (starts_with(t, "# tattle keys record")) log_.format = KeystrokeFormat::kTattle;
    else if (t.front() == '#') return;
    else if (t.front() == '[' || starts_with(t, "add device") || starts_with(t, "could not") ||
             starts_with(t, "/dev/input/"))
      log_.format = KeystrokeFormat::kGetevent;
    else if (t.front() == '{') log_.format = KeystrokeFormat::kJsonLines;
    else log_.format = KeystrokeFormat::kCsv;
  }
  switch (log_.format) {
    case KeystrokeFormat::kGetevent: getevent_line(text, offset); break;
    case KeystrokeFormat::kJsonLines: json_line(t, offset); break;
    case KeystrokeFormat::kCsv:
    case KeystrokeFormat::kTattle: timestamp_line(t, offset); break;
    case KeystrokeFormat::kUnknown: break;
  }
}

std::size_t KeystrokeParser::device_of(std::string_view path) {
  for (std::size_t i = 0; i < devices_.size(); ++i)
    if (devices_[i].path == path) return i;
  Device d;
  d.path = path;
  d.selected = device_.empty() || path.empty() || path == device_;
  devices_.push_back(std::move(d));
  return devices_.size() - 1;
}

void KeystrokeParser::flush_frame(std::size_t device) {
  Device& d = devices_[device];
  if (!d.frame_open) return;
  const int downs = d.new_contacts > 0 ? d.new_contacts : d.touch_down ? 1 : 0;
  for (int i = 0; i < downs; ++i) take(d.frame_time);
  d.taken += static_cast<std::uint64_t>(downs);
  d.frame_open = false;
  d.new_contacts = 0;
  d.touch_down = false;
}

// `getevent -lt`:  [   51234.567890] /dev/input/event2: EV_KEY       BTN_TOUCH            DOWN
// `getevent -t`:   [   51234.567890] /dev/input/event2: 0001 014a 00000001
// The device path is printed only when getevent watches several devices. Before the events it
// lists the devices: `add device 1: /dev/input/event2` and `  name:     "touchscreen"`.
void KeystrokeParser::getevent_line(std::string_view text, std::uint64_t offset) {
  std::string_view t = trim(text);
  if (starts_with(t, "add device")) {
    const std::size_t colon = t.find(':');
    if (colon != std::string_view::npos) device_of(trim(t.substr(colon + 1)));
    return;
  }
  if (starts_with(t, "name:")) {
    if (!devices_.empty()) {
      Device& d = devices_.back();
      d.name = unquote(t.substr(5));
      d.selected = device_.empty() || d.path == device_ || d.name == device_;
    }
    return;
  }
  if (starts_with(t, "/dev/input/")) {
    untimed_getevent_ = true;
    return;
  }
  if (t.front() != '[') {
    // getevent's other listings (`-i`: versions, events, properties) are indented or name
    // what they list; anything else is damage.
    if (text.front() == ' ' || text.front() == '\t' || starts_with(t, "could not")) return;
    bad(offset, "not a getevent line");
    return;
  }
  const std::size_t close = t.find(']');
  std::int64_t time = 0;
  if (close == std::string_view::npos || !parse_decimal_seconds(trim(t.substr(1, close - 1)), time)) {
    bad(offset, "a getevent line without a readable [seconds.micros] time");
    return;
  }
  std::string_view rest = trim(t.substr(close + 1));
  std::string_view path;
  if (starts_with(rest, "/")) {
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      bad(offset, "a getevent line without an event");
      return;
    }
    path = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
  }
  std::array<std::string_view, 3> words;
  if (split_words(rest, words) != 3) {
    bad(offset, "a getevent event is a type, a code and a value");
    return;
  }
  const std::size_t dev = device_of(path);
  Device& d = devices_[dev];
  if (!d.selected) {
    ++log_.counts.other_devices;
    return;
  }
  // Labels (-l) or hex numbers; getevent prints hex where it has no label.
  std::uint32_t type = 0, code = 0, value = 0;
  const auto [type_word, code_word, value_word] = words;
  if (type_word == "EV_SYN") type = kEvSyn;
  else if (type_word == "EV_KEY") type = kEvKey;
  else if (type_word == "EV_ABS") type = kEvAbs;
  else if (starts_with(type_word, "EV_")) type = 0xffff;
  else if (!parse_hex(type_word, type)) {
    bad(offset, "a getevent event of no readable type");
    return;
  }
  // A typing key: by its code, or by its label (KEY_A, but not KEY_POWER).
  bool typing_key = false;
  if (parse_hex(code_word, code)) {
    typing_key = typing_key_code(static_cast<int>(code));
  } else if (code_word == "SYN_REPORT") {
    code = kSynReport;
  } else if (code_word == "ABS_MT_TRACKING_ID") {
    code = kAbsMtTrackingId;
  } else if (code_word == "BTN_TOUCH") {
    code = kBtnTouch;
  } else {
    code = 0xffff;  // another label
    typing_key = starts_with(code_word, "KEY_") &&
                 std::find(kSystemKeyNames.begin(), kSystemKeyNames.end(), code_word) == kSystemKeyNames.end();
  }
  if (value_word == "DOWN") value = 1;
  else if (value_word == "UP") value = 0;
  else if (value_word == "REPEAT") value = 2;
  else if (!parse_hex(value_word, value)) {
    bad(offset, "a getevent event of no readable value");
    return;
  }

  if (type == kEvSyn) {
    if (code == kSynReport) flush_frame(dev);
    return;
  }
  if (!d.frame_open) {
    d.frame_open = true;
    d.frame_time = time;
  }
  if (type == kEvKey && code == kBtnTouch) {
    if (value == 1) d.touch_down = true;
    else ++log_.counts.other_events;
  } else if (type == kEvAbs && code == kAbsMtTrackingId) {
    if (value != 0xffffffffu) ++d.new_contacts;
    else ++log_.counts.other_events;
  } else if (type == kEvKey && value == 1 && typing_key) {
    take(time);
    ++d.taken;
  } else {
    ++log_.counts.other_events;
  }
}

// CSV (and tattle's own recordings): one time per row, in the column a header names, else the
// first; a first row that holds no time is the header.
void KeystrokeParser::timestamp_line(std::string_view t, std::uint64_t offset) {
  if (t.front() == '#') return;
  if (column_ < 0) {
    separator_ = t.find(',') != std::string_view::npos   ? ','
                 : t.find(';') != std::string_view::npos ? ';'
                                                         : '\t';
  }
  // The fields up to the time's column.
  std::array<std::string_view, 16> fields;
  std::size_t n = 0;
  for (std::string_view rest = t; n < fields.size();) {
    const std::size_t sep = rest.find(separator_);
    fields[n++] = rest.substr(0, sep);
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + 1);
  }
  std::int64_t time = 0;
  if (column_ < 0) {
    column_ = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (time_column_name(fields[i])) {
        column_ = static_cast<int>(i);
        return;  // the header
      }
    if (!parse_time(fields[0], time)) return;  // a header naming its columns otherwise
    take(time);
    return;
  }
  if (static_cast<std::size_t>(column_) >= n) {
    bad(offset, "a row without the time column");
    return;
  }
  if (!parse_time(fields[column_], time)) {
    bad(offset, "not a time (epoch seconds or ISO 8601)");
    return;
  }
  take(time);
}

// JSON Lines: {"time": 1764700000.123456} or {"timestamp": "2026-12-02T20:15:29.123456Z"}.
void KeystrokeParser::json_line(std::string_view t, std::uint64_t offset) {
  simdjson::dom::parser parser;
  simdjson::dom::element record;
  if (parser.parse(t).get(record) != simdjson::SUCCESS || !record.is_object()) {
    bad(offset, "not a JSON object");
    return;
  }
  for (const char* key : {"time", "timestamp", "ts", "t"}) {
    simdjson::dom::element v;
    if (record[key].get(v) != simdjson::SUCCESS) continue;
    std::int64_t time = 0;
    std::string_view text;
    std::int64_t whole = 0;
    double seconds = 0;
    if (v.get(text) == simdjson::SUCCESS) {
      if (!parse_time(text, time)) break;
    } else if (v.get(whole) == simdjson::SUCCESS) {
      if (whole < 0 || whole > 9'223'372'035) break;
      time = whole * core::kNsPerSecond;
    } else if (v.get(seconds) == simdjson::SUCCESS) {
      // A double holds epoch seconds to about a quarter of a microsecond.
      if (!(seconds >= 0 && seconds < 9.2e9)) break;
      time = static_cast<std::int64_t>(seconds * 1e9);
    } else {
      break;
    }
    take(time);
    return;
  }
  bad(offset, "no readable \"time\" (epoch seconds or ISO 8601)");
}

absl::StatusOr<KeystrokeLog> KeystrokeParser::finish() {
  for (std::size_t i = 0; i < devices_.size(); ++i) flush_frame(i);
  for (const Device& d : devices_)
    if (d.taken > 0 && !d.path.empty()) log_.devices.push_back(d.name.empty() ? d.path : d.path + " (" + d.name + ")");
  if (log_.times.empty()) {
    if (untimed_getevent_)
      return absl::InvalidArgumentError("getevent output without times: record it with `getevent -lt` (or -t)");
    if (!device_.empty() && log_.format == KeystrokeFormat::kGetevent)
      return absl::InvalidArgumentError(fmt::format("no key-down or touch-down events of device {}", device_));
    return absl::InvalidArgumentError("no key-down or touch-down times in it");
  }
  std::sort(log_.times.begin(), log_.times.end());
  log_.epoch = log_.times.front() >= kEpochFrom;
  return std::move(log_);
}

absl::StatusOr<KeystrokeLog> read_keystrokes(const std::string& path, std::uint32_t input, core::Diagnostics& diag,
                                             std::string_view device) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::NotFoundError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  KeystrokeParser parser(input, diag, device);
  std::vector<char> chunk(1 << 16);
  std::string line;        // at most kMaxLine + 1 bytes of the line being read
  std::uint64_t start = 0;  // the line's offset
  std::uint64_t offset = 0;
  std::size_t n;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), f)) > 0) {
    for (std::size_t i = 0; i < n; ++i, ++offset) {
      if (chunk[i] == '\n') {
        parser.line(line, start);
        line.clear();
        start = offset + 1;
      } else if (line.size() <= KeystrokeParser::kMaxLine) {
        line.push_back(chunk[i]);
      }
    }
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::DataLossError(fmt::format("cannot read {}", path));
  if (!line.empty()) parser.line(line, start);
  auto log = parser.finish();
  if (!log.ok()) return absl::InvalidArgumentError(fmt::format("{}: {}", path, std::string(log.status().message())));
  return log;
}

}  // namespace tattle::capture
