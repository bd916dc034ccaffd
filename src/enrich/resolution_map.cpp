#include "enrich/resolution_map.hpp"

#include <algorithm>
#include <mutex>

#include <absl/container/inlined_vector.h>
#include <absl/strings/match.h>

namespace tattle::enrich {

namespace {

// Names compare case-insensitively (RFC 4343); the chain keeps them as the answer spelled them.
// (Debian's abseil has a string_view of its own.)
bool same_name(std::string_view a, std::string_view b) {
  // Mostly spelled alike within a response: a plain comparison first, much the cheaper.
  return a == b ||
         absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()), absl::string_view(b.data(), b.size()));
}

// The chain from the question to `owner` through the response's CNAMEs, or just `owner` when
// the CNAMEs do not lead there (the response answered something else too). Views into the
// transaction: a chain is copied only when the map holds none with these names.
using ChainRefs = absl::InlinedVector<std::string_view, ResolutionMap::kMaxChain>;

ChainRefs chain_to(const dissect::DnsTransaction& t, std::string_view owner) {
  ChainRefs chain{t.qname};
  while (!same_name(chain.back(), owner) && chain.size() < ResolutionMap::kMaxChain) {
    const auto next = std::find_if(t.answers.begin(), t.answers.end(), [&](const dissect::DnsAnswer& a) {
      return a.type == dissect::dns_type::kCname && same_name(a.name, chain.back());
    });
    if (next == t.answers.end() || next->target.empty()) return ChainRefs{owner};
    chain.push_back(next->target);
  }
  if (!same_name(chain.back(), owner)) return ChainRefs{owner};
  return chain;
}

}  // namespace

std::shared_ptr<const NameChain> ResolutionMap::intern(ChainView names) {
  if (const auto it = chains_.find(names); it != chains_.end()) return *it;
  auto chain = std::make_shared<const NameChain>(names.begin(), names.end());
  if (chains_.size() < kMaxChains) chains_.insert(chain);
  return chain;
}

void ResolutionMap::add(const dissect::DnsTransaction& t) {
  if (!t.answered || t.rcode != 0 || t.qname.empty()) return;
  // Records of one owner (several A records, say) share one chain, held (interned) only when a
  // resolution is recorded: most answers repeat the latest one for their client and address.
  ChainRefs refs;
  std::shared_ptr<const NameChain> chain;
  const std::string_view* chain_owner = nullptr;
  const std::lock_guard lock(lock_);
  for (const auto& a : t.answers) {
    if (a.addresses.empty()) continue;
    if (chain_owner == nullptr || !same_name(*chain_owner, a.name)) {
      refs = chain_to(t, a.name);
      chain = nullptr;
      chain_owner = &a.name;
    }
    const ChainView names(refs.data(), refs.size());
    for (const auto& addr : a.addresses) {
      const Key key{t.client.addr, addr};
      auto it = resolved_.find(key);
      if (it == resolved_.end()) {
        if (resolved_.size() >= kMaxKeys) {
          ++dropped_;
          continue;
        }
        it = resolved_.try_emplace(key).first;
      }
      auto& list = it->second;
      // The same chain again, after the latest: every lookup would answer as it does now.
      // Not recording it keeps an older resolution that a full list would have pushed out.
      const bool latest = list.empty() || !(t.response_time < list.back().time);
      if (latest && !list.empty() && ChainEq::same(*list.back().chain, names)) continue;
      if (chain == nullptr) chain = intern(names);
      // Kept in time order; inputs merged by time keep this an append.
      const auto at = std::upper_bound(list.begin(), list.end(), t.response_time,
                                       [](core::Timestamp ts, const Resolution& r) { return ts < r.time; });
      list.insert(at, Resolution{t.response_time, chain});
      if (list.size() > kPerKey) list.erase(list.begin());
    }
  }
}

void ResolutionMap::add_known(const core::IpAddress& addr, const std::string& name) {
  const std::lock_guard lock(lock_);
  if (known_.size() >= kMaxKeys) {
    ++dropped_;
    return;
  }
  known_.try_emplace(addr, std::make_shared<const NameChain>(NameChain{name}));
}

std::shared_ptr<const NameChain> ResolutionMap::lookup(const core::IpAddress& client, const core::IpAddress& server,
                                                       core::Timestamp time) const {
  const std::lock_guard lock(lock_);
  if (const auto it = resolved_.find(Key{client, server}); it != resolved_.end()) {
    const auto& list = it->second;
    const auto after = std::upper_bound(list.begin(), list.end(), time,
                                        [](core::Timestamp ts, const Resolution& r) { return ts < r.time; });
    if (after != list.begin()) return std::prev(after)->chain;
  }
  if (known_.empty()) return nullptr;  // most captures carry no NRB: no hashing for nothing
  if (const auto it = known_.find(server); it != known_.end()) return it->second;
  return nullptr;
}

std::uint64_t ResolutionMap::dropped() const {
  const std::lock_guard lock(lock_);
  return dropped_;
}

}  // namespace tattle::enrich
