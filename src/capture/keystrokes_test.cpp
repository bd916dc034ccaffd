// Keystroke timelines: getevent (labelled and numeric), CSV, JSON Lines and tattle's own
// recordings; touch-downs counted once per new contact; damage reported with its offset.
#include "capture/keystrokes.hpp"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace tattle::capture {
namespace {

constexpr std::int64_t kMs = 1'000'000;

struct Parsed {
  absl::StatusOr<KeystrokeLog> log;
  std::vector<core::Warning> warnings;
};

Parsed parse(std::string_view text, std::string_view device = {}) {
  core::Diagnostics diag;
  const auto input = diag.add_input("keys.txt");
  KeystrokeParser parser(input, diag, device);
  std::uint64_t offset = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    parser.line(line, offset);
    if (nl == std::string_view::npos) break;
    offset += nl + 1;
    text.remove_prefix(nl + 1);
  }
  return {parser.finish(), diag.inputs()[input].kept};
}

// A phone's touchscreen (type B multi-touch) and its buttons, as `getevent -lt` prints them: two
// taps, the second with a second finger landing before the first lifts, a volume key (not typing).
constexpr std::string_view kGeteventLabels = R"(add device 1: /dev/input/event3
  name:     "gpio_keys"
add device 2: /dev/input/event2
  name:     "sec_touchscreen"
[   51234.500000] /dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   0000002a
[   51234.500000] /dev/input/event2: EV_KEY       BTN_TOUCH            DOWN
[   51234.500000] /dev/input/event2: EV_ABS       ABS_MT_POSITION_X    000001c2
[   51234.500000] /dev/input/event2: EV_SYN       SYN_REPORT           00000000
[   51234.580000] /dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   ffffffff
[   51234.580000] /dev/input/event2: EV_KEY       BTN_TOUCH            UP
[   51234.580000] /dev/input/event2: EV_SYN       SYN_REPORT           00000000
[   51234.750000] /dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   0000002b
[   51234.750000] /dev/input/event2: EV_KEY       BTN_TOUCH            DOWN
[   51234.750000] /dev/input/event2: EV_SYN       SYN_REPORT           00000000
[   51234.790000] /dev/input/event2: EV_ABS       ABS_MT_SLOT          00000001
[   51234.790000] /dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   0000002c
[   51234.790000] /dev/input/event2: EV_SYN       SYN_REPORT           00000000
[   51235.000000] /dev/input/event3: EV_KEY       KEY_VOLUMEDOWN       DOWN
[   51235.000000] /dev/input/event3: EV_SYN       SYN_REPORT           00000000
)";

// The same events as `getevent -t` prints them.
constexpr std::string_view kGeteventNumbers = R"(add device 1: /dev/input/event3
  name:     "gpio_keys"
add device 2: /dev/input/event2
  name:     "sec_touchscreen"
[   51234.500000] /dev/input/event2: 0003 0039 0000002a
[   51234.500000] /dev/input/event2: 0001 014a 00000001
[   51234.500000] /dev/input/event2: 0003 0035 000001c2
[   51234.500000] /dev/input/event2: 0000 0000 00000000
[   51234.580000] /dev/input/event2: 0003 0039 ffffffff
[   51234.580000] /dev/input/event2: 0001 014a 00000000
[   51234.580000] /dev/input/event2: 0000 0000 00000000
[   51234.750000] /dev/input/event2: 0003 0039 0000002b
[   51234.750000] /dev/input/event2: 0001 014a 00000001
[   51234.750000] /dev/input/event2: 0000 0000 00000000
[   51234.790000] /dev/input/event2: 0003 002f 00000001
[   51234.790000] /dev/input/event2: 0003 0039 0000002c
[   51234.790000] /dev/input/event2: 0000 0000 00000000
[   51235.000000] /dev/input/event3: 0001 0072 00000001
[   51235.000000] /dev/input/event3: 0000 0000 00000000
)";

const std::vector<std::int64_t> kTaps = {51'234'500 * kMs, 51'234'750 * kMs, 51'234'790 * kMs};

