#include "flow/stream_feed.hpp"

#include <algorithm>

namespace tattle::flow {

void StreamFeed::apply(const Progress& p, core::Bytes shown) {
  switch (p.kind) {
    case Progress::Kind::kReject:
      // Detach: later data of this flow costs nothing.
      dissector_.reset();
      rejected_ = true;
      pending_.clear();
      pending_.shrink_to_fit();
      return;
    case Progress::Kind::kFinished:
      finished_ = true;
      pending_.clear();
      pending_.shrink_to_fit();
      return;
    case Progress::Kind::kNeedMore:
      wanted_ = p.wanted;
      if (pending_.empty()) pending_.assign(shown.begin(), shown.end());
      return;
    case Progress::Kind::kIdle:
    case Progress::Kind::kConsumed: {
      wanted_ = 0;
      const std::size_t used = std::min(p.consumed, shown.size());
      if (pending_.empty()) {
        pending_.assign(shown.begin() + static_cast<std::ptrdiff_t>(used), shown.end());
      } else {
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
      }
      return;
    }
  }
}

void StreamFeed::on_data(core::Bytes bytes) {
  if (!dissector_ || finished_ || bytes.empty()) return;
  if (pending_.empty()) {
    // The common case: the dissector reads straight from the packet, nothing is copied.
    apply(dissector_->on_stream(dir_, ts_, bytes), bytes);
  } else {
    if (pending_.size() + bytes.size() > max_pending_) {
      // The dissector asked to hold more than we allow: give the held bytes up as a gap.
      const std::uint64_t lost = pending_.size();
      dropped_ += lost;
      pending_.clear();
      wanted_ = 0;
      apply(dissector_->on_gap(dir_, lost), {});
      if (dissector_ && !finished_) apply(dissector_->on_stream(dir_, ts_, bytes), bytes);
    } else {
      pending_.insert(pending_.end(), bytes.begin(), bytes.end());
      if (pending_.size() >= wanted_) apply(dissector_->on_stream(dir_, ts_, pending_), pending_);
    }
  }
  if (dissector_ && pending_.size() > max_pending_) {
    const std::uint64_t lost = pending_.size();
    dropped_ += lost;
    pending_.clear();
    wanted_ = 0;
    apply(dissector_->on_gap(dir_, lost), {});
  }
}

void StreamFeed::on_gap(std::uint64_t missing) {
  if (!dissector_ || finished_) return;
  // Held bytes cannot be completed across a hole: the dissector is told of both as one gap.
  const std::uint64_t lost = missing + pending_.size();
  pending_.clear();
  wanted_ = 0;
  apply(dissector_->on_gap(dir_, lost), {});
}

}  // namespace tattle::flow
