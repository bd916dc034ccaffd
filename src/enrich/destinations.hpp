// Flows summed per destination — one per server address, port and transport, or per name for
// App Privacy Report records, which have no address — for the reports,
// the terminal summary and block lists. Not thread-safe: fed from the sinks' side, one flow at a
// time. Bounded: beyond kMaxDestinations a new destination is counted, not kept.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

#include "core/app.hpp"
#include "core/ip_address.hpp"
#include "core/owner.hpp"
#include "core/timestamp.hpp"
#include "flow/flow_record.hpp"

namespace tattle::enrich {

struct Destination {
  static constexpr std::size_t kMaxApps = 16;

  core::Endpoint server;
  std::uint8_t ip_proto = 0;
  std::vector<std::string> names;  // every flow's names, at most flow::kMaxFlowNames
  std::uint16_t front_names = 0;   // bit i: names[i] is a front's name (FlowRecord::front_names)
  std::shared_ptr<const core::Place> place;
  // Flows to one address may be about several owners (a CDN's shared address); the owner is the
  // one the most bytes were sent to.
  const core::Owner* owner = nullptr;
  const core::Owner* front = nullptr;
  std::vector<std::string_view> tags;
  std::vector<core::AppId> apps;  // at most kMaxApps
  std::uint64_t flows = 0, bytes_out = 0, bytes_in = 0;
  std::uint64_t hits = 0;  // App Privacy Report records: the network accesses they sum
  core::Timestamp first, last;

 private:
  friend class DestinationTable;
  absl::InlinedVector<std::pair<const core::Owner*, std::uint64_t>, 1> owner_bytes_;
};

class DestinationTable {
 public:
  static constexpr std::size_t kMaxDestinations = 1 << 20;

  // `by_app`: one destination per app as well (for summaries grouped by app); each then has
  // one app, or none.
  explicit DestinationTable(bool by_app = false) : by_app_(by_app) {}
  void add(const flow::FlowRecord& f);
  // Every destination, most bytes sent first.
  [[nodiscard]] std::vector<const Destination*> by_bytes_out() const;
  [[nodiscard]] std::size_t size() const { return list_.size(); }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

 private:
  struct Key {
    core::Endpoint server;
    std::uint8_t ip_proto;
    core::AppId app;
    std::string name;  // only for records without a server address (App Privacy Report)
    bool operator==(const Key&) const = default;
    template <class H>
    friend H AbslHashValue(H h, const Key& k) {
      h = H::combine(std::move(h), k.server, k.ip_proto, k.app);
      // The name is empty whenever there is a server address: hashing it would change nothing.
      if (k.server.addr.version == 0) return H::combine(std::move(h), k.name);
      return h;
    }
  };
  bool by_app_;
  absl::flat_hash_map<Key, std::size_t> index_;
  std::vector<std::unique_ptr<Destination>> list_;
  std::uint64_t dropped_ = 0;
};

}  // namespace tattle::enrich
