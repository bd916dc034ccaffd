#include "enrich/domain_map.hpp"

#include <absl/strings/ascii.h>

namespace tattle::enrich {

namespace {

bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

std::string canonical_name(std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
}

std::optional<std::string> normalize_hostname(std::string_view raw) {
  if (!raw.empty() && raw.back() == '.') raw.remove_suffix(1);
  if (raw.empty() || raw.size() > kMaxNameLength) return std::nullopt;
  std::string name(raw);
  std::size_t label_start = 0;
  bool all_digits = true;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      const std::size_t length = i - label_start;
      if (length == 0 || length > kMaxLabelLength) return std::nullopt;
      if (name[label_start] == '-' || name[i - 1] == '-') return std::nullopt;
      if (i == name.size() && all_digits) return std::nullopt;
      label_start = i + 1;
      all_digits = true;
      continue;
    }
    char& c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!label_char(c)) return std::nullopt;
    if (c < '0' || c > '9') all_digits = false;
  }
  return name;
}

}  // namespace tattle::enrich
