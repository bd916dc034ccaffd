#include "detect/policy.hpp"

#include <algorithm>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <fmt/format.h>

#include "core/status.hpp"
#include "enrich/domain_map.hpp"
#include "enrich/toml_fields.hpp"

namespace tattle::detect {

namespace {

absl::Status read_lists(const std::string& path, const toml::table& top, const char* section, Policy::Lists& out,
                        bool domains_allowed) {
  const toml::node* node = top.get(section);
  if (node == nullptr) return absl::OkStatus();
  const toml::table* t = node->as_table();
  if (t == nullptr)
    return absl::InvalidArgumentError(fmt::format("{}:{}: [{}] must be a table", path, node->source().begin.line, section));
  const enrich::TomlFields f(path, *t);
  if (domains_allowed) TATTLE_RETURN_IF_ERROR(f.only({"jurisdictions", "countries", "owners", "tags", "asns", "domains"}));
  else TATTLE_RETURN_IF_ERROR(f.only({"jurisdictions", "countries", "owners", "tags", "asns"}));
  for (const auto& [key, list] : {std::pair{"jurisdictions", &out.jurisdictions}, std::pair{"countries", &out.countries},
                                  std::pair{"owners", &out.owners}, std::pair{"tags", &out.tags},
                                  std::pair{"domains", &out.domains}}) {
    if (auto got = f.strings(key, *list); !got.ok()) return got.status();
  }
  for (auto& c : out.jurisdictions) c = absl::AsciiStrToUpper(c);
  for (auto& c : out.countries) c = absl::AsciiStrToUpper(c);
  for (auto& d : out.domains) d = enrich::canonical_name(d);
  if (auto got = f.numbers("asns", out.asns); !got.ok()) return got.status();
  return absl::OkStatus();
}

bool listed(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// The first owner in the chain of `o` (itself, then its parents) whose name is in `names`.
const core::Owner* owner_listed(const std::vector<std::string>& names, const core::Owner* o) {
  for (int depth = 0; o != nullptr && depth <= core::Owner::kMaxDepth; ++depth, o = o->parent)
    for (const auto& n : names)
      if (absl::EqualsIgnoreCase(n, o->name)) return o;
  return nullptr;
}

const core::Owner* owner_or_front_listed(const std::vector<std::string>& names, const flow::FlowRecord& f) {
  if (const auto* o = owner_listed(names, f.owner)) return o;
  return owner_listed(names, f.front);
}

bool under(std::string_view name, std::string_view domain) {
  return name == domain || (name.size() > domain.size() && name.ends_with(domain) &&
                            name[name.size() - domain.size() - 1] == '.');
}

}  // namespace

absl::Status Policy::load(const std::string& path) {
  auto parsed = enrich::parse_toml_file(path);
  if (!parsed.ok()) return parsed.status();
  const enrich::TomlFields top(path, *parsed);
  TATTLE_RETURN_IF_ERROR(top.only({"deny", "allow", "except"}));
  TATTLE_RETURN_IF_ERROR(read_lists(path, *parsed, "deny", deny_, false));
  TATTLE_RETURN_IF_ERROR(read_lists(path, *parsed, "allow", allow_, false));
  TATTLE_RETURN_IF_ERROR(read_lists(path, *parsed, "except", except_, true));
  if (deny_.empty() && allow_.empty())
    return absl::InvalidArgumentError(fmt::format("{}: the policy has no [deny] or [allow] rules", path));
  path_ = path;
  return absl::OkStatus();
}

void Policy::check(const flow::FlowRecord& f) {
  const std::string_view country = f.place != nullptr ? std::string_view(f.place->country) : std::string_view{};
  const std::uint32_t asn = f.place != nullptr ? f.place->asn : 0;
  // Built only when a rule asks: this runs for every flow.
  const bool by_jurisdiction =
      !deny_.jurisdictions.empty() || !allow_.jurisdictions.empty() || !except_.jurisdictions.empty();
  const std::vector<std::string> jurisdictions =
      by_jurisdiction && f.owner != nullptr ? f.owner->jurisdictions() : std::vector<std::string>{};

  // Exceptions first: an excepted flow breaches nothing.
  if (owner_or_front_listed(except_.owners, f) != nullptr) return;
  if (!country.empty() && listed(except_.countries, country)) return;
  if (asn != 0 && std::find(except_.asns.begin(), except_.asns.end(), asn) != except_.asns.end()) return;
  for (const auto t : f.tags)
    if (listed(except_.tags, t)) return;
  if (!except_.domains.empty()) {
    for (const auto& n : f.names) {
      const std::string c = enrich::canonical_name(n);
      for (const auto& d : except_.domains)
        if (under(c, d)) return;
    }
  }
  for (const auto& j : except_.jurisdictions)
    if (listed(jurisdictions, j)) return;

  for (const auto& j : jurisdictions)
    if (listed(deny_.jurisdictions, j)) breach(f, "deny.jurisdictions", j);
  if (!country.empty() && listed(deny_.countries, country)) breach(f, "deny.countries", std::string(country));
  if (asn != 0 && std::find(deny_.asns.begin(), deny_.asns.end(), asn) != deny_.asns.end())
    breach(f, "deny.asns", std::to_string(asn));
  if (const auto* o = owner_or_front_listed(deny_.owners, f)) breach(f, "deny.owners", o->name);
  for (const auto t : f.tags)
    if (listed(deny_.tags, t)) breach(f, "deny.tags", std::string(t));

  // Allow lists judge only what is known: a flow with no owner is not outside allow.owners.
  if (!allow_.countries.empty() && !country.empty() && !listed(allow_.countries, country))
    breach(f, "allow.countries", std::string(country));
  if (!allow_.jurisdictions.empty() && !jurisdictions.empty() &&
      std::none_of(jurisdictions.begin(), jurisdictions.end(), [&](const auto& j) { return listed(allow_.jurisdictions, j); }))
    breach(f, "allow.jurisdictions", jurisdictions.front());
  if (!allow_.owners.empty() && f.owner != nullptr && owner_or_front_listed(allow_.owners, f) == nullptr)
    breach(f, "allow.owners", f.owner->name);
  if (!allow_.asns.empty() && asn != 0 && std::find(allow_.asns.begin(), allow_.asns.end(), asn) == allow_.asns.end())
    breach(f, "allow.asns", std::to_string(asn));
  if (!allow_.tags.empty())
    for (const auto t : f.tags)
      if (!listed(allow_.tags, t)) breach(f, "allow.tags", std::string(t));
}

void Policy::breach(const flow::FlowRecord& f, const char* rule, std::string value) {
  Key key{rule, std::move(value), f.server, f.ip_proto, f.server.addr.version == 0 ? f.name : std::string{}};
  auto it = index_.find(key);
  if (it == index_.end()) {
    if (findings_.size() >= kMaxFindings) {
      ++dropped_;
      return;
    }
    Finding& n = findings_.emplace_back();
    n.rule = key.rule;
    n.value = key.value;
    n.server = f.server;
    n.ip_proto = f.ip_proto;
    n.name = f.name;
    n.owner = f.owner;
    n.place = f.place;
    n.first = f.start;
    n.last = f.end;
    it = index_.emplace(std::move(key), findings_.size() - 1).first;
  }
  Finding& n = findings_[it->second];
  ++n.flows;
  n.bytes_out += f.bytes[0];
  n.bytes_in += f.bytes[1];
  n.first = std::min(n.first, f.start);
  n.last = std::max(n.last, f.end);
  if (n.flow_ids.size() < Finding::kMaxFlowIds) n.flow_ids.push_back(f.id);
  if (f.app != core::kNoApp && std::find(n.apps.begin(), n.apps.end(), f.app) == n.apps.end() && n.apps.size() < 16)
    n.apps.push_back(f.app);
}

}  // namespace tattle::detect
