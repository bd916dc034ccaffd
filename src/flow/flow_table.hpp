// Flows: one record per bidirectional 5-tuple (and tunnel depth), oriented client → server,
// timed out by packet time, bounded in number. TCP payload goes through per-direction
// reassembly to the flow's dissector, when the DissectorTable chose one. One table per worker.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/counter.hpp"
#include "decode/packet.hpp"
#include "flow/dissector.hpp"
#include "flow/flow_record.hpp"
#include "reassembly/tcp_stream.hpp"

namespace tattle::flow {

enum class FlowCounter {
  kFlows,            // flows created
  kTcpFlows,
  kUdpFlows,
  kOtherFlows,
  kEndedIdle,
  kEndedClosed,
  kEndedReused,
  kEvicted,          // ended early because the table was full
  kEndedAtEnd,       // still open when the input ended
  kDissectorRejects,
  kDissectorDropped, // bytes a dissector left unconsumed beyond the pending limit
  kSendsDropped,     // client send events not kept (Config::max_sends_per_flow, max_live_sends)
  kCount,
};
std::string_view counter_name(FlowCounter c);

struct Config {
  std::int64_t tcp_idle_ns = 300 * core::kNsPerSecond;    // as Zeek's tcp_inactivity_timeout
  std::int64_t tcp_linger_ns = 30 * core::kNsPerSecond;   // after FIN both ways or RST
  std::int64_t udp_idle_ns = 60 * core::kNsPerSecond;
  std::int64_t other_idle_ns = 60 * core::kNsPerSecond;
  std::size_t max_flows = 1 << 20;                          // live flows per table
  std::size_t max_dissector_pending = 256 * 1024;           // per direction
  // When above 0, each flow keeps the times of its client's send events (FlowRecord::sends):
  // packets with new payload, one event until the client pauses for longer than this.
  std::int64_t send_merge_ns = 0;
  std::size_t max_sends_per_flow = 1 << 16;
  std::size_t max_live_sends = 1 << 22;  // held by the table's live flows together
  reassembly::Limits reassembly;
};

// Receives flows as they end. Called on the table's own thread.
class FlowSink {
 public:
  virtual ~FlowSink() = default;
  // The record is the call's: a stage between the table and the sinks (naming, enrichment)
  // fills it in where it lies and passes it on, rather than copying it; gone after the call.
  virtual void on_flow(FlowRecord& flow) = 0;
};

class FlowTable {
 public:
  // `dissectors` may be empty; it must outlive the table.
  FlowTable(const Config& config, const DissectorTable& dissectors, FlowSink& sink);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // One decoded packet. `frame_number` is the 1-based number of its frame in the merged input.
  void on_packet(const decode::PacketView& p, std::uint64_t frame_number);
  // Starts loading what on_packet(p) will look up: for callers that hold packets ahead.
  void prefetch(const decode::PacketView& p) const { index_.prefetch(key_of(p)); }
  // Ends flows idle for longer than their timeout at packet time `now`.
  void expire(core::Timestamp now);
  // Ends every flow (end of input).
  void finish();

  [[nodiscard]] std::size_t live() const { return index_.size(); }
  [[nodiscard]] const core::Counters<FlowCounter>& counters() const { return counters_; }
  [[nodiscard]] const core::Counters<reassembly::ReassemblyCounter>& reassembly_counters() const {
    return reassembly_.counters;
  }

 private:
  struct Key {
    core::Endpoint low, high;  // low <= high, so both directions find the same key
    std::uint8_t ip_proto = 0;
    std::uint8_t depth = 0;
    bool operator==(const Key&) const = default;
    // Five words rather than field by field: this runs for every packet.
    template <class H>
    friend H AbslHashValue(H h, const Key& k) {
      const std::uint64_t rest = std::uint64_t{k.low.port} << 48 | std::uint64_t{k.high.port} << 32 |
                                 std::uint64_t{k.low.addr.version} << 24 | std::uint64_t{k.high.addr.version} << 16 |
                                 std::uint64_t{k.ip_proto} << 8 | k.depth;
      return H::combine(std::move(h), k.low.addr.word(0), k.low.addr.word(1), k.high.addr.word(0),
                        k.high.addr.word(1), rest);
    }
  };
  static Key key_of(const decode::PacketView& p) {
    const bool src_low = p.src <= p.dst;
    return Key{src_low ? p.src : p.dst, src_low ? p.dst : p.src, p.ip_proto, p.depth};
  }
  enum class Lane : std::uint8_t { kTcp, kTcpClosing, kUdp, kOther, kCount };
  static constexpr std::uint32_t kNil = ~0u;
  struct Slot;

  std::uint32_t create(const Key& key, const decode::PacketView& p, std::uint64_t frame_number);
  // Ends a flow: report() then forget().
  void end(std::uint32_t slot, EndReason reason);
  // Finishes its streams and dissector and hands its record to the sink.
  void report(Slot& s, EndReason reason);
  // Frees its slot for reuse.
  void forget(std::uint32_t slot);
  void track_tcp(Slot& s, Direction dir, const decode::PacketView& p);
  void track_send(Slot& s, const decode::PacketView& p, bool tcp);
  void link_back(std::uint32_t slot, Lane lane);
  void unlink(std::uint32_t slot);
  [[nodiscard]] std::int64_t timeout(Lane lane) const;

  Config config_;
  const DissectorTable& dissectors_;
  FlowSink& sink_;
  reassembly::Context reassembly_;
  Slot& at(std::uint32_t slot);

  absl::flat_hash_map<Key, std::uint32_t> index_;
  // Slots live in chunks that never move: a vector's growth copied every live flow with its
  // streams, a sizeable part of the time on captures with many flows.
  static constexpr std::uint32_t kChunkBits = 10;
  static constexpr std::uint32_t kChunkSlots = 1u << kChunkBits;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::uint32_t slot_count_ = 0;  // slots handed out so far, in use or in free_
  std::vector<std::uint32_t> free_;
  // Per lane, a list of flows from least to most recently active: expiry looks only at heads.
  std::uint32_t head_[static_cast<int>(Lane::kCount)];
  std::uint32_t tail_[static_cast<int>(Lane::kCount)];
  std::size_t live_sends_ = 0;
  core::Counters<FlowCounter> counters_;
};

}  // namespace tattle::flow
