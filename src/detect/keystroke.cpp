#include "detect/keystroke.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <span>

#include "core/timestamp.hpp"

namespace tattle::detect {

namespace {

constexpr std::int64_t kMs = 1'000'000;
// The typing period is tested from the first key to the end of the last key's longest lag window.
constexpr std::int64_t kMargin = kLongestLag;
// The offset search: a key and a send match when the send follows within this window, …
constexpr std::int64_t kMatchWindow = 100 * kMs;
// … from at most this many keys, spread over the log (every few keys left out, the rhythm is
// still one of a kind, and a sender that answers every key answers those kept), …
constexpr std::size_t kOffsetKeys = 256;
// … at most this many (key, send) pairs are looked at in all, fewest sends first, …
constexpr std::size_t kPairBudget = std::size_t{1} << 20;
// … over at most this many bins of 50 ms (a week) …
constexpr std::size_t kMaxOffsetBins = std::size_t{7} * 24 * 3600 * 20;
// … and an offset is taken when a match this good had at most this chance anywhere.
constexpr double kOffsetLevel = 1e-3;
constexpr std::size_t kMinMatched = 5;
constexpr std::size_t kMinFlowSends = 3;  // a flow's own test needs this many sends in the period
// An HTTP request's time is when its head was read: a little after its first packet left.
constexpr std::int64_t kMessageSlack = 10 * kMs;

std::span<const std::int64_t> within(std::span<const std::int64_t> v, std::int64_t begin, std::int64_t end) {
  const auto b = std::lower_bound(v.begin(), v.end(), begin);
  const auto e = std::lower_bound(b, v.end(), end);
  return {b, e};
}

KeystrokePattern classify(std::span<const std::int64_t> keys, std::span<const std::size_t> answered) {
  if (answered.size() * 2 >= keys.size()) return KeystrokePattern::kPerKey;
  // Whether the keys that sends answer are those followed by the longest gaps in typing: the
  // area under the ROC curve of "gap after the key" for them against the others.
  std::vector<bool> is_answered(keys.size(), false);
  for (const std::size_t i : answered) is_answered[i] = true;
  std::vector<std::int64_t> gaps_answered, gaps_other;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i)
    (is_answered[i] ? gaps_answered : gaps_other).push_back(keys[i + 1] - keys[i]);
  if (gaps_answered.empty() || gaps_other.empty()) return KeystrokePattern::kBatched;
  std::sort(gaps_other.begin(), gaps_other.end());
  double wins = 0;
  for (const std::int64_t g : gaps_answered) {
    const auto lo = std::lower_bound(gaps_other.begin(), gaps_other.end(), g);
    const auto hi = std::upper_bound(lo, gaps_other.end(), g);
    wins += static_cast<double>(lo - gaps_other.begin()) + 0.5 * static_cast<double>(hi - lo);
  }
  const double auc = wins / (static_cast<double>(gaps_answered.size()) * static_cast<double>(gaps_other.size()));
  return auc >= 0.75 ? KeystrokePattern::kDebounced : KeystrokePattern::kBatched;
}

}  // namespace

std::string_view to_string(KeystrokePattern p) {
  switch (p) {
    case KeystrokePattern::kPerKey: return "per-key";
    case KeystrokePattern::kDebounced: return "debounced";
    case KeystrokePattern::kBatched: return "batched";
  }
  return "";
}

std::string_view to_string(OffsetSource s) {
  switch (s) {
    case OffsetSource::kNone: return "none";
    case OffsetSource::kGiven: return "given";
    case OffsetSource::kEstimated: return "estimated";
    case OffsetSource::kClock: return "clock";
  }
  return "";
}

KeystrokeDetector::KeystrokeDetector(std::vector<std::int64_t> keys, bool epoch, std::optional<std::int64_t> offset_ns)
    : keys_(std::move(keys)), epoch_(epoch) {
  if (offset_ns) {
    offset_.source = OffsetSource::kGiven;
    offset_.ns = *offset_ns;
  }
}

