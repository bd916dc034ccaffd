// The keystroke detector on simulated flows: a phone's typing (its uptime clock) against a
// per-key sender, a debounced and a batched one, telemetry, browsing, and an address shared by a
// per-key flow and busy traffic; the offset found from the rhythm; a log of another session.
#include "detect/keystroke.hpp"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "support/typing.hpp"

namespace tattle::detect {
namespace {

using test::kMs;

constexpr std::int64_t kCaptureStart = std::int64_t{1'764'700'000} * 1'000 * kMs;  // epoch ns
constexpr std::int64_t kUptime = std::int64_t{50'000'000} * kMs;                   // the phone's clock at that time
constexpr std::int64_t kOffset = kCaptureStart - kUptime;               // capture = log + offset

flow::FlowRecord flow_to(int host, std::uint64_t id, std::int64_t start, std::int64_t end,
                         std::vector<std::int64_t> sends, std::string name) {
  flow::FlowRecord f;
  f.id = id;
  f.ip_proto = 6;
  f.client = {core::IpAddress::parse("192.168.1.20"), static_cast<std::uint16_t>(40000 + id % 20000)};
  f.server = {core::IpAddress::parse("203.0.113." + std::to_string(host)), 443};
  f.start.ns = start;
  f.end.ns = end;
  std::sort(sends.begin(), sends.end());
  f.sends.assign(sends.begin(), sends.end());
  f.name = std::move(name);
  return f;
}

struct Scenario {
  std::vector<std::int64_t> keys;  // capture clock
  std::vector<flow::FlowRecord> flows;
  std::vector<std::int64_t> per_key_sends;
  std::int64_t quickest_lag = 0;
};

Scenario simulate(std::uint64_t seed, std::size_t keys = 80) {
  std::mt19937_64 rng(seed);
  Scenario s;
  s.keys = test::typing(rng, keys, kCaptureStart + 10'000 * kMs);
  const std::int64_t end = s.keys.back() + 10'000 * kMs;
  std::uniform_int_distribution<std::int64_t> lag(5 * kMs, 40 * kMs);
  std::vector<std::int64_t> debounced, batched, shared_per_key;
  s.quickest_lag = 40 * kMs;
  for (std::size_t i = 0; i < s.keys.size(); ++i) {
    const std::int64_t k = s.keys[i], l = lag(rng);
    s.per_key_sends.push_back(k + l);
    s.quickest_lag = std::min(s.quickest_lag, l);
    if (i + 1 == s.keys.size() || s.keys[i + 1] - k > 350 * kMs) debounced.push_back(k + 360 * kMs);
    if (i % 5 == 4) batched.push_back(k + 15 * kMs);
    if (i < 40) shared_per_key.push_back(k + lag(rng));
  }
  s.flows.push_back(flow_to(1, 8, kCaptureStart, end, s.per_key_sends, "type.example"));
  s.flows.push_back(flow_to(2, 16, kCaptureStart, end, debounced, "suggest.example"));
  s.flows.push_back(flow_to(3, 24, kCaptureStart, end, batched, "batch.example"));
  s.flows.push_back(flow_to(4, 32, kCaptureStart, end, test::periodic(rng, kCaptureStart, end, 2000), "telemetry.example"));
  // Browsing: short flows at random times, a few sends each.
  std::exponential_distribution<double> next(1.0 / 3000);
  std::uniform_int_distribution<int> requests(1, 3);
  std::uint64_t id = 1000;
  for (double t = static_cast<double>(kCaptureStart); t < static_cast<double>(end); t += next(rng) * kMs) {
    const auto start = static_cast<std::int64_t>(t);
    std::vector<std::int64_t> sends;
    for (int r = requests(rng); r > 0; --r) sends.push_back(start + r * 300 * kMs);
    s.flows.push_back(flow_to(5, id += 8, start, start + 2000 * kMs, sends, "www.example"));
  }
  // One address, a per-key flow among ten busy ones.
  s.flows.push_back(flow_to(6, 40, s.keys.front() - 1000 * kMs, s.keys[39] + 2000 * kMs, shared_per_key, "api.example"));
  for (int j = 0; j < 10; ++j) {
    std::vector<std::int64_t> busy;
    for (double t = static_cast<double>(kCaptureStart); t < static_cast<double>(end); t += next(rng) / 15 * kMs)
      busy.push_back(static_cast<std::int64_t>(t));
    s.flows.push_back(flow_to(6, 48 + 8 * static_cast<std::uint64_t>(j), kCaptureStart, end, busy, "api.example"));
  }
  return s;
}

std::vector<std::int64_t> in_log_clock(std::vector<std::int64_t> keys, std::int64_t offset) {
  for (auto& k : keys) k -= offset;
  return keys;
}

const KeystrokeFinding* find(const KeystrokeDetector& d, std::string_view name) {
  for (const auto& f : d.findings())
    if (f.name == name) return &f;
  return nullptr;
}

TEST(Keystroke, FindsTheOffsetAndTheCoupledSenders) {
  const Scenario s = simulate(7);
  KeystrokeDetector d(in_log_clock(s.keys, kOffset), false, std::nullopt);
  for (const auto& f : s.flows) d.add_flow(f);
  for (std::size_t i = 0; i < s.per_key_sends.size(); ++i) d.add_message(8, i, s.per_key_sends[i] + 2 * kMs);
  d.add_message(32, 0, s.flows[3].sends[0]);
  d.analyse();

  const KeystrokeOffset& o = d.offset();
  EXPECT_EQ(o.source, OffsetSource::kEstimated);
  EXPECT_LT(o.p_value, 1e-6);
  // The offset takes in the quickest lags of the sender it was found from.
  EXPECT_GE(o.ns, kOffset + s.quickest_lag);
  EXPECT_LE(o.ns, kOffset + 15 * kMs);

  const KeystrokeFinding* per_key = find(d, "type.example");
  ASSERT_NE(per_key, nullptr);
  EXPECT_EQ(per_key->pattern, KeystrokePattern::kPerKey);
  EXPECT_EQ(per_key->keystrokes, 80u);
  EXPECT_GE(per_key->coupled, 76u);
  EXPECT_FALSE(per_key->by_flow);
  EXPECT_EQ(per_key->flow_ids, std::vector<std::uint64_t>{8});
  EXPECT_GE(per_key->messages_total, 76u);
  EXPECT_NE(per_key->raster.find('|'), std::string::npos);

  const KeystrokeFinding* debounced = find(d, "suggest.example");
  ASSERT_NE(debounced, nullptr);
  EXPECT_EQ(debounced->pattern, KeystrokePattern::kDebounced);
  const KeystrokeFinding* batched = find(d, "batch.example");
  ASSERT_NE(batched, nullptr);
  EXPECT_EQ(batched->pattern, KeystrokePattern::kBatched);
  const KeystrokeFinding* shared = find(d, "api.example");
  ASSERT_NE(shared, nullptr);
  EXPECT_NE(std::find(shared->flow_ids.begin(), shared->flow_ids.end(), 40u), shared->flow_ids.end());

  EXPECT_EQ(find(d, "telemetry.example"), nullptr);
  EXPECT_EQ(find(d, "www.example"), nullptr);
  EXPECT_EQ(d.findings().size(), 4u);
}

// A long log: the offset is searched from 256 of its keys (every fourth), and still found.
TEST(Keystroke, FindsTheOffsetFromALongLog) {
  const Scenario s = simulate(9, 1000);
  KeystrokeDetector d(in_log_clock(s.keys, kOffset), false, std::nullopt);
  for (const auto& f : s.flows) d.add_flow(f);
  d.analyse();
  const KeystrokeOffset& o = d.offset();
  EXPECT_EQ(o.source, OffsetSource::kEstimated);
  EXPECT_EQ(o.name, "type.example");
  EXPECT_GE(o.matched, 250u);
  EXPECT_LE(o.matched, 256u);
  EXPECT_GE(o.ns, kOffset + s.quickest_lag);
  EXPECT_LE(o.ns, kOffset + 15 * kMs);
  const KeystrokeFinding* per_key = find(d, "type.example");
  ASSERT_NE(per_key, nullptr);
  EXPECT_EQ(per_key->keystrokes, 1000u);
  EXPECT_GE(per_key->coupled, 950u);
}

TEST(Keystroke, GivenOffsetMeasuresTrueLags) {
  const Scenario s = simulate(8);
  KeystrokeDetector d(in_log_clock(s.keys, kOffset), false, kOffset);
  for (const auto& f : s.flows) d.add_flow(f);
  d.analyse();
  EXPECT_EQ(d.offset().source, OffsetSource::kGiven);
  const KeystrokeFinding* per_key = find(d, "type.example");
  ASSERT_NE(per_key, nullptr);
  EXPECT_GT(per_key->median_lag_ms, 15);
  EXPECT_LT(per_key->median_lag_ms, 30);
  const KeystrokeFinding* debounced = find(d, "suggest.example");
  ASSERT_NE(debounced, nullptr);
  EXPECT_NEAR(debounced->median_lag_ms, 360, 1);
}

// A log of another session: with its own clock nothing lines up, so nothing is tested; on the
// wall clock (taken as the capture's) the tests are made and find nothing.
TEST(Keystroke, AnotherSessionFlagsNothing) {
  for (std::uint64_t seed = 20; seed < 25; ++seed) {
    const Scenario s = simulate(seed);
    std::mt19937_64 rng(seed + 1000);
    const std::vector<std::int64_t> other = test::typing(rng, 80, kCaptureStart + 12'000 * kMs);
    KeystrokeDetector uptime(in_log_clock(other, kOffset), false, std::nullopt);
    KeystrokeDetector wall(other, true, std::nullopt);
    for (const auto& f : s.flows) {
      uptime.add_flow(f);
      wall.add_flow(f);
    }
    uptime.analyse();
    wall.analyse();
    EXPECT_EQ(uptime.offset().source, OffsetSource::kNone) << seed;
    EXPECT_TRUE(uptime.findings().empty()) << seed;
    EXPECT_EQ(wall.offset().source, OffsetSource::kClock) << seed;
    EXPECT_GT(wall.destinations_tested(), 4u);
    EXPECT_TRUE(wall.findings().empty()) << seed << ": " << wall.findings()[0].name;
  }
}

}  // namespace
}  // namespace tattle::detect
