// Several capture files read as one stream in packet-time order (like mergecap): each input is
// read in its own file order, and the merge always yields the earliest of the inputs' next
// frames. Ties go to the lower input index. An input whose time goes backwards is not reordered:
// its late frames simply come out as soon as they are at its head, so nothing is lost or
// duplicated and the output is deterministic.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "capture/frame.hpp"
#include "capture/packet_source.hpp"

namespace tattle::capture {

class MergedSource {
 public:
  // Sources are indexed by their position here, which need not equal Frame::input.
  explicit MergedSource(std::vector<std::unique_ptr<PacketSource>> sources);

  // The next frame in time order; false when every input is exhausted. The frame's bytes follow
  // its source's rule (PacketSource::stable()); for unstable sources they are valid until the
  // next call to next().
  bool next(Frame& frame);

  // True when every source is stable.
  [[nodiscard]] bool stable() const { return stable_; }

  [[nodiscard]] const std::vector<std::unique_ptr<PacketSource>>& sources() const {
    return sources_;
  }
  [[nodiscard]] PacketSource& source(std::size_t i) { return *sources_[i]; }

  // Progress over all inputs (sums of PacketSource::position() and size()).
  [[nodiscard]] std::uint64_t position() const;
  [[nodiscard]] std::uint64_t size() const;

 private:
  struct Head {
    core::Timestamp ts;
    std::size_t source;
  };
  // Reads source i's next frame into pending_[i] and pushes it on the heap if there is one.
  void refill(std::size_t i);

  std::vector<std::unique_ptr<PacketSource>> sources_;
  std::vector<Frame> pending_;
  std::vector<Head> heap_;  // min-heap on (ts, source)
  std::size_t last_ = 0;    // source of the frame handed out last, refilled on the next call
  bool primed_ = false;
  bool have_last_ = false;
  bool stable_ = true;
};

}  // namespace tattle::capture