void KeystrokeDetector::add_flow(const flow::FlowRecord& f) {
  if (!any_flow_ || f.start.ns < capture_begin_) capture_begin_ = f.start.ns;
  if (!any_flow_ || f.end.ns > capture_end_) capture_end_ = f.end.ns;
  any_flow_ = true;
  std::span<const std::int64_t> sends = f.sends;
  // With the offset known, only sends near the typing matter.
  if (offset_.source == OffsetSource::kGiven && !keys_.empty())
    sends = within(sends, typing_begin() - 2 * kMargin, typing_end() + 2 * kMargin);
  if (sends.empty()) return;
  if (flow_sends_.size() + sends.size() > kMaxSends) {
    sends_dropped_ += sends.size();
    return;
  }
  if (last_ >= destinations_.size() || destinations_[last_].server != f.server ||
      destinations_[last_].ip_proto != f.ip_proto) {
    const Key key{f.server, f.ip_proto};
    auto it = index_.find(key);
    if (it == index_.end()) {
      if (destinations_.size() >= kMaxDestinations) {
        ++destinations_dropped_;
        sends_dropped_ += sends.size();
        return;
      }
      it = index_.emplace(key, destinations_.size()).first;
      Destination d;
      d.server = f.server;
      d.ip_proto = f.ip_proto;
      destinations_.push_back(std::move(d));
    }
    last_ = it->second;
  }
  Destination& d = destinations_[last_];
  if (d.name.empty()) d.name = f.name;
  if (d.owner == nullptr) d.owner = f.owner;
  if (!d.place) d.place = f.place;
  if (f.app != core::kNoApp && d.apps.size() < 16 && std::find(d.apps.begin(), d.apps.end(), f.app) == d.apps.end())
    d.apps.push_back(f.app);
  d.flows.push_back(FlowSends{f.id, f.start.ns, f.end.ns, static_cast<std::uint32_t>(flow_sends_.size()),
                              static_cast<std::uint32_t>(sends.size())});
  for (const std::int64_t t : sends) flow_sends_.push_back(t);  // mostly one or two: no copy call
}

void KeystrokeDetector::add_message(std::uint64_t flow, std::uint64_t stream, std::int64_t time) {
  if (messages_.size() >= kMaxMessages) {
    ++messages_dropped_;
    return;
  }
  messages_.push_back({flow, stream, time});
}

