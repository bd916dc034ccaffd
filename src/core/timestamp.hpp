// Packet time: nanoseconds since the Unix epoch, UTC. Time in tattle always comes from packets,
// never from the wall clock, so runs over the same capture are reproducible.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "core/fixed_text.hpp"

namespace tattle::core {

struct Timestamp {
  std::int64_t ns = 0;

  static constexpr Timestamp from_seconds(std::int64_t s, std::int64_t frac_ns = 0) {
    return Timestamp{s * 1'000'000'000 + frac_ns};
  }
  constexpr auto operator<=>(const Timestamp&) const = default;
  [[nodiscard]] constexpr double seconds() const { return static_cast<double>(ns) / 1e9; }
};

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

// ISO 8601 UTC with microseconds, e.g. "2024-03-01T12:34:56.123456Z" (truncated, not rounded).
// Packet times fit in years 1677..2262, so the text always has this length.
inline constexpr std::size_t kIso8601Size = 27;
FixedText<kIso8601Size> iso8601_text(Timestamp t);
std::string iso8601(Timestamp t);

// Sorts times (ns) in place, in time linear in their number: a radix sort, 12 bits of the
// distance from the earliest at a time (three passes for a minute's span, four for a day's).
// Written here because std::sort's n log n was a third of what the keystroke test added to an
// audit of the benchmark capture (sorting every destination's send events), and no library the
// project uses sorts integers in linear time.
void sort_times(std::vector<std::int64_t>& times);

}  // namespace tattle::core
