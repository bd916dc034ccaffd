// The coupling test on synthetic trains: typing with human rhythm against senders that follow
// each key, debounce, batch, or ignore the keys; the tails and the BH adjustment on known values.
#include "detect/coupling.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "support/typing.hpp"

namespace tattle::detect {
namespace {

using test::kMs;
using test::periodic;
using test::typing;

struct Span {
  std::int64_t begin, end;
};
Span around(const std::vector<std::int64_t>& keys) { return {keys.front() - 1000 * kMs, keys.back() + 3000 * kMs}; }

TEST(Coupling, PerKeySenderWithThirtyKeys) {
  std::mt19937_64 rng(1);
  const auto keys = typing(rng, 30, 1000 * kMs * 1000);
  std::uniform_int_distribution<std::int64_t> lag(5 * kMs, 60 * kMs);
  std::vector<std::int64_t> sends;
  for (const auto k : keys) sends.push_back(k + lag(rng));
  const Span w = around(keys);
  const CouplingResult r = test_coupling(keys, sends, w.begin, w.end);
  ASSERT_TRUE(r.tested);
  EXPECT_EQ(r.keystrokes, 30u);
  EXPECT_EQ(r.coupled, 30u);
  EXPECT_EQ(r.explained, 30u);
  EXPECT_EQ(r.window, 0u);  // 100 ms
  EXPECT_LT(r.p_value, 1e-6);
}

TEST(Coupling, DebouncedAndBatchedSenders) {
  std::mt19937_64 rng(2);
  const auto keys = typing(rng, 80, 0);
  std::vector<std::int64_t> debounced, batched;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i + 1 == keys.size() || keys[i + 1] - keys[i] > 350 * kMs) debounced.push_back(keys[i] + 360 * kMs);
    if (i % 5 == 4) batched.push_back(keys[i] + 15 * kMs);
  }
  const Span w = around(keys);
  const CouplingResult d = test_coupling(keys, debounced, w.begin, w.end);
  const CouplingResult b = test_coupling(keys, batched, w.begin, w.end);
  EXPECT_LT(d.p_value, 1e-3);
  EXPECT_LT(b.p_value, 1e-4);
  EXPECT_EQ(b.explained, 16u);
  EXPECT_EQ(d.explained, debounced.size());
}

