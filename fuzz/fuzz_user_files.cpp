// The files users hand tattle, on arbitrary bytes: an entity catalog and a policy (TOML), an
// app map and a tag list (lines). Each reader must refuse or accept, never misbehave.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "detect/policy.hpp"
#include "enrich/app_map.hpp"
#include "enrich/catalog.hpp"
#include "enrich/tag_lists.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  // The readers take paths (they read users' files), so the input goes through one.
  static const std::string path = "/tmp/tattle-fuzz-user-file-" + std::to_string(getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);

  enrich::Catalog catalog;
  if (catalog.load(path).ok() && catalog.link().ok()) {
    for (const auto& e : catalog.entries()) {
      (void)e.owner->top();
      (void)e.owner->jurisdictions();
      for (const auto& d : e.domains) (void)catalog.by_name(d);
    }
  }
  detect::Policy policy;
  (void)policy.load(path);
  core::AppRegistry apps;
  enrich::AppMap map;
  if (map.load(path, apps).ok()) (void)map.find(core::IpAddress::parse("10.0.0.1"));
  enrich::TagLists tags;
  if (tags.load("t", path).ok()) {
    std::vector<std::string_view> out;
    tags.tags_of("a.b.example", out);
  }
  return 0;
}
