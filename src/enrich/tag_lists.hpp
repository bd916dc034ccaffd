// Tags from lists users already have: `--tag-list NAME=FILE` tags every flow whose name is in
// FILE (or under a domain in it) with NAME. FILE may be a hosts file ("0.0.0.0 ads.example"),
// an Adblock-style filter list ("||ads.example^"; only whole-domain rules are taken), or a plain
// list of domains, or a mix.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "enrich/domain_map.hpp"

namespace tattle::enrich {

class TagLists {
 public:
  struct Loaded {
    std::size_t domains = 0;  // domains taken from the file
    std::size_t skipped = 0;  // lines that were neither comments nor whole-domain rules
  };
  static constexpr std::size_t kMaxLine = 4096;

  // Adds the file's domains under tag `tag`.
  absl::StatusOr<Loaded> load(const std::string& tag, const std::string& path);
  // Adds one domain (canonical form) to `tag`; what load() does for each rule it takes.
  void add(const std::string& tag, const std::string& domain);
  // Appends to `out` the tags of `canonical` and of the domains above it, each once.
  void tags_of(std::string_view canonical, std::vector<std::string_view>& out) const;
  [[nodiscard]] bool empty() const { return domains_.size() == 0; }

 private:
  std::deque<std::string> tags_;  // a deque: flows hold views of its strings
  DomainMap<std::vector<std::uint16_t>> domains_;  // domain → indices into tags_
};

// The domain a list line names, or "" when the line is a comment or not a whole-domain rule.
// `rule` is set when the line was meant as a rule (so an unusable one is counted).
std::string list_line_domain(std::string_view line, bool& rule);

}  // namespace tattle::enrich