// The offset at which one destination's sends follow the most keys within kMatchWindow: every
// (key, send) difference is a vote for an offset, counted in bins of half that window, so that
// a cluster of votes as wide as a lag's jitter lies whole in two adjacent bins. How unlikely the
// best count is by chance follows from how the votes fall in windows of that width across all
// the offsets the capture allows.
void KeystrokeDetector::estimate_offset() {
  if (keys_.empty() || !any_flow_) return;
  std::span<const std::int64_t> keys = keys_;
  std::vector<std::int64_t> spread;
  if (keys_.size() > kOffsetKeys) {
    for (std::size_t i = 0; i < kOffsetKeys; ++i) spread.push_back(keys_[i * keys_.size() / kOffsetKeys]);
    keys = spread;
  }
  constexpr std::int64_t kBin = kMatchWindow / 2;
  const std::int64_t lowest = capture_begin_ - keys.back();
  const std::int64_t highest = capture_end_ - keys.front();
  const auto bins = static_cast<std::size_t>((highest - lowest) / kBin + 2);
  if (bins > kMaxOffsetBins) return;  // a search range of more than a week
  const double windows = static_cast<double>(bins) / 2;
  std::vector<std::size_t> order(destinations_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return destinations_[a].sends.size() < destinations_[b].sends.size(); });
  std::vector<std::uint32_t> votes(bins, 0);
  std::vector<std::size_t> touched;
  std::size_t budget = kPairBudget;
  double best_p = 2;
  std::size_t best_bin = 0;
  const Destination* best = nullptr;
  for (const std::size_t i : order) {
    const Destination& d = destinations_[i];
    if (d.sends.size() < kMinMatched) continue;
    std::size_t pairs = keys.size() * d.sends.size();
    if (pairs > budget) {  // the bound is too much: count them
      pairs = 0;
      for (const std::int64_t k : keys) pairs += within(d.sends, k + lowest, k + highest + 1).size();
      if (pairs > budget) continue;
    }
    ++offset_.searched;
    touched.clear();
    std::size_t votes_cast = 0;
    for (const std::int64_t k : keys) {
      const auto from = within(d.sends, k + lowest, k + highest + 1);
      votes_cast += from.size();
      for (const std::int64_t s : from) {
        const std::size_t bin = static_cast<std::uint64_t>(s - k - lowest) / std::uint64_t{kBin};  // not negative
        if (votes[bin]++ == 0) touched.push_back(bin);
      }
    }
    budget -= votes_cast;
    // The best pair of adjacent bins, and the squares of the counts per fixed window (bins 2j
    // and 2j + 1), each window once: by its first bin, or by its second when the first is empty.
    std::size_t most = 0, at = 0;
    double sum_sq = 0;
    for (const std::size_t bin : touched) {
      const std::size_t pair = votes[bin] + (bin + 1 < bins ? votes[bin + 1] : 0);
      if (pair > most) {
        most = pair;
        at = bin;
      }
      if (bin % 2 == 0 || votes[bin - 1] == 0) {
        const std::size_t first = bin - bin % 2;
        const auto c = static_cast<double>(votes[first] + (first + 1 < bins ? votes[first + 1] : 0));
        sum_sq += c * c;
      }
    }
    for (const std::size_t bin : touched) votes[bin] = 0;
    const double mean = static_cast<double>(votes_cast) / windows;
    const double variance = std::max(0.0, sum_sq / windows - mean * mean);
    const std::size_t matched = std::min(most, keys.size());
    const double p = count_tail(keys.size(), mean, variance, matched);
    if (p < best_p && matched >= kMinMatched) {
      best_p = p;
      best_bin = at;
      best = &d;
      offset_.matched = matched;
    }
  }
  if (best == nullptr) return;
  offset_.server = best->server;
  offset_.ip_proto = best->ip_proto;
  offset_.name = best->name;
  offset_.p_value = std::min(1.0, best_p * windows * static_cast<double>(offset_.searched));
  if (offset_.p_value > kOffsetLevel) return;
  offset_.source = OffsetSource::kEstimated;
  // The differences in the best window are the offset plus that destination's lags: the lags
  // are taken from its quickest answer (a percentile would leave the quickest before their keys).
  // The send of a key typed just before can fall in the window too, earlier than any answer:
  // the quickest is looked for in steps of 5 ms, from the first that holds a tenth as many
  // differences as the busiest.
  constexpr std::int64_t kStep = 5 * kMs;
  constexpr auto kSteps = static_cast<std::size_t>(2 * kBin / kStep);
  const std::int64_t from = lowest + static_cast<std::int64_t>(best_bin) * kBin;
  std::array<std::size_t, kSteps> in_step{};
  std::array<std::int64_t, kSteps> quickest;
  quickest.fill(std::numeric_limits<std::int64_t>::max());
  for (const std::int64_t k : keys_)
    for (const std::int64_t s : within(best->sends, k + from, k + from + 2 * kBin)) {
      const auto i = static_cast<std::size_t>((s - k - from) / kStep);
      ++in_step[i];
      quickest[i] = std::min(quickest[i], s - k);
    }
  const std::size_t busiest = *std::max_element(in_step.begin(), in_step.end());
  std::size_t i = 0;
  while (in_step[i] * 10 < busiest) ++i;
  offset_.ns = quickest[i];
}

