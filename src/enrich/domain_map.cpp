#include "enrich/domain_map.hpp"

#include <absl/strings/ascii.h>

namespace tattle::enrich {

std::string canonical_name(std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
}

}  // namespace tattle::enrich
