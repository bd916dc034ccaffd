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
  const auto tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac / 1000);
}

}  // namespace tattle::core
