// Names matched by domain suffix: a key "example.com" matches "example.com" and every name under
// it. One hash probe per label of the name looked up, longest suffix first, so the cost does not
// grow with the size of the catalog or of the lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <absl/container/flat_hash_map.h>

namespace tattle::enrich {

// Lower-case, without a trailing dot: the form keys are stored and looked up in.
std::string canonical_name(std::string_view name);

// RFC 1035 §2.3.4: 255 octets on the wire are 253 characters of text without the final dot.
inline constexpr std::size_t kMaxNameLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

// `raw` in lower case without one final dot, if it is a host name: labels of 1 to 63 ASCII
// letters, digits, hyphens and underscores, no hyphen first or last, at most kMaxNameLength in
// all, the last label not all digits (that is an IPv4 address, not a name). Anything else —
// spaces, quotes, '/', '#', control bytes, `\DDD` escapes, non-ASCII, empty labels — gives
// nullopt. Underscores pass: they occur in real names (`_dns.resolver.arpa`) and are inert in
// every format we write.
std::optional<std::string> normalize_hostname(std::string_view raw);


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
