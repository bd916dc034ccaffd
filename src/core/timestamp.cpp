#include "core/timestamp.hpp"

#include <fmt/format.h>

#include <ctime>

namespace tattle::core {

std::string iso8601(Timestamp t) {
  // Floor division so times before 1970 still print a non-negative fraction.
  std::int64_t secs = t.ns / kNsPerSecond;
  std::int64_t frac = t.ns % kNsPerSecond;
  if (frac < 0) {
    frac += kNsPerSecond;
    --secs;
  }
  // Reports format two times per flow, mostly within the same few seconds: the date and time
  // part is kept from the last call on this thread.
  thread_local std::int64_t cached_secs = 0;
  thread_local std::string cached_prefix;  // "YYYY-MM-DDTHH:MM:SS."
  if (cached_prefix.empty() || secs != cached_secs) {
    const auto tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    cached_prefix = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.", tm.tm_year + 1900, tm.tm_mon + 1,
                                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  std::string out = cached_prefix;
  out.resize(out.size() + 7);
  std::int64_t micros = frac / 1000;
  char* p = out.data() + out.size() - 1;
  *p = 'Z';
  for (int i = 0; i < 6; ++i, micros /= 10) *--p = static_cast<char>('0' + micros % 10);
  return out;
}

}  // namespace tattle::core
