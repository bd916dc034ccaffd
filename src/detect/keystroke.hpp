// Traffic sent in step with the user's typing (key-logging), found from timing alone, so also
// when it is encrypted: flows hand over their client's send events, the keystroke log gives
// when keys went down (never which), and at the end of the run every destination, and every flow
// of a destination shared with other traffic, is tested (detect/coupling) with the p-values
// adjusted across all of them (Benjamini-Hochberg). The clock offset between the log and the
// capture is estimated from the typing rhythm unless given. Fed from the sinks' side, one call at
// a time; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/app.hpp"
#include "core/ip_address.hpp"
#include "core/owner.hpp"
#include "detect/coupling.hpp"
#include "flow/flow_record.hpp"

namespace tattle::detect {

// How the sends follow the keys: after every key (at least half of them), after a pause in
// typing (the keys that precede sends are those followed by the longest gaps), or after some
// keys that are not the pauses' (one send per several keys).
enum class KeystrokePattern : std::uint8_t { kPerKey, kDebounced, kBatched };
std::string_view to_string(KeystrokePattern p);

// Where the offset between the keystroke log's clock and the capture's came from: given by the
// user, estimated from the traffic, taken as zero because both read UTC wall-clock time and no
// estimate stood out, or none (no test could be made).
enum class OffsetSource : std::uint8_t { kNone, kGiven, kEstimated, kClock };
std::string_view to_string(OffsetSource s);

struct KeystrokeOffset {
  OffsetSource source = OffsetSource::kNone;
  std::int64_t ns = 0;  // capture time = log time + ns
  // Estimated: the chance of a match this good somewhere among the offsets and destinations
  // searched if none were coupled (Bonferroni over both), the destination whose sends gave it
  // and how many of the keys searched (at most 256 of the log's) its sends followed. Lags are
  // then measured from that destination's quickest answer, which the offset cannot tell from
  // the clocks' difference.
  double p_value = 1;
  std::size_t matched = 0;
  core::Endpoint server;
  std::uint8_t ip_proto = 0;
  std::string name;
  std::size_t searched = 0;  // destinations whose sends were searched
};

// A destination as the detector knows it: from the first flow to it (the apps from all).
struct KeystrokeDestination {
  core::Endpoint server;
  std::uint8_t ip_proto = 0;
  std::string name;
  const core::Owner* owner = nullptr;
  std::shared_ptr<const core::Place> place;
  std::vector<core::AppId> apps;
};

struct KeystrokeFinding : KeystrokeDestination {
  static constexpr std::size_t kMaxFlowIds = 64;
  static constexpr std::size_t kMaxMessages = 64;

  std::size_t keystrokes = 0;  // keys in the test's window
  std::size_t coupled = 0;     // of those, keys a send answers (the last key before it, within the lag window)
  std::size_t sends = 0;       // send events in the window
  std::size_t explained = 0;   // of those, sends that answer a key
  double p_value = 1, q_value = 1;
  double median_lag_ms = 0;    // from a key to the send that answers it
  LagWindow window{};
  KeystrokePattern pattern = KeystrokePattern::kPerKey;
  bool by_flow = false;  // flagged by one of its flows' own tests, not by the destination's
  std::vector<std::uint64_t> flow_ids;  // flows with sends that answer keys (the first 64)
  struct MessageRef {
    std::uint64_t flow, stream;
  };
  std::vector<MessageRef> messages;  // HTTP requests sent in step (the first 64) …
  std::size_t messages_total = 0;    // … of so many
  std::string raster;  // the typing period in columns: '|' keys and sends, '.' keys, '\'' sends
};

class KeystrokeDetector {
 public:
  static constexpr std::int64_t kSendMergeNs = 5'000'000;  // flow::Config::send_merge_ns
  static constexpr double kFalseDiscoveryRate = 0.01;
  static constexpr std::size_t kMaxSends = 1 << 23;         // send events kept in all (fits 32 bits)
  static constexpr std::size_t kMaxDestinations = 1 << 16;
  static constexpr std::size_t kMaxMessages = 1 << 20;
  static constexpr std::size_t kRasterColumns = 64;

