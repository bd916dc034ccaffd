// Keystroke timelines: WHEN keys (or the on-screen keyboard's keys, as touches) went down, never
// which. Read from Android's `getevent -lt` / `getevent -t`, from CSV or JSON Lines with one
// timestamp per event (epoch seconds or ISO 8601), and from tattle's own `tattle keys record`.
// An input of the keystroke detector (detect/keystroke), not of the packet pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "core/diagnostics.hpp"

namespace tattle::capture {

enum class KeystrokeFormat : std::uint8_t { kUnknown, kGetevent, kCsv, kJsonLines, kTattle };
std::string_view to_string(KeystrokeFormat f);

struct KeystrokeCounts {
  std::uint64_t lines = 0;
  std::uint64_t events = 0;         // key-downs and touch-downs taken
  std::uint64_t other_events = 0;   // getevent events that are neither (key-ups, moves, system keys)
  std::uint64_t other_devices = 0;  // getevent events of devices other than the one asked for
  std::uint64_t bad_lines = 0;      // lines that could not be read (each a warning)
  std::uint64_t dropped = 0;        // events beyond kMaxKeystrokes
};

struct KeystrokeLog {
  static constexpr std::size_t kMaxKeystrokes = 1 << 20;  // a month of steady typing

  KeystrokeFormat format = KeystrokeFormat::kUnknown;
  // Nanoseconds in the log's own clock, sorted. `epoch`: the clock reads like UTC wall-clock time
  // (every value after 2001-09-09); otherwise it is a clock of its own, such as a phone's uptime.
  std::vector<std::int64_t> times;
  bool epoch = false;
  KeystrokeCounts counts;
  std::vector<std::string> devices;  // getevent: the devices key-downs or touch-downs came from
};

// Reads a log line by line. `device` (getevent only; "" for all) is a device path
// (/dev/input/event2) or the name getevent printed for it. Lines that cannot be read are
// warnings naming their byte offset, and the rest is still read. Lines are read up to
// kMaxLine bytes; a longer one is a warning. Fails only when the file cannot be read, or holds
// getevent output without times (`getevent -l` without -t).
class KeystrokeParser {
 public:
  static constexpr std::size_t kMaxLine = 4096;

  KeystrokeParser(std::uint32_t input, core::Diagnostics& diag, std::string_view device = {});
  // One line without its '\n', at byte `offset` of the file.
  void line(std::string_view text, std::uint64_t offset);
  // The log, its times sorted; an error when nothing in it could be used as a timeline.
  absl::StatusOr<KeystrokeLog> finish();

 private:
  void getevent_line(std::string_view text, std::uint64_t offset);
  void timestamp_line(std::string_view text, std::uint64_t offset);
  void json_line(std::string_view text, std::uint64_t offset);
  void take(std::int64_t t);
  void flush_frame(std::size_t device);
  void bad(std::uint64_t offset, std::string_view why);

  std::uint32_t input_;
  core::Diagnostics& diag_;
  std::string device_;
  KeystrokeLog log_;
  bool untimed_getevent_ = false;
  // CSV: the column holding the time, once the header (or the first row) said which.
  int column_ = -1;
  char separator_ = ',';
  // getevent: events arrive in frames closed by SYN_REPORT; a touch-down is a new contact in a
  // frame (a new ABS_MT_TRACKING_ID, or BTN_TOUCH DOWN from a device without contact ids).
  struct Device {
    std::string path, name;
    bool selected = true;
    std::int64_t frame_time = 0;
    bool frame_open = false;
    int new_contacts = 0;
    bool touch_down = false;
    std::uint64_t taken = 0;
  };
  std::vector<Device> devices_;
  std::size_t device_of(std::string_view path);
};

absl::StatusOr<KeystrokeLog> read_keystrokes(const std::string& path, std::uint32_t input, core::Diagnostics& diag,
                                             std::string_view device = {});

// A Linux input key code (linux/input-event-codes.h) of a key one types with: not a button of a
// mouse, pad or touchscreen, and not power, volume, mute, sleep or wake-up.
bool typing_key_code(int code);

// "12345.678901" (seconds, at most 9 decimals) → nanoseconds; false for anything else.
bool parse_decimal_seconds(std::string_view text, std::int64_t& ns);

}  // namespace tattle::capture
