// Is a train of send events coupled to a train of keystrokes? The statistic is how many keys a
// send answers: a send answers the last key before it when its lag is within a lag window (a
// debounced send answers the key before the pause); a key answered by several sends counts
// once, so that a burst of sends is not many coincidences. Its distribution under independence
// comes from circular shifts of the keystroke train within the analysis window, which keep the
// rhythm of both trains (bursts of typing, periodic sends) and only break their alignment.
// Hand-written: no Debian library does shift-surrogate tests on event trains.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace tattle::detect {

// The lag windows tried, [lo, hi) in ns after a key: a sender that reacts at once or within a
// few round trips, and one that waits for a pause in typing (a debounce) of up to 0.9 s. Narrow
// windows only: when typing and sending both come in bursts, the count in a wide or late window
// is mostly the overlap of bursts, whose law under independence is lumpy and heavy-tailed — the
// fitted tail then claimed too much (measured on simulated sessions: coupling_test.cpp). The
// most significant window is taken, and its p-value multiplied by their number (Bonferroni).
// Their ends are whole tenths of a second: lags are counted in tenths, then summed per window.
struct LagWindow {
  std::int64_t lo, hi;
  [[nodiscard]] constexpr bool holds(std::int64_t lag) const { return lag >= lo && lag < hi; }
};
inline constexpr std::int64_t kLagStep = 100'000'000;
inline constexpr std::array<LagWindow, 5> kLagWindows = {{{0, kLagStep},
                                                          {0, 3 * kLagStep},
                                                          {2 * kLagStep, 5 * kLagStep},
                                                          {4 * kLagStep, 7 * kLagStep},
                                                          {6 * kLagStep, 9 * kLagStep}}};
inline constexpr std::int64_t kLongestLag = 9 * kLagStep;  // the last window's end

using WindowCounts = std::array<std::size_t, kLagWindows.size()>;

// How coupled_counts goes through the two trains: send by send, finding each one's last key,
// or key by key, finding the tenths of a second after it that have a send before the next key.
// Each step costs about the logarithm of the gap it jumps: sends many times the keys (a stream)
// are best walked key by key (test_coupling does so past four sends a key), others send by
// send.
enum class CountWalk : std::uint8_t { kSends, kKeys };

// For each lag window, the keys (sorted, in [0, length)) that sends (sorted, in [0, length))
// answer once the keys are moved on by `delta` around the circle [0, length): a send answers
// the last key before it when its lag is within the window; a send before every key answers
// none (the circle is not followed back past its start, where typing did not happen before the
// first key). The same counts whichever the walk.
WindowCounts coupled_counts(std::span<const std::int64_t> keys, std::span<const std::int64_t> sends,
                            std::int64_t length, std::int64_t delta, CountWalk walk);

struct CouplingResult {
  std::size_t keystrokes = 0;  // keys in the window
  std::size_t sends = 0;       // sends in the window
  std::size_t window = 0;      // index into kLagWindows of the most significant lag window
  std::size_t coupled = 0;     // keys a send answers within that lag window
  std::size_t explained = 0;   // sends that answer a key so
  double null_mean = 0;        // the coupled count's mean over the shifts
  double p_value = 1;          // corrected for the windows tried
  bool tested = false;         // enough keys, sends and room for shifts
};

// Keys and sends sorted, in ns of one clock; only those in [begin, end) take part. Keys are
// shifted around that interval by `shifts` amounts spread evenly over it, leaving out shifts
// within a window's end (plus a quarter of a second) of no shift at all. When the first eighth
// of the shifts already give a p-value above 0.05, the rest are not made (the p-value is then
// theirs). No shift is made for a window without room for 20 of them.
CouplingResult test_coupling(std::span<const std::int64_t> keys, std::span<const std::int64_t> sends,
                             std::int64_t begin, std::int64_t end, int shifts = 200);

// P(X >= t) for X the number of successes among n trials whose mean is `mean` and variance
// `variance`: binomial when the variance is at most the binomial's, else beta-binomial with that
// variance (positively correlated trials, as keys typed in one burst are).
double count_tail(std::size_t n, double mean, double variance, std::size_t t);

// Benjamini-Hochberg adjusted p-values (q-values), in the order given.
std::vector<double> benjamini_hochberg(std::span<const double> p);

// The index of the key a send at `t` answers: the last key at or before `t`, when its lag is
// within the window; else -1. Keys sorted.
std::int64_t answered_key(std::span<const std::int64_t> keys, std::int64_t t, LagWindow w);
// The keys that sends answer, in order, each once. Both sorted.
std::vector<std::size_t> answered_keys(std::span<const std::int64_t> keys, std::span<const std::int64_t> sends,
                                       LagWindow w);

}  // namespace tattle::detect