  // `keys`: sorted, in the log's clock; `epoch`: that clock reads UTC wall-clock time.
  KeystrokeDetector(std::vector<std::int64_t> keys, bool epoch, std::optional<std::int64_t> offset_ns);

  void add_flow(const flow::FlowRecord& f);
  // An HTTP request sent at `time` (capture clock) on flow `flow`, its stream (or exchange
  // number) `stream`.
  void add_message(std::uint64_t flow, std::uint64_t stream, std::int64_t time);
  // Tests everything; after the last flow.
  void analyse();

  [[nodiscard]] const std::vector<KeystrokeFinding>& findings() const { return findings_; }
  [[nodiscard]] const KeystrokeOffset& offset() const { return offset_; }
  [[nodiscard]] std::size_t keystrokes() const { return keys_.size(); }
  [[nodiscard]] std::size_t destinations_tested() const { return destinations_tested_; }
  [[nodiscard]] std::size_t flows_tested() const { return flows_tested_; }
  // The typing period in capture time (valid once an offset is known).
  [[nodiscard]] std::int64_t typing_begin() const { return keys_.empty() ? 0 : keys_.front() + offset_.ns; }
  [[nodiscard]] std::int64_t typing_end() const { return keys_.empty() ? 0 : keys_.back() + offset_.ns; }
  // What the bounds left out.
  [[nodiscard]] std::uint64_t sends_dropped() const { return sends_dropped_; }
  [[nodiscard]] std::uint64_t destinations_dropped() const { return destinations_dropped_; }
  [[nodiscard]] std::uint64_t messages_dropped() const { return messages_dropped_; }

 private:
  // A flow's send events: `count` of `flow_sends_`, from `at` (both below kMaxSends).
  struct FlowSends {
    std::uint64_t id;
    std::int64_t start, end;
    std::uint32_t at, count;
  };
  struct Destination : KeystrokeDestination {
    std::vector<FlowSends> flows;
    std::vector<std::int64_t> sends;  // its flows' send events together, in order; made by analyse()
  };
  struct Message {
    std::uint64_t flow, stream;
    std::int64_t time;
  };
  struct Key {
    core::Endpoint server;
    std::uint8_t ip_proto;
    bool operator==(const Key&) const = default;
    template <class H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.server, k.ip_proto);
    }
  };

  [[nodiscard]] std::span<const std::int64_t> of(const FlowSends& f) const {
    return std::span<const std::int64_t>(flow_sends_).subspan(f.at, f.count);
  }
  void estimate_offset();
  // A finding from a test of the destination (`flow` −1) or of its flow `flow`, over the keys
  // and sends in that test's window.
  void report(const Destination& d, std::ptrdiff_t flow, std::span<const std::int64_t> keys,
              std::span<const std::int64_t> sends, const CouplingResult& r, double q);

  std::vector<std::int64_t> keys_;
  bool epoch_;
  KeystrokeOffset offset_;
  std::vector<Destination> destinations_;
  absl::flat_hash_map<Key, std::size_t> index_;
  std::size_t last_ = 0;  // the destination of the last flow added (flows to one often end in a row)
  std::vector<std::int64_t> flow_sends_;  // every flow's send events, flow after flow
  std::vector<Message> messages_;          // in arrival order; by flow once analyse() sorts them
  std::int64_t capture_begin_ = 0, capture_end_ = 0;
  bool any_flow_ = false;
  std::vector<KeystrokeFinding> findings_;
  std::size_t destinations_tested_ = 0, flows_tested_ = 0;
  std::uint64_t sends_dropped_ = 0, destinations_dropped_ = 0, messages_dropped_ = 0;
};

}  // namespace tattle::detect