TEST(Keystrokes, GeteventTouchDownsOncePerContact) {
  for (const auto text : {kGeteventLabels, kGeteventNumbers}) {
    const Parsed p = parse(text);
    ASSERT_TRUE(p.log.ok()) << p.log.status();
    EXPECT_EQ(p.log->format, KeystrokeFormat::kGetevent);
    EXPECT_EQ(p.log->times, kTaps);
    EXPECT_FALSE(p.log->epoch);  // the phone's uptime clock
    EXPECT_EQ(p.log->counts.events, 3u);
    EXPECT_TRUE(p.warnings.empty());
  }
}

TEST(Keystrokes, GeteventDeviceByPathOrName) {
  for (const std::string_view device : {"/dev/input/event2", "sec_touchscreen"}) {
    const Parsed p = parse(kGeteventLabels, device);
    ASSERT_TRUE(p.log.ok()) << p.log.status();
    EXPECT_EQ(p.log->times, kTaps);
    EXPECT_EQ(p.log->counts.other_devices, 2u);  // the volume key and its SYN_REPORT
    ASSERT_EQ(p.log->devices.size(), 1u);
    EXPECT_EQ(p.log->devices[0], "/dev/input/event2 (sec_touchscreen)");
  }
  const Parsed none = parse(kGeteventLabels, "gpio_keys");  // only a volume key: no typing
  EXPECT_FALSE(none.log.ok());
}

TEST(Keystrokes, GeteventKeyboardKeysWithoutDevicePrefix) {
  // One device named on getevent's command line: no path on the lines. Key-ups and repeats are
  // not key-downs; an unknown code counts when it is a keyboard key.
  const Parsed p = parse(
      "[    1000.100000] EV_KEY       KEY_H                DOWN\n"
      "[    1000.100000] EV_SYN       SYN_REPORT           00000000\n"
      "[    1000.180000] EV_KEY       KEY_H                UP\n"
      "[    1000.300000] EV_KEY       KEY_I                DOWN\n"
      "[    1000.800000] EV_KEY       KEY_I                REPEAT\n"
      "[    1001.000000] EV_KEY       01d0                 DOWN\n"
      "[    1001.100000] EV_KEY       BTN_LEFT             DOWN\n");
  ASSERT_TRUE(p.log.ok()) << p.log.status();
  EXPECT_EQ(p.log->times, (std::vector<std::int64_t>{1'000'100 * kMs, 1'000'300 * kMs, 1'001'000 * kMs}));
}

TEST(Keystrokes, GeteventWithoutTimesIsRefused) {
  const Parsed p = parse("/dev/input/event2: EV_KEY       BTN_TOUCH            DOWN\n");
  ASSERT_FALSE(p.log.ok());
  EXPECT_NE(p.log.status().message().find("getevent -lt"), std::string_view::npos);
}

TEST(Keystrokes, GeteventDamageIsWarnedAtItsOffset) {
  const std::string text = std::string("[   51234.500000] /dev/input/event2: EV_KEY KEY_A DOWN\n") +
                           "[   51234.6x] /dev/input/event2: EV_KEY KEY_B DOWN\n" +  // at byte 55
                           "garbage\n" + "[   51234.700000] /dev/input/event2: EV_KEY KEY_C\n" +
                           "[   51234.800000] /dev/input/event2: EV_KEY KEY_D DOWN\n";
  const Parsed p = parse(text);
  ASSERT_TRUE(p.log.ok());
  EXPECT_EQ(p.log->times.size(), 2u);
  EXPECT_EQ(p.log->counts.bad_lines, 3u);
  ASSERT_EQ(p.warnings.size(), 3u);
  EXPECT_EQ(p.warnings[0].offset, 55u);
  EXPECT_EQ(p.warnings[1].offset, 55u + 51u);
}

