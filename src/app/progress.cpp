#include "app/progress.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace tattle::app {

Progress::Progress(std::FILE* out, bool enabled)
    : out_(out), active_(enabled && out != nullptr && isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(std::uint64_t bytes_done, std::uint64_t bytes_total, std::uint64_t packets,
                      std::uint64_t flows) {
  if (!active_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(250)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(bytes_done) / secs : 0;
  std::string eta = "?";
  if (rate > 0 && bytes_total >= bytes_done)
    eta = fmt::format("{:.0f}s", static_cast<double>(bytes_total - bytes_done) / rate);
  fmt::print(out_, "\r\033[K{:.1f}/{:.1f} MB  {} packets  {} flows  {:.0f} MB/s  ETA {}",
             static_cast<double>(bytes_done) / 1e6, static_cast<double>(bytes_total) / 1e6, packets,
             flows, rate / 1e6, eta);
  std::fflush(out_);
  drawn_ = true;
}

void Progress::done() {
  if (drawn_) {
    fmt::print(out_, "\r\033[K");
    std::fflush(out_);
    drawn_ = false;
  }
}

}  // namespace tattle::app
