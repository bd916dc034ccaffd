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

// The first index from `from` on whose value is above `t`, for values that never decrease: a
// gallop (doubling steps, then halving), so the cost grows with the log of the distance jumped.
template <class At>
std::size_t first_after(At at, std::size_t from, std::size_t n, std::int64_t t) {
  // Most jumps are short: a few steps first.
  for (const std::size_t end = std::min(n, from + 4); from < end; ++from)
    if (at(from) > t) return from;
  if (from >= n) return n;
  std::size_t lo = from - 1, hi = from;  // at(lo) <= t
  for (std::size_t step = 1; hi < n && at(hi) <= t; step *= 2) {
    lo = hi;
    hi = lo + step * 2;
  }
  hi = std::min(hi, n);  // at(hi) > t, or the end
  while (hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    (at(mid) <= t ? lo : hi) = mid;
  }
  return hi;
}

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
                            std::int64_t delta, CountWalk walk) {
  constexpr auto kSteps = static_cast<std::size_t>(kLongestLag / kLagStep);
  static_assert(kSteps <= 32);
  constexpr auto masks = [] {
    std::array<std::uint32_t, kLagWindows.size()> m{};
    for (std::size_t w = 0; w < kLagWindows.size(); ++w)
      for (auto i = kLagWindows[w].lo / kLagStep; i < kLagWindows[w].hi / kLagStep; ++i) m[w] |= 1u << i;
    return m;
  }();
  // A key's answers are the tenths of a second after it that its sends came in (a bit each);
  // each window it had a send in counts it once.
  WindowCounts c{};
  const auto count = [&](std::uint32_t steps) {
    for (std::size_t w = 0; w < kLagWindows.size(); ++w) c[w] += (steps & masks[w]) != 0 ? 1 : 0;
  };
  const std::size_t n = k.size(), m = s.size();
  if (n == 0 || m == 0) return c;
  // The moved keys in order without moving them: those that pass the end (from `wrap` on) come
  // round to the start, before the others.
  const auto wrap = static_cast<std::size_t>(std::lower_bound(k.begin(), k.end(), length - delta) - k.begin());
  const std::size_t wrapped = n - wrap;
  const auto key = [&](std::size_t i) { return i < wrapped ? k[wrap + i] + delta - length : k[i - wrapped] + delta; };
  const auto send = [&](std::size_t i) { return s[i]; };

  if (walk == CountWalk::kSends) {
    // Sends come in order, so the keys they answer do too: a key's bits are complete when a
    // send answers a later one.
    constexpr auto kNone = ~std::size_t{0};
    std::size_t at = kNone, next = 0;  // the key being filled in; the first key after the send
    std::uint32_t steps = 0;
    for (std::size_t j = 0; j < m; ++j) {
      next = first_after(key, next, n, s[j]);
      if (next == 0) continue;
      if (next - 1 != at) {
        if (at != kNone) count(steps);
        at = next - 1;
        steps = 0;
      }
      if (const auto step = static_cast<std::size_t>((s[j] - key(at)) / kLagStep); step < kSteps) steps |= 1u << step;
    }
    if (at != kNone) count(steps);
    return c;
  }
  // Key by key: from its first send, jump to the first send of each later tenth until the next
  // key or the longest lag, so that a stream of sends costs a few jumps per key.
  std::size_t j = 0;
  for (std::size_t i = 0; i < n && j < m; ++i) {
    const std::int64_t at = key(i);
    const std::int64_t until = std::min(i + 1 < n ? key(i + 1) : std::numeric_limits<std::int64_t>::max(), at + kLongestLag);
    std::uint32_t steps = 0;
    j = first_after(send, j, m, at - 1);
    for (std::size_t q = j; q < m && s[q] < until;) {
      const auto step = static_cast<std::size_t>((s[q] - at) / kLagStep);
      steps |= 1u << step;
      q = first_after(send, q, m, at + static_cast<std::int64_t>(step + 1) * kLagStep - 1);
    }
    count(steps);
  }
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
  const CountWalk walk = s.size() > 4 * n ? CountWalk::kKeys : CountWalk::kSends;
  const auto count = [&](std::int64_t delta) { return coupled_counts(k, s, length, delta, walk); };

  const Counts observed = count(0);
  // Fewer than kMinCoupled keys answered in every window: nothing to test further.
  if (*std::max_element(observed.begin(), observed.end()) < kMinCoupled) {
    r.tested = true;
    return r;
  }
  // The windows with room for enough shifts: for the others none is made, nor one that only
  // they could use (a flow of a few seconds has few shifts far enough from none).
  const auto shift_of = [&](int j) { return static_cast<std::int64_t>((j + 0.5) * static_cast<double>(length) / shifts); };
  const auto distance_of = [&](std::int64_t delta) { return std::min(delta, length - delta); };
  const auto first_shift_from = [&](std::int64_t delta) {  // shifts grow with j
    int lo = 0, hi = shifts;
    while (lo < hi) {
      const int mid = lo + (hi - lo) / 2;
      if (shift_of(mid) < delta) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  std::array<bool, kWindows> room{};
  std::int64_t nearest = std::numeric_limits<std::int64_t>::max();  // the least distance a window with room takes
  for (std::size_t w = 0; w < kWindows; ++w) {
    // A shift leaves a distance of at least d from none when it lies in [d, length − d].
    const std::int64_t d = kLagWindows[w].hi + kShiftGuard;
    room[w] = first_shift_from(length - d + 1) - first_shift_from(d) >= static_cast<int>(kMinShifts);
    if (room[w]) nearest = std::min(nearest, d);
  }
  if (std::none_of(room.begin(), room.end(), [](bool b) { return b; })) return r;
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
      const std::int64_t delta = shift_of(j);
      const std::int64_t distance = distance_of(delta);
      if (distance < nearest) continue;
      const Counts c = count(delta);
      for (std::size_t w = 0; w < kWindows; ++w) {
        if (!room[w] || distance < kLagWindows[w].hi + kShiftGuard) continue;
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
