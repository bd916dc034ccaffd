// Adapts one direction of a reassembled TCP stream to a Dissector: bytes a dissector did not
// consume are kept (up to a bound) and presented again in front of the next data.
#pragma once

#include <cstddef>
#include <vector>

#include "core/counter.hpp"
#include "flow/dissector.hpp"
#include "reassembly/tcp_stream.hpp"

namespace tattle::flow {

class StreamFeed final : public reassembly::StreamConsumer {
 public:
  // `dissector` is the flow's slot: set to null here when the dissector rejects.
  StreamFeed(std::unique_ptr<Dissector>& dissector, Direction dir, std::size_t max_pending)
      : dissector_(dissector), dir_(dir), max_pending_(max_pending) {}

  void set_time(core::Timestamp ts) { ts_ = ts; }
  void on_data(core::Bytes bytes) override;
  void on_gap(std::uint64_t missing) override;

  // Bytes given up on because the dissector kept more than max_pending unconsumed.
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }
  [[nodiscard]] bool rejected() const { return rejected_; }
  // The dissector wants nothing more of this direction: the stream need not be delivered here.
  [[nodiscard]] bool finished() const { return finished_; }

 private:
  // Applies a dissector's answer to `pending_` (the bytes it was shown, when they are pending_).
  void apply(const Progress& p, core::Bytes shown);

  std::unique_ptr<Dissector>& dissector_;
  Direction dir_;
  std::size_t max_pending_;
  core::Timestamp ts_;
  std::vector<std::uint8_t> pending_;
  std::size_t wanted_ = 0;
  std::uint64_t dropped_ = 0;
  bool rejected_ = false;
  bool finished_ = false;
};

}  // namespace tattle::flow
