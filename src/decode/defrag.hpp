// IP fragment reassembly (IPv4, RFC 791 §3.2; IPv6, RFC 8200 §4.5), internal to the decoder.
//
// Pending datagrams are bounded by Limits: total buffered bytes, number of datagrams, and a
// timeout measured in packet time from each datagram's first fragment (never the wall clock).
// When a limit is reached the oldest datagram is evicted and its fragments are counted as
// dropped. Overlapping fragments keep the bytes that arrived first; an overlap whose bytes differ
// is counted (kFragmentOverlaps) and reported to the caller, who warns.
#pragma once

#include <cstdint>
#include <list>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/app.hpp"
#include "core/byte_reader.hpp"
#include "core/counter.hpp"
#include "core/ip_address.hpp"
#include "core/timestamp.hpp"
#include "decode/decoder.hpp"

namespace tattle::decode {

// IPv4 keys on (src, dst, id, protocol) as RFC 791 says; IPv6 on (src, dst, id) with protocol 0.
struct FragmentKey {
  core::IpAddress src, dst;
  std::uint32_t id = 0;
  std::uint8_t proto = 0;

  bool operator==(const FragmentKey&) const = default;
  template <class H>
  friend H AbslHashValue(H h, const FragmentKey& k) {
    return H::combine(std::move(h), k.src, k.dst, k.id, k.proto);
  }
};

struct Fragment {
  FragmentKey key;
  std::uint32_t offset = 0;       // in bytes from the start of the fragmentable part
  bool more = false;              // the MF flag
  core::Bytes data;               // the fragment's payload, complete (not cut by the snap length)
  core::Timestamp ts;
  std::uint32_t wire_len = 0;     // wire length of the frame that carried it
  std::uint8_t next_header = 0;   // IPv6: the Fragment header's Next Header; IPv4: the protocol
  core::AppId app = core::kNoApp;
};

struct Reassembled {
  std::vector<std::uint8_t> data;  // the whole fragmentable part (IPv4 payload / IPv6 after Fragment)
  std::uint32_t frames = 0;
  std::uint32_t wire_len = 0;      // sum over the fragments' frames (saturating)
  std::uint8_t next_header = 0;    // from the offset-0 fragment
  core::AppId app = core::kNoApp;  // the first app any fragment named
};

struct FragmentResult {
  bool complete = false;           // `out` now holds the whole datagram
  bool overlap_conflict = false;   // this fragment overlapped earlier bytes with different ones
  const char* rejected = nullptr;  // why the fragment was dropped, or null when it was used
};

// Not thread-safe; one per Decoder.
class Defragmenter {
 public:
  // Largest fragmentable part we rebuild: the IP length fields are 16 bits.
  static constexpr std::uint32_t kMaxDatagram = 65535;
  // Distinct byte ranges (holes between them) kept per datagram; more is an attack, not a network.
  static constexpr std::size_t kMaxRanges = 256;

  Defragmenter(const Limits& limits, core::Counters<DecodeCounter>& counters)
      : limits_(limits), counters_(counters) {}

  [[nodiscard]] bool idle() const noexcept { return order_.empty(); }
  [[nodiscard]] std::size_t pending() const noexcept { return order_.size(); }
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return bytes_; }

  // Drops datagrams whose first fragment is more than the timeout older than `now`.
  void expire(core::Timestamp now);
  // Adds one fragment (counted as kFragments). On completion fills `out` and forgets the datagram.
  FragmentResult add(const Fragment& f, Reassembled& out);

 private:
  struct Range {
    std::uint32_t begin, end;
  };
  struct Datagram {
    FragmentKey key;
    core::Timestamp first;
    std::vector<std::uint8_t> data;
    std::vector<Range> have;  // sorted, disjoint, not adjacent
    std::uint32_t total = kUnknownTotal;
    std::uint32_t frames = 0;
    std::uint32_t wire_len = 0;
    std::uint8_t next_header = 0;
    core::AppId app = core::kNoApp;
  };
  static constexpr std::uint32_t kUnknownTotal = 0xFFFFFFFF;
  using List = std::list<Datagram>;

  void drop(List::iterator it);
  // Copies the bytes of [begin, end) not yet held; true when some held byte differed.
  bool merge(Datagram& d, std::uint32_t begin, core::Bytes bytes);

  Limits limits_;
  core::Counters<DecodeCounter>& counters_;
  List order_;  // oldest first: eviction and expiry pop the front
  absl::flat_hash_map<FragmentKey, List::iterator> index_;
  std::size_t bytes_ = 0;
};

}  // namespace tattle::decode
