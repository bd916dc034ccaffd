// What enrichment says about a flow's server: where its address is (Place: network and country)
// and who runs what the flow reached (Owner, from the entity catalog). Plain data, made once per
// address or catalog entry and shared by flows, destinations and the policy for the whole run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace tattle::core {

struct Place {
  std::uint32_t asn = 0;  // 0: no network known
  std::string as_name;
  std::string country;    // ISO 3166-1 alpha-2 of where the address is hosted; "" unknown
  bool anycast = false;   // served from many places: `country` is only where it is registered
};

struct Owner {
  std::string name;
  const Owner* parent = nullptr;   // the entity that owns this one, if the catalog names it
  std::string jurisdiction;        // ISO 3166-1 alpha-2: country of incorporation
  std::string headquarters;        // where it is run from, when not the jurisdiction; "" same
  std::vector<std::string> categories;  // advertising, analytics, cdn, ... (they become tags)

  // The topmost parent; the owner itself when it has none.
  [[nodiscard]] const Owner& top() const {
    const Owner* o = this;
    for (int depth = 0; o->parent != nullptr && depth < kMaxDepth; ++depth) o = o->parent;
    return *o;
  }
  // Every country whose law reaches the owner: where it and its parents are incorporated and
  // run from, without repeats, the owner's own first.
  [[nodiscard]] std::vector<std::string> jurisdictions() const {
    std::vector<std::string> out;
    const auto add = [&](const std::string& c) {
      if (!c.empty() && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    };
    const Owner* o = this;
    for (int depth = 0; o != nullptr && depth <= kMaxDepth; ++depth, o = o->parent) {
      add(o->jurisdiction);
      add(o->headquarters);
    }
    return out;
  }
  // Parent chains are checked for cycles when the catalog loads; the bound is a second guard.
  static constexpr int kMaxDepth = 16;
};

}  // namespace tattle::core
