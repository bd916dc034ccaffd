// The entity catalog: which company owns which domains and networks, its parent and the
// countries whose law reaches it (data/entities/, format in docs/entities.md). Loaded once;
// lookups are lock-free reads afterwards.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>

#include "core/owner.hpp"
#include "enrich/domain_map.hpp"

namespace tattle::enrich {

class Catalog {
 public:
  // What a name or network says: its owner, or the CDN or cloud provider serving someone else's
  // content there (`front`).
  struct Match {
    const core::Owner* owner = nullptr;
    bool front = false;
  };
  // An entity as the file gave it, kept for block lists made from the catalog itself.
  struct Entry {
    const core::Owner* owner = nullptr;
    std::vector<std::string> domains, front_domains;
    std::vector<std::uint32_t> asns, front_asns;
  };

  // Reads a TOML file, or every *.toml file of a directory in name order. An entity whose name
  // is already known extends it: its domains and networks are added, the fields it gives
  // replace the earlier ones. A domain or network claimed again goes to the later claim, so
  // the user's files (loaded after the default catalog) win.
  absl::Status load(const std::string& path);
  // Links parents by name once every file is loaded; fails on an unknown parent or a cycle.
  absl::Status link();

  [[nodiscard]] Match by_name(std::string_view canonical) const {
    const Match* m = domains_.longest(canonical);
    return m != nullptr ? *m : Match{};
  }
  [[nodiscard]] Match by_asn(std::uint32_t asn) const {
    auto it = asns_.find(asn);
    return it != asns_.end() ? it->second : Match{};
  }
  [[nodiscard]] const core::Owner* find(std::string_view name) const;
  [[nodiscard]] const std::deque<Entry>& entries() const { return entries_; }
  [[nodiscard]] std::size_t size() const { return owners_.size(); }

 private:
  absl::Status load_file(const std::string& path);

  std::deque<core::Owner> owners_;  // a deque: Owners are pointed to and must not move
  std::deque<Entry> entries_;       // entries_[i] is about owners_[i]
  std::vector<std::string> parent_names_;
  absl::flat_hash_map<std::string, std::size_t> by_name_;  // lower-case name → index
  DomainMap<Match> domains_;
  absl::flat_hash_map<std::uint32_t, Match> asns_;
};

}  // namespace tattle::enrich
