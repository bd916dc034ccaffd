// Reading the project's TOML files (entity catalog, policy) with toml++: typed fields with
// messages that name the file, line and key, so a user can fix a hand-edited file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <toml++/toml.h>

namespace tattle::enrich {

class TomlFields {
 public:
  TomlFields(std::string path, const toml::table& table) : path_(std::move(path)), table_(table) {}

  // Each reads `key` when present (false when absent) and fails on a value of another type.
  absl::StatusOr<bool> string(std::string_view key, std::string& out) const;
  absl::StatusOr<bool> strings(std::string_view key, std::vector<std::string>& out) const;
  absl::StatusOr<bool> numbers(std::string_view key, std::vector<std::uint32_t>& out) const;
  // Fails on a key not in `known`: a misspelt key would otherwise be silently ignored.
  absl::Status only(std::initializer_list<std::string_view> known) const;
  // "file:line: " of `key`, or of the table itself.
  [[nodiscard]] std::string where(std::string_view key = {}) const;

 private:
  std::string path_;
  const toml::table& table_;
};

// Parses a TOML file; the error names the file, line and column.
absl::StatusOr<toml::table> parse_toml_file(const std::string& path);

}  // namespace tattle::enrich
