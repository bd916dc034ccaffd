#include "core/timestamp.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <utility>

namespace tattle::core {

FixedText<kIso8601Size> iso8601_text(Timestamp t) {
  // Floor division so times before 1970 still print a non-negative fraction.
  std::int64_t secs = t.ns / kNsPerSecond;
  std::int64_t frac = t.ns % kNsPerSecond;
  if (frac < 0) {
    frac += kNsPerSecond;
    --secs;
  }
  // Reports format two times per flow, mostly within the same few seconds: the date and time
  // part is kept from the last call on this thread.
  constexpr std::size_t kPrefix = 20;  // "YYYY-MM-DDTHH:MM:SS."
  thread_local std::int64_t cached_secs = 0;
  thread_local char cached_prefix[kPrefix] = {};
  if (cached_prefix[0] == 0 || secs != cached_secs) {
    const auto tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char* p = put_digits(cached_prefix, tm.tm_year + 1900, 4);
    *p++ = '-';
    p = put_digits(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put_digits(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = put_digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = put_digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = put_digits(p, tm.tm_sec, 2);
    *p = '.';
    cached_secs = secs;
  }
  FixedText<kIso8601Size> out;
  char* p = out.begin();
  std::memcpy(p, cached_prefix, kPrefix);
  p = put_digits(p + kPrefix, frac / 1000, 6);
  *p++ = 'Z';
  out.finish(p);
  return out;
}

std::string iso8601(Timestamp t) { return std::string(iso8601_text(t).view()); }

void sort_times(std::vector<std::int64_t>& times) {
  constexpr std::size_t kFew = 2048;  // below this, std::sort is as quick
  if (times.size() < kFew) {
    std::sort(times.begin(), times.end());
    return;
  }
  constexpr unsigned kBits = 12;
  constexpr std::uint64_t kMask = (std::uint64_t{1} << kBits) - 1;
  const auto [first, last] = std::minmax_element(times.begin(), times.end());
  // Unsigned, so that the distance of the latest from the earliest is exact whatever they are.
  const auto earliest = static_cast<std::uint64_t>(*first);
  const std::uint64_t span = static_cast<std::uint64_t>(*last) - earliest;
  std::vector<std::int64_t> other(times.size());
  for (unsigned shift = 0; shift < 64 && (span >> shift) != 0; shift += kBits) {
    std::array<std::size_t, kMask + 1> at{};
    const auto digit = [&](std::int64_t t) { return ((static_cast<std::uint64_t>(t) - earliest) >> shift) & kMask; };
    for (const std::int64_t t : times) ++at[digit(t)];
    std::size_t sum = 0;
    for (std::size_t& a : at) sum += std::exchange(a, sum);
    for (const std::int64_t t : times) other[at[digit(t)]++] = t;
    times.swap(other);
  }
}

}  // namespace tattle::core
