#include "enrich/toml_fields.hpp"

#include <fmt/format.h>

namespace tattle::enrich {

std::string TomlFields::where(std::string_view key) const {
  const toml::node* n = key.empty() ? &table_ : table_.get(key);
  const auto line = n != nullptr ? n->source().begin.line : 0;
  return fmt::format("{}:{}: ", path_, line);
}

absl::StatusOr<bool> TomlFields::string(std::string_view key, std::string& out) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return false;
  const auto* s = n->as_string();
  if (s == nullptr) return absl::InvalidArgumentError(fmt::format("{}{} must be a string", where(key), key));
  out = s->get();
  return true;
}

absl::StatusOr<bool> TomlFields::strings(std::string_view key, std::vector<std::string>& out) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return false;
  const auto* a = n->as_array();
  if (a == nullptr || !a->is_homogeneous(toml::node_type::string))
    return absl::InvalidArgumentError(fmt::format("{}{} must be an array of strings", where(key), key));
  for (const auto& item : *a) out.push_back(item.as_string()->get());
  return true;
}

absl::StatusOr<bool> TomlFields::numbers(std::string_view key, std::vector<std::uint32_t>& out) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return false;
  const auto* a = n->as_array();
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        fmt::format("{}{} must be an array of numbers from 0 to 4294967295", where(key), key));
  };
  if (a == nullptr || !a->is_homogeneous(toml::node_type::integer)) return bad();
  for (const auto& item : *a) {
    const std::int64_t v = item.as_integer()->get();
    if (v < 0 || v > 0xffffffffLL) return bad();
    out.push_back(static_cast<std::uint32_t>(v));
  }
  return true;
}

absl::Status TomlFields::only(std::initializer_list<std::string_view> known) const {
  for (const auto& [k, v] : table_) {
    if (std::find(known.begin(), known.end(), k.str()) == known.end())
      return absl::InvalidArgumentError(fmt::format("{}unknown key {}", where(k.str()), k.str()));
  }
  return absl::OkStatus();
}

absl::StatusOr<toml::table> parse_toml_file(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return absl::InvalidArgumentError(
        fmt::format("{}:{}:{}: {}", path, at.line, at.column, std::string(e.description())));
  }
}

}  // namespace tattle::enrich
