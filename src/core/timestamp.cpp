#include "core/timestamp.hpp"

#include <cstring>
#include <ctime>

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

}  // namespace tattle::core