TEST(Keystrokes, CsvEpochSecondsAndIso8601) {
  const Parsed p = parse("key,when\n"  // a header without a known name: its first column
                         "1764706529.5,x\n"
                         "2025-12-02T20:15:30.250Z,y\n"
                         "\"1764706531\",z\n"
                         "soon,w\n");
  ASSERT_TRUE(p.log.ok()) << p.log.status();
  EXPECT_EQ(p.log->format, KeystrokeFormat::kCsv);
  EXPECT_TRUE(p.log->epoch);
  EXPECT_EQ(p.log->times, (std::vector<std::int64_t>{1'764'706'529'500 * kMs, 1'764'706'530'250 * kMs,
                                                      1'764'706'531'000 * kMs}));
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].offset, 66u);
}

TEST(Keystrokes, CsvNamedColumnAndSemicolons) {
  const Parsed p = parse("device;Timestamp\nkbd;12.000001\nkbd;11.5\n");
  ASSERT_TRUE(p.log.ok()) << p.log.status();
  EXPECT_EQ(p.log->times, (std::vector<std::int64_t>{11'500 * kMs, 12'000'001'000}));  // sorted
  EXPECT_FALSE(p.log->epoch);
}

TEST(Keystrokes, TattleRecording) {
  const Parsed p = parse(
      "# tattle keys record: key-down times only, no key codes\n# clock: realtime\ntime\n1764706529.123456\n");
  ASSERT_TRUE(p.log.ok()) << p.log.status();
  EXPECT_EQ(p.log->format, KeystrokeFormat::kTattle);
  EXPECT_EQ(p.log->times, std::vector<std::int64_t>{1'764'706'529'123'456'000});
}

TEST(Keystrokes, JsonLines) {
  const Parsed p = parse(
      "{\"time\": 1764706529.25, \"event\": \"key\"}\n"
      "{\"timestamp\": \"2025-12-02T20:15:30Z\"}\n"
      "{\"ts\": 1764706531}\n"
      "{\"t\": \"1764706532.5\"}\n"
      "[1, 2]\n"
      "{\"time\": -3}\n"
      "{\"when\": 1}\n");
  ASSERT_TRUE(p.log.ok()) << p.log.status();
  EXPECT_EQ(p.log->format, KeystrokeFormat::kJsonLines);
  ASSERT_EQ(p.log->times.size(), 4u);
  EXPECT_NEAR(static_cast<double>(p.log->times[0]), 1.76470652925e18, 1e3);  // a double: within a µs
  EXPECT_EQ(p.log->times[1], 1'764'706'530'000 * kMs);
  EXPECT_EQ(p.log->times[3], 1'764'706'532'500 * kMs);
  EXPECT_EQ(p.log->counts.bad_lines, 3u);
}

TEST(Keystrokes, DecimalSeconds) {
  std::int64_t ns = 0;
  ASSERT_TRUE(parse_decimal_seconds("0.000000001", ns));
  EXPECT_EQ(ns, 1);
  ASSERT_TRUE(parse_decimal_seconds("12.3456789999", ns));  // past nanoseconds: cut
  EXPECT_EQ(ns, 12'345'678'999);
  EXPECT_FALSE(parse_decimal_seconds("-1.5", ns));
  EXPECT_FALSE(parse_decimal_seconds("1.", ns));
  EXPECT_FALSE(parse_decimal_seconds(".5", ns));
  EXPECT_FALSE(parse_decimal_seconds("1e9", ns));
  EXPECT_FALSE(parse_decimal_seconds("99999999999", ns));  // beyond 64-bit nanoseconds
}

TEST(Keystrokes, FileWithAnOverlongLine) {
  const std::string path = ::testing::TempDir() + "keys_overlong.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "time\n1.5\n" << std::string(10000, '9') << "\n2.5";  // last line without '\n'
  }
  core::Diagnostics diag;
  const auto input = diag.add_input(path);
  const auto log = read_keystrokes(path, input, diag);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->times, (std::vector<std::int64_t>{1'500 * kMs, 2'500 * kMs}));
  ASSERT_EQ(diag.inputs()[input].kept.size(), 1u);
  EXPECT_EQ(diag.inputs()[input].kept[0].offset, 9u);
  std::remove(path.c_str());
  EXPECT_FALSE(read_keystrokes(path, input, diag).ok());
}

}  // namespace
}  // namespace tattle::capture
