#include "enrich/enricher.hpp"

#include <algorithm>

#include <absl/strings/ascii.h>

namespace tattle::enrich {

namespace {

// Names from the wire are nearly always canonical already; only the others are copied.
template <class Fn>
void with_canonical(const std::string& name, Fn fn) {
  const bool canonical = !name.empty() && name.back() != '.' &&
                         std::none_of(name.begin(), name.end(), [](char c) { return absl::ascii_isupper(static_cast<unsigned char>(c)); });
  if (canonical) fn(std::string_view(name));
  else fn(std::string_view(canonical_name(name)));
}

void add_tag(std::vector<std::string_view>& tags, std::string_view t) {
  if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
}

}  // namespace

void Enricher::enrich(flow::FlowRecord& f) const {
  f.place = locator_.lookup(f.server.addr);
  for (std::size_t i = 0; i < f.names.size(); ++i) {
    with_canonical(f.names[i], [&](std::string_view n) {
      const Catalog::Match m = catalog_.by_name(n);
      if (m.owner != nullptr) {
        if (!m.front && f.owner == nullptr) f.owner = m.owner;
        if (m.front && f.front == nullptr) f.front = m.owner;
        if (m.front) f.front_names |= static_cast<std::uint16_t>(1u << i);
      }
      if (!tags_.empty()) tags_.tags_of(n, f.tags);
    });
  }
  if (f.place != nullptr && f.place->asn != 0) {
    const Catalog::Match m = catalog_.by_asn(f.place->asn);
    // A network says who owns the server only when no name did: a name on a CDN's or cloud's
    // network belongs to the name's owner, and the network's operator is the front.
    if (m.owner != nullptr && !m.front && f.owner == nullptr) f.owner = m.owner;
    if (m.owner != nullptr && m.owner != f.owner && f.front == nullptr &&
        (m.front || (f.owner != nullptr && f.owner->top().name != m.owner->top().name)))
      f.front = m.owner;
  }
  if (f.front == f.owner) f.front = nullptr;
  if (f.owner != nullptr)
    for (const core::Owner* o = f.owner; o != nullptr; o = o->parent)
      for (const auto& c : o->categories) add_tag(f.tags, c);
  if (f.app == core::kNoApp && !apps_.empty()) f.app = apps_.find(f.client.addr);
}

}  // namespace tattle::enrich
