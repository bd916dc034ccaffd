#include "detect/coupling.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tattle::detect {

namespace {

constexpr std::size_t kMinKeys = 5;
constexpr std::size_t kMinSends = 3;
constexpr std::size_t kMinShifts = 20;             // per lag window, else that window is not tried
constexpr std::int64_t kShiftGuard = 250'000'000;  // beyond the lag window, around no shift

double log_choose(std::size_t n, std::size_t k) {
  return std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(k) + 1) -
         std::lgamma(static_cast<double>(n - k) + 1);
}

double log_beta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// Sums exp(log_term(k)) for k = t … n. The terms rise to one mode and fall: once falling and
// negligible against the sum, the rest is too.
template <class LogTerm>
double upper_sum(std::size_t n, std::size_t t, LogTerm log_term) {
  double sum = 0, previous = 0;
  for (std::size_t k = t; k <= n; ++k) {
    const double term = std::exp(log_term(k));
    sum += term;
    if (term < previous && term < sum * 1e-17) break;
    previous = term;
  }
  return std::min(1.0, sum);
}

}  // namespace

double count_tail(std::size_t n, double mean, double variance, std::size_t t) {
  if (t == 0) return 1;
  if (t > n) return 0;
  const double nn = static_cast<double>(n);
  const double q = std::clamp(mean / nn, 1e-12, 1 - 1e-12);
  const double binomial_variance = nn * q * (1 - q);
  if (n < 2 || variance <= binomial_variance) {
    const double lq = std::log(q), l1q = std::log1p(-q);
    return upper_sum(n, t, [&](std::size_t k) {
      return log_choose(n, k) + static_cast<double>(k) * lq + static_cast<double>(n - k) * l1q;
    });
  }
  // Variance n·q·(1−q)·(1 + (n−1)·ρ) for trials correlated by ρ; a + b = (1 − ρ) / ρ.
  const double rho = std::clamp((variance / binomial_variance - 1) / (nn - 1), 1e-9, 0.999);
  const double s = (1 - rho) / rho;
  const double a = q * s, b = (1 - q) * s;
  const double base = log_beta(a, b);
  return upper_sum(n, t, [&](std::size_t k) {
    return log_choose(n, k) + log_beta(static_cast<double>(k) + a, static_cast<double>(n - k) + b) - base;
  });
}

std::vector<double> benjamini_hochberg(std::span<const double> p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> q(m);
  double running = 1;
  for (std::size_t r = m; r-- > 0;) {
    running = std::min(running, p[order[r]] * static_cast<double>(m) / static_cast<double>(r + 1));
    q[order[r]] = std::min(1.0, running);
  }
  return q;
}

std::int64_t answered_key(std::span<const std::int64_t> keys, std::int64_t t, LagWindow w) {
  const auto it = std::upper_bound(keys.begin(), keys.end(), t);
  if (it == keys.begin()) return -1;
  const std::int64_t lag = t - *(it - 1);
  return lag >= w.lo && lag <= w.hi ? it - 1 - keys.begin() : -1;
}

std::vector<std::size_t> answered_keys(std::span<const std::int64_t> keys, std::span<const std::int64_t> sends,
                                       LagWindow w) {
  std::vector<std::size_t> out;
  for (const std::int64_t s : sends) {
    const std::int64_t i = answered_key(keys, s, w);
    if (i >= 0 && (out.empty() || out.back() != static_cast<std::size_t>(i))) out.push_back(static_cast<std::size_t>(i));
  }
  return out;
}

CouplingResult test_coupling(std::span<const std::int64_t> keys, std::span<const std::int64_t> sends,
                             std::int64_t begin, std::int64_t end, int shifts) {
  CouplingResult r;
  const auto within = [&](std::span<const std::int64_t> v) {
    std::vector<std::int64_t> out(std::lower_bound(v.begin(), v.end(), begin), std::lower_bound(v.begin(), v.end(), end));
    for (auto& x : out) x -= begin;
    return out;
  };
  const std::vector<std::int64_t> k = within(keys), s = within(sends);
  r.keystrokes = k.size();
  r.sends = s.size();
  const std::int64_t length = end - begin;
  if (k.size() < kMinKeys || s.size() < kMinSends || length <= 0 || shifts <= 0) return r;

  constexpr std::size_t kWindows = kLagWindows.size();
  using Counts = std::array<std::size_t, kWindows>;
  // Keys moved on by `delta` around the circle of the window; a send is explained, for each lag
  // window, when the last key before it (around the circle too) precedes it by a lag within the
  // window. The keys once around the circle back and once as they are, in order, so that every
  // send has a last key before it.
  std::vector<std::int64_t> ring(2 * k.size());
  const auto count = [&](std::int64_t delta) {
    const std::size_t n = k.size();
    const auto wrap = static_cast<std::size_t>(std::lower_bound(k.begin(), k.end(), length - delta) - k.begin());
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t x = i < n - wrap ? k[wrap + i] + delta - length : k[i - (n - wrap)] + delta;
      ring[i] = x - length;
      ring[n + i] = x;
    }
    Counts c{};
    for (const std::int64_t send : s) {
      const std::int64_t lag = send - *(std::upper_bound(ring.begin(), ring.end(), send) - 1);
      for (std::size_t w = 0; w < kWindows; ++w) c[w] += lag >= kLagWindows[w].lo && lag <= kLagWindows[w].hi ? 1 : 0;
    }
    return c;
  };
  const Counts observed = count(0);
  std::array<double, kWindows> sum{}, sum_sq{};
  Counts used{}, exceeded{};
  for (int j = 0; j < shifts; ++j) {
    const auto delta = static_cast<std::int64_t>((j + 0.5) * static_cast<double>(length) / shifts);
    const std::int64_t distance = std::min(delta, length - delta);
    const Counts c = count(delta);
    for (std::size_t w = 0; w < kWindows; ++w) {
      if (distance < kLagWindows[w].hi + kShiftGuard) continue;
      ++used[w];
      sum[w] += static_cast<double>(c[w]);
      sum_sq[w] += static_cast<double>(c[w]) * static_cast<double>(c[w]);
      exceeded[w] += c[w] >= observed[w] ? 1 : 0;
    }
  }
  double best = 2;
  std::size_t tried = 0;
  for (std::size_t w = 0; w < kWindows; ++w) {
    if (used[w] < kMinShifts) continue;
    ++tried;
    const double m = static_cast<double>(used[w]);
    // Half a coupled key more than seen, so that a window no shift ever coupled a key in does
    // not make any coupling look impossible.
    const double mean = (sum[w] + 0.5) / m;
    const double variance = std::max(0.0, (sum_sq[w] - sum[w] * sum[w] / m) / (m - 1));
    // The fitted tail, unless the shifts themselves reached the observed count more often.
    const double p = std::max(count_tail(s.size(), mean, variance, observed[w]), static_cast<double>(exceeded[w]) / m);
    if (p < best) {
      best = p;
      r.window = w;
      r.explained = observed[w];
      r.null_mean = mean;
    }
  }
  if (tried == 0) return r;
  r.tested = true;
  r.coupled = answered_keys(k, s, kLagWindows[r.window]).size();
  r.p_value = std::min(1.0, best * static_cast<double>(tried));
  return r;
}

}  // namespace tattle::detect
