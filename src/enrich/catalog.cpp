#include "enrich/catalog.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <absl/strings/ascii.h>
#include <fmt/format.h>

#include "core/status.hpp"
#include "enrich/toml_fields.hpp"

namespace tattle::enrich {

namespace {

bool country_code(const std::string& c) {
  return c.size() == 2 && absl::ascii_isupper(static_cast<unsigned char>(c[0])) &&
         absl::ascii_isupper(static_cast<unsigned char>(c[1]));
}

}  // namespace

absl::Status Catalog::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return load_file(path);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(path, ec))
    if (e.path().extension() == ".toml") files.push_back(e.path().string());
  if (ec) return absl::NotFoundError(fmt::format("{}: {}", path, ec.message()));
  std::sort(files.begin(), files.end());
  for (const auto& f : files) TATTLE_RETURN_IF_ERROR(load_file(f));
  return absl::OkStatus();
}

absl::Status Catalog::load_file(const std::string& path) {
  auto parsed = parse_toml_file(path);
  if (!parsed.ok()) return parsed.status();
  const TomlFields top(path, *parsed);
  TATTLE_RETURN_IF_ERROR(top.only({"entity"}));
  const toml::array* list = parsed->get_as<toml::array>("entity");
  if (list == nullptr || !list->is_homogeneous(toml::node_type::table))
    return absl::InvalidArgumentError(fmt::format("{}: expected [[entity]] tables", path));

  for (const auto& node : *list) {
    const TomlFields f(path, *node.as_table());
    TATTLE_RETURN_IF_ERROR(f.only({"name", "parent", "jurisdiction", "headquarters", "categories", "domains",
                                   "front_domains", "asns", "front_asns", "sources"}));
    std::string name;
    auto got = f.string("name", name);
    if (!got.ok()) return got.status();
    if (!*got || name.empty()) return absl::InvalidArgumentError(f.where() + "an entity needs a name");

    const std::string key = absl::AsciiStrToLower(name);
    auto [it, added] = by_name_.try_emplace(key, owners_.size());
    if (added) {
      owners_.emplace_back().name = name;
      entries_.emplace_back().owner = &owners_.back();
      parent_names_.emplace_back();
    }
    core::Owner& owner = owners_[it->second];
    Entry& entry = entries_[it->second];

    for (const auto& [k, out] : {std::pair{"jurisdiction", &owner.jurisdiction},
                                 std::pair{"headquarters", &owner.headquarters}}) {
      got = f.string(k, *out);
      if (!got.ok()) return got.status();
      if (*got && !out->empty() && !country_code(*out))
        return absl::InvalidArgumentError(fmt::format("{}{} must be an ISO 3166-1 alpha-2 code such as \"CN\"", f.where(k), k));
    }
    if (added && owner.jurisdiction.empty())
      return absl::InvalidArgumentError(fmt::format("{}{} has no jurisdiction", f.where(), name));
    if (owner.headquarters == owner.jurisdiction) owner.headquarters.clear();
    if (got = f.string("parent", parent_names_[it->second]); !got.ok()) return got.status();

    std::vector<std::string> categories, sources;
    if (got = f.strings("categories", categories); !got.ok()) return got.status();
    if (*got) owner.categories = std::move(categories);
    if (got = f.strings("sources", sources); !got.ok()) return got.status();

    for (const auto& [k, list_out, front] : {std::tuple{"domains", &entry.domains, false},
                                             std::tuple{"front_domains", &entry.front_domains, true}}) {
      std::vector<std::string> domains;
      if (got = f.strings(k, domains); !got.ok()) return got.status();
      for (const auto& d : domains) {
        auto c = normalize_hostname(d);
        if (!c) return absl::InvalidArgumentError(fmt::format("{}{}: \"{}\" is not a domain name", f.where(k), k, d));
        domains_.at(*c) = Match{&owner, front};
        list_out->push_back(std::move(*c));
      }
    }
    for (const auto& [k, list_out, front] : {std::tuple{"asns", &entry.asns, false},
                                             std::tuple{"front_asns", &entry.front_asns, true}}) {
      std::vector<std::uint32_t> asns;
      if (got = f.numbers(k, asns); !got.ok()) return got.status();
      for (const auto asn : asns) {
        asns_[asn] = Match{&owner, front};
        list_out->push_back(asn);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Catalog::link() {
  for (std::size_t i = 0; i < owners_.size(); ++i) {
    const std::string& parent = parent_names_[i];
    if (parent.empty()) continue;
    const core::Owner* p = find(parent);
    if (p == nullptr)
      return absl::InvalidArgumentError(fmt::format("entity {}: parent {} is not in the catalog", owners_[i].name, parent));
    owners_[i].parent = p;
  }
  for (const auto& o : owners_) {
    const core::Owner* p = o.parent;
    for (int depth = 0; p != nullptr; p = p->parent)
      if (p == &o || ++depth > core::Owner::kMaxDepth)
        return absl::InvalidArgumentError(fmt::format("entity {}: its parents form a cycle", o.name));
  }
  return absl::OkStatus();
}

const core::Owner* Catalog::find(std::string_view name) const {
  auto it = by_name_.find(absl::AsciiStrToLower(absl::string_view(name.data(), name.size())));
  return it != by_name_.end() ? &owners_[it->second] : nullptr;
}

}  // namespace tattle::enrich
