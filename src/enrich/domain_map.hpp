// Names matched by domain suffix: a key "example.com" matches "example.com" and every name under
// it. One hash probe per label of the name looked up, longest suffix first, so the cost does not
// grow with the size of the catalog or of the lists.
#pragma once

#include <string>
#include <string_view>

#include <absl/container/flat_hash_map.h>

namespace tattle::enrich {

// Lower-case, without a trailing dot: the form keys are stored and looked up in.
std::string canonical_name(std::string_view name);

template <class V>
class DomainMap {
 public:
  // The value for `domain` (canonical form), made if new.
  V& at(const std::string& domain) { return map_[domain]; }

  // The value of the longest suffix of `name` (canonical form) that is a key; null if none.
  [[nodiscard]] const V* longest(std::string_view name) const {
    const V* found = nullptr;
    for_each_suffix(name, [&](const V& v) {
      found = &v;
      return false;
    });
    return found;
  }
  // Calls fn(value) for every key that is a suffix of `name`, longest first, while it returns true.
  template <class Fn>
  void for_each_suffix(std::string_view name, Fn fn) const {
    if (map_.empty()) return;
    for (;;) {
      // Debian's abseil has its own string_view type.
      if (auto it = map_.find(absl::string_view(name.data(), name.size())); it != map_.end() && !fn(it->second)) return;
      const auto dot = name.find('.');
      if (dot == std::string_view::npos) return;
      name.remove_prefix(dot + 1);
    }
  }
  [[nodiscard]] std::size_t size() const { return map_.size(); }

 private:
  absl::flat_hash_map<std::string, V> map_;
};

}  // namespace tattle::enrich
