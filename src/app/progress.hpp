// Progress on stderr for long runs: bytes read, packets, flows, rate and ETA, redrawn on one
// line a few times a second, and only when stderr is a terminal. The one place that reads the
// wall clock: it measures the run, never the traffic.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace tattle::app {

class Progress {
 public:
  // Shows nothing unless `enabled` and `out` is a terminal.
  Progress(std::FILE* out, bool enabled);
  ~Progress() { done(); }

  // Cheap enough to call every few thousand packets: redraws at most every 250 ms.
  void update(std::uint64_t bytes_done, std::uint64_t bytes_total, std::uint64_t packets,
              std::uint64_t flows);
  // Clears the line.
  void done();

 private:
  std::FILE* out_;
  bool active_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace tattle::app
