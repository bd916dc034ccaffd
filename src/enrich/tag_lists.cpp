#include "enrich/tag_lists.hpp"

#include <algorithm>
#include <fstream>

#include <absl/strings/ascii.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <fmt/format.h>

#include "core/ip_address.hpp"

namespace tattle::enrich {

namespace {

std::string_view std_view(absl::string_view v) { return {v.data(), v.size()}; }

// A whole-domain rule's domain: a host name with at least two labels (a list's "localhost" or
// "local" names no one's servers).
std::string domain_of(std::string_view text) {
  auto name = normalize_hostname(text);
  if (!name || name->find('.') == std::string::npos || *name == "localhost.localdomain") return {};
  return std::move(*name);
}

}  // namespace

std::string list_line_domain(std::string_view text, bool& rule) {
  absl::string_view line = absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  rule = false;
  if (line.empty() || line[0] == '#' || line[0] == '!' || line[0] == '[') return {};
  rule = true;
  // Adblock: "||domain^" with optional "$options"; exceptions (@@) and anything narrower than a
  // whole domain (paths, wildcards, cosmetic rules) are not domain tags.
  if (absl::ConsumePrefix(&line, "||")) {
    const auto caret = line.find('^');
    if (caret == absl::string_view::npos) return {};
    const absl::string_view rest = line.substr(caret + 1);
    if (!rest.empty() && rest[0] != '$') return {};
    line = line.substr(0, caret);
    return domain_of(std_view(line));
  }
  // Hosts: "ADDRESS name [name ...]" (the first name counts); else a plain domain.
  std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  absl::string_view name = fields[0];
  if (core::IpAddress::parse(std::string(fields[0])).version != 0) {
    if (fields.size() < 2) return {};
    name = fields[1];
    if (const auto hash = name.find('#'); hash != absl::string_view::npos) name = name.substr(0, hash);
  } else if (fields.size() > 1 && fields[1][0] != '#') {
    return {};
  }
  return domain_of(std_view(name));
}

void TagLists::add(const std::string& tag, const std::string& domain) {
  auto t = std::find(tags_.begin(), tags_.end(), tag);
  if (t == tags_.end()) t = tags_.insert(tags_.end(), tag);
  const auto index = static_cast<std::uint16_t>(t - tags_.begin());
  auto& list = domains_.at(domain);
  if (std::find(list.begin(), list.end(), index) == list.end()) list.push_back(index);
}

absl::StatusOr<TagLists::Loaded> TagLists::load(const std::string& tag, const std::string& path) {
  if (tag.empty()) return absl::InvalidArgumentError(fmt::format("--tag-list {}: the tag name is empty", path));
  if (tags_.size() >= 0xffff) return absl::ResourceExhaustedError("too many tag lists");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot be read", path));
  Loaded loaded;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > kMaxLine) {
      ++loaded.skipped;
      continue;
    }
    bool rule = false;
    const std::string d = list_line_domain(line, rule);
    if (!d.empty()) {
      add(tag, d);
      ++loaded.domains;
    } else if (rule) {
      ++loaded.skipped;
    }
  }
  if (in.bad()) return absl::DataLossError(fmt::format("{}: read error", path));
  return loaded;
}

void TagLists::tags_of(std::string_view canonical, std::vector<std::string_view>& out) const {
  domains_.for_each_suffix(canonical, [&](const std::vector<std::uint16_t>& list) {
    for (const auto i : list)
      if (std::find(out.begin(), out.end(), tags_[i]) == out.end()) out.push_back(tags_[i]);
    return true;
  });
}

}  // namespace tattle::enrich