// Under independence the p-values must not be too small: over many typing sessions against
// jittered telemetry, a Poisson sender and the per-key sends of another typing session, the
// share at or below 0.01 stays near 1 %, and at or below 0.1 near 10 %. (Over 3,000 sessions
// each: 0.03 %, 0.07 % and 0.04 % at 0.01; none at 0.001.)
TEST(Coupling, CalibratedWhenIndependent) {
  std::mt19937_64 rng(3);
  int at_01 = 0, at_10 = 0, tests = 0;
  for (int session = 0; session < 200; ++session) {
    const auto keys = typing(rng, 60, 0);
    const Span w = around(keys);
    const std::vector<std::int64_t> telemetry = periodic(rng, w.begin - 5000 * kMs, w.end, 2000);
    std::exponential_distribution<double> next(1.0 / 700);
    std::vector<std::int64_t> poisson;
    for (double t = static_cast<double>(w.begin); t < static_cast<double>(w.end); t += next(rng) * kMs)
      poisson.push_back(static_cast<std::int64_t>(t));
    // Another session's keys, sent at once, begun at another time.
    std::uniform_int_distribution<std::int64_t> start(w.begin - 20'000 * kMs, w.end);
    std::vector<std::int64_t> other = typing(rng, 60, start(rng));
    for (auto& k : other) k += 20 * kMs;
    for (const std::vector<std::int64_t>* sends : std::array<const std::vector<std::int64_t>*, 3>{&telemetry, &poisson, &other}) {
      const CouplingResult r = test_coupling(keys, *sends, w.begin, w.end);
      if (!r.tested) continue;
      ++tests;
      at_01 += r.p_value <= 0.01 ? 1 : 0;
      at_10 += r.p_value <= 0.1 ? 1 : 0;
    }
  }
  ASSERT_GT(tests, 550);
  EXPECT_LE(at_01, tests * 2 / 100) << at_01 << " of " << tests;
  EXPECT_LE(at_10, tests * 14 / 100) << at_10 << " of " << tests;
}

// Both walks agree with a count done the slow way, at shifts that wrap keys around, for sends
// fewer than the keys, sends many times the keys, and sends that come in streams.
TEST(Coupling, CoupledCountsBothWays) {
  std::mt19937_64 rng(4);
  const std::int64_t length = 40'000 * kMs;
  const std::vector<std::int64_t> keys = typing(rng, 60, 2'000 * kMs);
  std::vector<std::vector<std::int64_t>> trains;
  trains.push_back({});
  for (std::size_t i = 0; i < keys.size(); i += 5) trains.back().push_back(keys[i] + 350 * kMs);
  trains.push_back(periodic(rng, 0, length, 300));
  for (std::size_t i = 0; i < keys.size(); i += 3) trains.back().push_back(keys[i] + 7 * kMs);
  trains.push_back(periodic(rng, 0, length, 7));
  for (auto& sends : trains) {
    std::sort(sends.begin(), sends.end());
    sends.erase(std::remove_if(sends.begin(), sends.end(), [&](std::int64_t t) { return t >= length; }), sends.end());
  }
  for (const auto& sends : trains)
    for (const std::int64_t delta : {std::int64_t{0}, 1'500 * kMs, 20'000 * kMs, length - 1'000 * kMs}) {
      std::vector<std::int64_t> moved;
      for (const auto k : keys) moved.push_back(k + delta >= length ? k + delta - length : k + delta);
      std::sort(moved.begin(), moved.end());
      WindowCounts slow{};
      for (std::size_t w = 0; w < kLagWindows.size(); ++w) {
        std::vector<std::int64_t> answered;
        for (const auto s : sends) {
          const auto it = std::upper_bound(moved.begin(), moved.end(), s);
          if (it != moved.begin() && kLagWindows[w].holds(s - *(it - 1))) answered.push_back(*(it - 1));
        }
        slow[w] = static_cast<std::size_t>(std::unique(answered.begin(), answered.end()) - answered.begin());
      }
      if (delta == 0) ASSERT_GT(*std::max_element(slow.begin(), slow.end()), 0u) << sends.size() << " sends";
      EXPECT_EQ(coupled_counts(keys, sends, length, delta, CountWalk::kSends), slow) << sends.size() << ", " << delta;
      EXPECT_EQ(coupled_counts(keys, sends, length, delta, CountWalk::kKeys), slow) << sends.size() << ", " << delta;
    }
}

TEST(Coupling, TooFewKeysOrSendsIsNotTested) {
  const std::vector<std::int64_t> keys = {0, 200 * kMs, 400 * kMs, 600 * kMs};
  const std::vector<std::int64_t> sends = {10 * kMs, 210 * kMs, 410 * kMs, 610 * kMs};
  EXPECT_FALSE(test_coupling(keys, sends, 0, 10'000 * kMs).tested);
}

TEST(Coupling, TailsOnKnownValues) {
  // Binomial(10, 1/2): P(X >= 8) = (45 + 10 + 1) / 1024.
  EXPECT_NEAR(count_tail(10, 5, 2.5, 8), 56.0 / 1024, 1e-12);
  // Beta-binomial with a = b = 1 is uniform on 0 … n: P(X >= 8) = 3 / 11; its variance is 10.
  EXPECT_NEAR(count_tail(10, 5, 10, 8), 3.0 / 11, 1e-9);
  EXPECT_EQ(count_tail(10, 5, 2.5, 0), 1.0);
  EXPECT_EQ(count_tail(10, 5, 2.5, 11), 0.0);
  EXPECT_LT(count_tail(1000, 10, 9.9, 1000), 1e-300 * 1e10);
}

TEST(Coupling, BenjaminiHochberg) {
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const auto q = benjamini_hochberg(p);
  ASSERT_EQ(q.size(), 4u);
  EXPECT_DOUBLE_EQ(q[0], 0.02);
  EXPECT_DOUBLE_EQ(q[1], 0.04);
  EXPECT_DOUBLE_EQ(q[2], 0.04);
  EXPECT_DOUBLE_EQ(q[3], 0.02);
}

TEST(Coupling, AnsweredKeys) {
  // The send at 50 answers key 0 (lag 50); at 260, key 2 (lag 60), not key 1, which another key
  // follows before it; at 400, nothing within 70.
  const std::vector<std::int64_t> keys = {0, 100, 200}, sends = {50, 260, 400};
  const LagWindow w{0, 71};
  EXPECT_EQ(answered_key(keys, 260, w), 2);
  EXPECT_EQ(answered_key(keys, -5, w), -1);
  EXPECT_EQ(answered_keys(keys, sends, w), (std::vector<std::size_t>{0, 2}));
}

}  // namespace
}  // namespace tattle::detect
