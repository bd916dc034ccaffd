#include "capture/merge.hpp"

#include <algorithm>

namespace tattle::capture {

namespace {

// std::*_heap build a max-heap; "greater" on (ts, source) makes the top the earliest frame,
// lowest input first on ties.
template <class H>
bool later(const H& a, const H& b) {
  if (a.ts != b.ts) return a.ts > b.ts;
  return a.source > b.source;
}

}  // namespace

MergedSource::MergedSource(std::vector<std::unique_ptr<PacketSource>> sources)
    : sources_(std::move(sources)), pending_(sources_.size()) {
  heap_.reserve(sources_.size());
  for (const auto& s : sources_) stable_ = stable_ && s->stable();
}

void MergedSource::refill(std::size_t i) {
  if (!sources_[i]->next(pending_[i])) return;
  heap_.push_back(Head{pending_[i].ts, i});
  std::push_heap(heap_.begin(), heap_.end(), later<Head>);
}

bool MergedSource::next(Frame& frame) {
  // One input, the common case: nothing to merge, no copy through pending_.
  if (sources_.size() == 1) return sources_[0]->next(frame);
  if (!primed_) {
    primed_ = true;
    for (std::size_t i = 0; i < sources_.size(); ++i) refill(i);
  } else if (have_last_) {
    // Only now may the last frame's source move on: its bytes were valid until this call.
    refill(last_);
  }
  have_last_ = false;
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later<Head>);
  last_ = heap_.back().source;
  heap_.pop_back();
  have_last_ = true;
  frame = pending_[last_];
  return true;
}

std::uint64_t MergedSource::position() const {
  std::uint64_t p = 0;
  for (const auto& s : sources_) p += s->position();
  return p;
}

std::uint64_t MergedSource::size() const {
  std::uint64_t n = 0;
  for (const auto& s : sources_) n += s->size();
  return n;
}

}  // namespace tattle::capture