void KeystrokeDetector::analyse() {
  // A destination's send events: its flows' together, those within kSendMergeNs of the one
  // before again one event (flows in parallel, as a browser or an app's connection pool opens).
  for (Destination& d : destinations_) {
    std::size_t total = 0;
    for (const FlowSends& f : d.flows) total += f.count;
    d.sends.reserve(total);
    for (const FlowSends& f : d.flows)
      for (const std::int64_t t : of(f)) d.sends.push_back(t);
    if (!std::is_sorted(d.sends.begin(), d.sends.end())) core::sort_times(d.sends);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < d.sends.size(); ++i)
      if (kept == 0 || d.sends[i] - d.sends[kept - 1] > kSendMergeNs) d.sends[kept++] = d.sends[i];
    d.sends.resize(kept);
  }
  if (offset_.source != OffsetSource::kGiven) {
    estimate_offset();
    if (offset_.source == OffsetSource::kNone && epoch_) {
      offset_.source = OffsetSource::kClock;
      offset_.ns = 0;
    }
  }
  if (offset_.source == OffsetSource::kNone || keys_.empty()) return;
  std::vector<std::int64_t> keys = keys_;
  for (auto& k : keys) k += offset_.ns;
  const std::int64_t begin = keys.front(), end = keys.back() + kMargin;
  // A flow's sends in the period: as a rule all of them, known without a search.
  const auto in_period = [&](const FlowSends& f) {
    const auto v = of(f);
    return v.front() >= begin && v.back() < end ? v : within(v, begin, end);
  };

  struct Test {
    std::size_t destination;
    std::ptrdiff_t flow;  // -1: the destination's own test
    std::int64_t begin, end;
    CouplingResult result;
  };
  std::vector<Test> tests;
  std::vector<std::size_t> busy;  // a destination's flows with enough sends in the period
  for (std::size_t i = 0; i < destinations_.size(); ++i) {
    const Destination& d = destinations_[i];
    const CouplingResult r = test_coupling(keys, d.sends, begin, end);
    if (r.tested) {
      tests.push_back({i, -1, begin, end, r});
      ++destinations_tested_;
    }
    // A destination many flows share (a CDN's address, an API gateway) may mix one coupled
    // flow into traffic that is not: each flow is tested too, over its own lifetime.
    busy.clear();
    for (std::size_t j = 0; j < d.flows.size(); ++j)
      if (in_period(d.flows[j]).size() >= kMinFlowSends) busy.push_back(j);
    if (busy.size() < 2) continue;
    for (const std::size_t j : busy) {
      const FlowSends& f = d.flows[j];
      const std::int64_t fb = std::max(begin, f.start), fe = std::min(end, f.end + 1);
      const CouplingResult fr = test_coupling(keys, of(f), fb, fe);
      if (!fr.tested) continue;
      tests.push_back({i, static_cast<std::ptrdiff_t>(j), fb, fe, fr});
      ++flows_tested_;
    }
  }
  std::vector<double> p;
  p.reserve(tests.size());
  for (const Test& t : tests) p.push_back(t.result.p_value);
  const std::vector<double> q = benjamini_hochberg(p);

  // Per destination, its own test when that is flagged, else its most significant flow's.
  std::vector<std::ptrdiff_t> chosen(destinations_.size(), -1);
  for (std::size_t t = 0; t < tests.size(); ++t) {
    if (q[t] > kFalseDiscoveryRate) continue;
    std::ptrdiff_t& c = chosen[tests[t].destination];
    if (c < 0 || (tests[static_cast<std::size_t>(c)].flow >= 0 &&
                  (tests[t].flow < 0 || p[t] < p[static_cast<std::size_t>(c)])))
      c = static_cast<std::ptrdiff_t>(t);
  }
  if (std::any_of(chosen.begin(), chosen.end(), [](std::ptrdiff_t c) { return c >= 0; }))
    std::sort(messages_.begin(), messages_.end(), [](const Message& a, const Message& b) {
      return a.flow != b.flow ? a.flow < b.flow : a.time < b.time;
    });
  for (const std::ptrdiff_t c : chosen) {
    if (c < 0) continue;
    const Test& t = tests[static_cast<std::size_t>(c)];
    const Destination& d = destinations_[t.destination];
    const std::span<const std::int64_t> sends =
        t.flow < 0 ? std::span<const std::int64_t>(d.sends) : of(d.flows[static_cast<std::size_t>(t.flow)]);
    report(d, t.flow, within(keys, t.begin, t.end), within(sends, t.begin, t.end), t.result,
           q[static_cast<std::size_t>(c)]);
  }
  std::sort(findings_.begin(), findings_.end(),
            [](const KeystrokeFinding& a, const KeystrokeFinding& b) { return a.p_value < b.p_value; });
}

