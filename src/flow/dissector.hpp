// The contract between flows and protocol dissectors. TCP payload arrives as an ordered byte
// stream per direction, in spans valid only for the call (never a buffer of the whole stream);
// UDP payload arrives a datagram at a time. Dissectors are chosen per flow by a DissectorTable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/byte_reader.hpp"
#include "core/ip_address.hpp"
#include "core/timestamp.hpp"
#include "flow/flow_record.hpp"

namespace tattle::flow {

enum class Direction : std::uint8_t {
  kFromClient = 0,
  kFromServer = 1,
};

// What a dissector did with the bytes it was handed.
struct Progress {
  enum class Kind : std::uint8_t {
    kConsumed,  // `consumed` bytes are done with; the rest is presented again with more data
    kNeedMore,  // nothing consumed; call again once `wanted` bytes are buffered (0: any more)
    kReject,    // not this protocol, or beyond repair: detach the dissector from the flow
    kFinished,  // wants nothing more of this direction (streams) or of the flow (datagrams):
                // later bytes are not delivered, not even reassembled; annotate() still comes
    kIdle,      // datagrams: all consumed, and nothing held that the flow still needs (nothing
                // waiting, nothing to annotate): the table may drop the dissector and choose
                // one afresh for the flow's next datagram. On a stream it counts as kConsumed.
  };
  Kind kind = Kind::kConsumed;
  std::size_t consumed = 0;
  std::size_t wanted = 0;

  static Progress done(std::size_t n) { return {Kind::kConsumed, n, 0}; }
  static Progress need(std::size_t wanted) { return {Kind::kNeedMore, 0, wanted}; }
  static Progress reject() { return {Kind::kReject, 0, 0}; }
  static Progress finished() { return {Kind::kFinished, 0, 0}; }
  static Progress idle(std::size_t n) { return {Kind::kIdle, n, 0}; }
};

// What a dissector may know about the flow it serves; valid for the life of the dissector,
// except `first_payload`.
struct FlowContext {
  std::uint64_t id = 0;
  std::uint8_t ip_proto = 0;
  core::Endpoint client, server;
  // The packet that opened the flow (or, choosing again after kIdle, the flow's next datagram):
  // who sent it, and its payload, which is valid only while the table chooses. A UDP protocol
  // known by its first datagram (QUIC) is chosen by it, without a dissector for every other
  // flow. The same packet then goes to on_datagram().
  Direction first_dir = Direction::kFromClient;
  core::Bytes first_payload;
};

class Dissector {
 public:
  virtual ~Dissector() = default;
  // TCP: next bytes of one direction, in order. Bytes not consumed are presented again, in
  // front of the next data (bounded: see StreamFeed).
  virtual Progress on_stream(Direction dir, core::Timestamp ts, core::Bytes bytes) = 0;
  // TCP: `missing` bytes of `dir` will never arrive. Resynchronise or return kReject.
  virtual Progress on_gap(Direction dir, std::uint64_t missing) = 0;
  // UDP (and other datagram protocols): one datagram's payload.
  virtual Progress on_datagram(Direction dir, core::Timestamp ts, core::Bytes payload) = 0;
  // The flow ended; no more calls follow but annotate().
  virtual void on_close() {}
  // Writes what the dissector learnt about the flow into its record (name, SNI, ...), just
  // before the record goes to the sinks. The last call: what it holds may be moved out.
  virtual void annotate(FlowRecord&) {}
};

// Chooses dissectors for a new flow (and again for a flow whose datagram dissector went idle).
// Factories are asked in order; the first that returns one wins. An explicit table (not
// self-registering statics), so the set in use is plain to see.
class DissectorTable {
 public:
  using Factory = std::function<std::unique_ptr<Dissector>(const FlowContext&)>;
  void add(Factory f) { factories_.push_back(std::move(f)); }
  [[nodiscard]] bool empty() const { return factories_.empty(); }
  [[nodiscard]] std::unique_ptr<Dissector> choose(const FlowContext& flow) const {
    for (const auto& f : factories_)
      if (auto d = f(flow)) return d;
    return nullptr;
  }

 private:
  std::vector<Factory> factories_;
};

}  // namespace tattle::flow
