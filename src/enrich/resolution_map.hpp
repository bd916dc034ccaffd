// Which names each client resolved each address to, and when. A connection takes the name its
// own client resolved for the server's address most recently before the connection began (not
// whatever any client resolved last). Names from pcapng NRB blocks, which carry neither client
// nor time, answer when the client's own DNS does not. Thread-safe (workers add and look up)
// unless set_shared(false).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/container/inlined_vector.h>

#include "core/ip_address.hpp"
#include "core/timestamp.hpp"
#include "core/worker_lock.hpp"
#include "dissect/dns.hpp"

namespace tattle::enrich {

// The name a client asked for, then the CNAME targets that led to an address: the first is what
// the app wanted, the last what answered for it (often a CDN's name).
using NameChain = std::vector<std::string>;

class ResolutionMap {
 public:
  static constexpr std::size_t kMaxKeys = 1 << 20;   // (client, address) pairs
  static constexpr std::size_t kPerKey = 4;          // resolutions kept per pair, the latest
  static constexpr std::size_t kMaxChain = 8;        // CNAME steps followed
  static constexpr std::size_t kMaxChains = 1 << 16;  // distinct chains shared (interned)

  // Records every address a DNS response gave its client (A, AAAA, SVCB/HTTPS hints).
  void add(const dissect::DnsTransaction& t);
  // A name the capture tool already knew (pcapng NRB): for any client, at any time.
  void add_known(const core::IpAddress& addr, const std::string& name);

  // The chain `client` resolved for `server` most recently at or before `time`; else the NRB
  // name; else null.
  [[nodiscard]] std::shared_ptr<const NameChain> lookup(const core::IpAddress& client,
                                                        const core::IpAddress& server,
                                                        core::Timestamp time) const;
  // Resolutions not kept because the map was full.
  [[nodiscard]] std::uint64_t dropped() const;
  // False when one thread does all the work: then nothing is locked.
  void set_shared(bool shared) { lock_.set_shared(shared); }

 private:
  struct Resolution {
    core::Timestamp time;
    std::shared_ptr<const NameChain> chain;
  };
  struct Key {
    core::IpAddress client, addr;
    bool operator==(const Key&) const = default;
    template <class H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.client, k.addr);
    }
  };

  // Chains compare as their names in order; a chain is looked up by views of its names.
  using ChainView = std::span<const std::string_view>;
  template <class Names>
  static std::size_t hash_names(const Names& names) {
    std::size_t h = names.size();
    for (const auto& n : names) h = h * 1000003 ^ std::hash<std::string_view>{}(n);
    return h;
  }
  struct ChainHash {
    using is_transparent = void;
    std::size_t operator()(const std::shared_ptr<const NameChain>& c) const { return hash_names(*c); }
    std::size_t operator()(ChainView v) const { return hash_names(v); }
  };
  struct ChainEq {
    using is_transparent = void;
    template <class A, class B>
    static bool same(const A& a, const B& b) {
      return a.size() == b.size() &&
             std::equal(a.begin(), a.end(), b.begin(), [](std::string_view x, std::string_view y) { return x == y; });
    }
    bool operator()(const std::shared_ptr<const NameChain>& a, const std::shared_ptr<const NameChain>& b) const {
      return same(*a, *b);
    }
    bool operator()(const std::shared_ptr<const NameChain>& a, ChainView b) const { return same(*a, b); }
    bool operator()(ChainView a, const std::shared_ptr<const NameChain>& b) const { return same(a, *b); }
  };
  // The chain with these names: the one already held, else a new one (held while there is room).
  std::shared_ptr<const NameChain> intern(ChainView names);

  mutable core::WorkerLock lock_;
  // Every distinct chain once, shared by all the resolutions that name it: clients resolve the
  // same few names again and again.
  absl::flat_hash_set<std::shared_ptr<const NameChain>, ChainHash, ChainEq> chains_;
  // Mostly one resolution per pair: kept inline.
  absl::flat_hash_map<Key, absl::InlinedVector<Resolution, 1>> resolved_;
  absl::flat_hash_map<core::IpAddress, std::shared_ptr<const NameChain>> known_;
  std::uint64_t dropped_ = 0;
};

}  // namespace tattle::enrich