void KeystrokeDetector::report(const Destination& d, std::ptrdiff_t flow_index, std::span<const std::int64_t> keys,
                               std::span<const std::int64_t> sends, const CouplingResult& r, double q) {
  KeystrokeFinding f;
  static_cast<KeystrokeDestination&>(f) = d;
  f.keystrokes = r.keystrokes;
  f.coupled = r.coupled;
  f.sends = r.sends;
  f.explained = r.explained;
  f.p_value = r.p_value;
  f.q_value = q;
  f.window = kLagWindows[r.window];
  f.by_flow = flow_index >= 0;
  const LagWindow w = f.window;

  std::vector<std::int64_t> lags;
  for (const std::int64_t t : sends)
    if (const std::int64_t i = answered_key(keys, t, w); i >= 0) lags.push_back(t - keys[static_cast<std::size_t>(i)]);
  if (!lags.empty()) {
    std::nth_element(lags.begin(), lags.begin() + static_cast<std::ptrdiff_t>(lags.size() / 2), lags.end());
    f.median_lag_ms = static_cast<double>(lags[lags.size() / 2]) / 1e6;
  }
  f.pattern = classify(keys, answered_keys(keys, sends, w));

  // The flows with sends that answer keys (for a flow's own test, that flow), and the HTTP
  // requests they sent in step.
  for (std::size_t j = 0; j < d.flows.size(); ++j) {
    const FlowSends& flow = d.flows[j];
    if (flow_index >= 0 && j != static_cast<std::size_t>(flow_index)) continue;
    const auto flow_sends = of(flow);
    if (std::none_of(flow_sends.begin(), flow_sends.end(), [&](std::int64_t s) { return answered_key(keys, s, w) >= 0; }))
      continue;
    if (f.flow_ids.size() < KeystrokeFinding::kMaxFlowIds) f.flow_ids.push_back(flow.id);
    const auto [first, last] = std::equal_range(messages_.begin(), messages_.end(), Message{flow.id, 0, 0},
                                                [](const Message& a, const Message& b) { return a.flow < b.flow; });
    for (auto m = first; m != last; ++m) {
      if (answered_key(keys, m->time, {w.lo, w.hi + kMessageSlack}) < 0) continue;
      ++f.messages_total;
      if (f.messages.size() < KeystrokeFinding::kMaxMessages) f.messages.push_back({flow.id, m->stream});
    }
  }

  if (!keys.empty()) {
    const std::int64_t b = keys.front(), span = keys.back() - keys.front() + 1;
    std::string keyed(kRasterColumns, ' '), sent(kRasterColumns, ' ');
    const auto column = [&](std::int64_t t) {
      return static_cast<std::size_t>((static_cast<double>(t - b) / static_cast<double>(span)) * kRasterColumns);
    };
    for (const std::int64_t k : keys) keyed[std::min(column(k), kRasterColumns - 1)] = 'k';
    for (const std::int64_t s : sends)
      if (s >= b && s - b < span) sent[std::min(column(s), kRasterColumns - 1)] = 's';
    f.raster.resize(kRasterColumns);
    for (std::size_t i = 0; i < kRasterColumns; ++i)
      f.raster[i] = keyed[i] == 'k' ? (sent[i] == 's' ? '|' : '.') : (sent[i] == 's' ? '\'' : ' ');
  }
  findings_.push_back(std::move(f));
}

}  // namespace tattle::detect
