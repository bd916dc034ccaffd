#include "detect/coupling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tattle::detect {

namespace {

constexpr std::size_t kMinKeys = 5;
constexpr std::size_t kMinSends = 3;
constexpr std::size_t kMinCoupled = 3;
// A test whose first eighth of shifts gives a p-value above this makes no more shifts.
constexpr double kHopeless = 0.05;
constexpr std::size_t kMinShifts = 20;             // per lag window, else that window is not tried
constexpr std::size_t kMinFirstShifts = 12;        // the same for the first pass's judgement
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
  return w.holds(lag) ? it - 1 - keys.begin() : -1;
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

WindowCounts coupled_counts(std::span<const std::int64_t> k, std::span<const std::int64_t> s, std::int64_t length,
                            std::int64_t delta, bool look_up, std::vector<std::int64_t>& scratch) {
  // Sends come in order, so the keys they answer do too: for the key at hand, the tenths of a
  // second its sends came in (a bit each); when the next key comes, each window it had a send in
  // counts it once.
  constexpr auto kSteps = static_cast<std::size_t>(kLongestLag / kLagStep);
  static_assert(kSteps <= 32);
  constexpr auto masks = [] {
    std::array<std::uint32_t, kLagWindows.size()> m{};
    for (std::size_t w = 0; w < kLagWindows.size(); ++w)
      for (auto i = kLagWindows[w].lo / kLagStep; i < kLagWindows[w].hi / kLagStep; ++i) m[w] |= 1u << i;
    return m;
  }();
  WindowCounts c{};
  constexpr auto kNone = ~std::size_t{0};
  std::size_t key = kNone;
  std::uint32_t steps = 0;
  const auto flush = [&] {
    for (std::size_t w = 0; w < kLagWindows.size(); ++w) c[w] += (steps & masks[w]) != 0 ? 1 : 0;
  };
  const auto add = [&](std::size_t answered, std::int64_t lag) {
    if (answered != key) {
      flush();
      key = answered;
      steps = 0;
    }
    if (const auto step = static_cast<std::size_t>(lag / kLagStep); step < kSteps) steps |= 1u << step;
  };
  if (k.empty()) return c;
  const std::size_t n = k.size();
  if (look_up) {
    // A key k lands at k + delta, or at k + delta − length when that is past the end (those
    // come first). For a send at s, x = s − delta: the last key at or before x, unwrapped; else
    // the last wrapped one, if it lands before s.
    for (const std::int64_t send : s) {
      const std::int64_t x = send - delta;
      if (x >= 0) {
        const auto it = std::upper_bound(k.begin(), k.end(), x);
        if (it != k.begin()) add(static_cast<std::size_t>(it - 1 - k.begin()), x - *(it - 1));
        else if (k.back() >= length - delta) add(n - 1, x + length - k.back());
        continue;
      }
      const auto it = std::upper_bound(k.begin(), k.end(), x + length);
      if (it != k.begin() && *(it - 1) >= length - delta)
        add(static_cast<std::size_t>(it - 1 - k.begin()), x + length - *(it - 1));
    }
    flush();
    return c;
  }
  scratch.resize(n);
  const auto wrap = static_cast<std::size_t>(std::lower_bound(k.begin(), k.end(), length - delta) - k.begin());
  for (std::size_t i = 0; i < n; ++i) scratch[i] = i < n - wrap ? k[wrap + i] + delta - length : k[i - (n - wrap)] + delta;
  std::size_t next = 0;  // the first key after the send
  for (const std::int64_t send : s) {
    while (next < n && scratch[next] <= send) ++next;
    if (next > 0) add(next - 1, send - scratch[next - 1]);
  }
  flush();
  return c;
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
  using Counts = WindowCounts;
  const std::size_t n = k.size();
  std::vector<std::int64_t> scratch;
  const bool look_up = s.size() * 16 < n;
  const auto count = [&](std::int64_t delta) { return coupled_counts(k, s, length, delta, look_up, scratch); };

  const Counts observed = count(0);
  // Fewer than kMinCoupled keys answered in every window: nothing to test further.
  if (*std::max_element(observed.begin(), observed.end()) < kMinCoupled) {
    r.tested = true;
    return r;
  }
  std::array<double, kWindows> sum{}, sum_sq{};
  Counts used{}, exceeded{};
  // The count is of keys, but no more keys can be coupled than there are sends: the law is of
  // so many trials as the fewer of the two.
  const std::size_t trials = std::min(n, s.size());
  // The most significant window so far (into r) and its p-value, corrected for the windows tried.
  const auto evaluate = [&](std::size_t min_shifts) {
    double best = 2;
    std::size_t tried = 0;
    for (std::size_t w = 0; w < kWindows; ++w) {
      if (used[w] < min_shifts) continue;
      ++tried;
      const double m = static_cast<double>(used[w]);
      // Half a coupled key more than seen, so that a window no shift ever coupled a key in does
      // not make any coupling look impossible.
      const double mean = (sum[w] + 0.5) / m;
      const double variance = std::max(0.0, (sum_sq[w] - sum[w] * sum[w] / m) / (m - 1));
      // The fitted tail, unless the shifts themselves reached the observed count more often;
      // fewer than kMinCoupled keys answered are no evidence, however rare by chance. A count
      // at or below the shifts' mean has a tail of about a half or more: 1 will do.
      const double p = observed[w] < kMinCoupled || static_cast<double>(observed[w]) <= mean
                           ? 1.0
                           : std::max(count_tail(trials, mean, variance, observed[w]),
                                      static_cast<double>(exceeded[w]) / m);
      if (p < best) {
        best = p;
        r.window = w;
        r.coupled = observed[w];
        r.null_mean = mean;
      }
    }
    return tried == 0 ? 2.0 : std::min(1.0, best * static_cast<double>(tried));
  };
  // Every eighth shift first (spread over the circle): when those already show the counts to be
  // far from significant, the rest are not made.
  double p = 2;
  for (int phase = 0; phase < 2; ++phase) {
    for (int j = 0; j < shifts; ++j) {
      if ((j % 8 == 0) != (phase == 0)) continue;
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
    const std::size_t min_shifts = phase == 0 ? kMinFirstShifts : kMinShifts;
    p = evaluate(min_shifts);
    if (phase == 1) break;
    if (p <= 1 && p > kHopeless) break;
    // Two of the first shifts reaching the observed count in every window tried put the p-value
    // far above any level a finding needs, however many shifts follow.
    bool reached = true;
    for (std::size_t w = 0; w < kWindows; ++w)
      if (used[w] >= min_shifts && exceeded[w] < 2) reached = false;
    if (p <= 1 && reached) break;
  }
  if (p > 1) return r;  // no window had room for enough shifts
  r.tested = true;
  for (const std::int64_t send : s) r.explained += answered_key(k, send, kLagWindows[r.window]) >= 0 ? 1 : 0;
  r.p_value = p;
  return r;
}

}  // namespace tattle::detect
