// Simulated event trains for the keystroke tests: typing with a human rhythm, and periodic
// senders with jitter. Seeded, so each test sees the same trains every run.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace tattle::test {

inline constexpr std::int64_t kMs = 1'000'000;

// Key-down times (ns) from `start`: words of 2 to 9 keys, log-normal intervals (median 180 ms),
// longer gaps between words and now and then a pause to think.
inline std::vector<std::int64_t> typing(std::mt19937_64& rng, std::size_t n, std::int64_t start) {
  std::lognormal_distribution<double> key(std::log(180.0), 0.35);
  std::uniform_int_distribution<int> word(2, 9);
  std::uniform_real_distribution<double> gap(150, 450), pause(1000, 4000);
  std::bernoulli_distribution think(0.15);
  std::vector<std::int64_t> keys;
  std::int64_t t = start;
  while (keys.size() < n) {
    for (int i = word(rng); i > 0 && keys.size() < n; --i) {
      keys.push_back(t);
      t += static_cast<std::int64_t>(key(rng) * kMs);
    }
    t += static_cast<std::int64_t>((think(rng) ? pause(rng) : gap(rng)) * kMs);
  }
  return keys;
}

// Every `period_ms` ± 30 % from `from` until `to`.
inline std::vector<std::int64_t> periodic(std::mt19937_64& rng, std::int64_t from, std::int64_t to, double period_ms) {
  std::uniform_real_distribution<double> jitter(0.7, 1.3);
  std::vector<std::int64_t> out;
  for (std::int64_t t = from + static_cast<std::int64_t>(period_ms * jitter(rng) * kMs); t < to;
       t += static_cast<std::int64_t>(period_ms * jitter(rng) * kMs))
    out.push_back(t);
  return out;
}

}  // namespace tattle::test
