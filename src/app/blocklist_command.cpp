#include "app/blocklist_command.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/pipeline.hpp"
#include "blocklist/report_reader.hpp"
#include "core/status.hpp"
#include "enrich/catalog.hpp"

namespace tattle::app {

namespace {

namespace bl = blocklist;

bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Country codes are compared in any case, but a code that is not two letters is a mistake
// ("China", "UK ") the user should hear about rather than an empty list.
const CLI::Validator kCountryCode(
    [](std::string& code) -> std::string {
      if (code.size() != 2 || !ascii_letter(code[0]) || !ascii_letter(code[1]))
        return "a country is its two-letter ISO 3166-1 code, as CN or US";
      for (char& c : code)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      return "";
    },
    "");

// "AS15169" or "15169"; CLI11 then reads the number.
const CLI::Validator kAsn(
    [](std::string& asn) -> std::string {
      if (asn.size() > 2 && (asn[0] == 'A' || asn[0] == 'a') && (asn[1] == 'S' || asn[1] == 's')) asn.erase(0, 2);
      return "";
    },
    "");

const CLI::Validator kListName(
    [](std::string& name) -> std::string {
      return bl::valid_list_name(name) ? "" : "1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit";
    },
    "");

const CLI::Validator kNotEmpty(
    [](std::string& s) -> std::string { return s.empty() ? "must not be empty" : ""; }, "");

// The value as it could be typed again: quoted when it holds more than a shell word would.
std::string shell_word(std::string_view s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return ascii_letter(c) || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '/';
  });
  return plain ? std::string(s) : fmt::format("'{}'", s);
}

// The options that shaped the list, for its header.
std::string selection_text(const BlocklistOptions& o) {
  std::vector<std::string> parts;
  const auto add = [&](std::string_view option, const auto& values) {
    for (const auto& v : values) parts.push_back(fmt::format("{} {}", option, shell_word(fmt::format("{}", v))));
  };
  add("--owner", o.filters.owners);
  add("--jurisdiction", o.filters.jurisdictions);
  add("--country", o.filters.countries);
  add("--tag", o.filters.tags);
  add("--asn", o.filters.asns);
  if (o.registrable) parts.emplace_back("--registrable");
  return fmt::format("{}", fmt::join(parts, " "));
}

std::size_t count_in(const std::vector<core::IpAddress>& of, const std::vector<core::IpAddress>& in) {
  std::size_t n = 0;
  for (const auto& a : of)
    if (std::binary_search(in.begin(), in.end(), a)) ++n;
  return n;
}

// The lines of stderr that say what the list holds and what was left out of it.
void tell(const BlocklistOptions& o, std::uint64_t destinations, std::uint64_t selected, const bl::LeftOut& left,
          const bl::Blocklist& b) {
  fmt::print(stderr, "tattle: {} of {} {} selected: {} names, {} addresses\n", selected, destinations,
             o.catalog ? "entities" : "destinations", b.names.size(), b.ipv4.size() + b.ipv6.size());
  if (left.invalid_names > 0)
    fmt::print(stderr, "tattle: left out {} names that are not host names (a capture can put anything there)\n",
               left.invalid_names);
  if (left.public_suffixes > 0)
    fmt::print(stderr, "tattle: left out {} names that are public suffixes (blocking one blocks every site under it)\n",
               left.public_suffixes);
  if (left.invalid_addresses > 0)
    fmt::print(stderr, "tattle: left out {} \"ip\" values that are not addresses\n", left.invalid_addresses);
  if (left.local_addresses > 0)
    fmt::print(stderr, "tattle: left out {} local or special-purpose addresses (private, loopback, multicast, ...)\n",
               left.local_addresses);
  if (o.format == bl::Format::kRpz) {
    const auto too_long = std::count_if(b.names.begin(), b.names.end(), [](const auto& n) { return !bl::rpz_fits(n); });
    if (too_long > 0)
      fmt::print(stderr, "tattle: left out {} names longer than {} characters: *.NAME would not fit in a policy zone\n",
                 too_long, bl::kRpzNameMax);
  }
  std::size_t shared = 0;
  if (o.format == bl::Format::kNftables) shared = count_in(b.ipv4, b.fronted) + count_in(b.ipv6, b.fronted);
  if (o.format == bl::Format::kPcapdroid) shared = count_in(b.unnamed, b.fronted);
  if (shared > 0)
    fmt::print(stderr, "tattle: {} of the addresses belong to a CDN or cloud (\"front\"), which may serve other "
               "sites from them too\n", shared);
}

bool write_file(const std::string& path, const std::string& text) {
  std::FILE* f = path.empty() ? stdout : std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool flushed = f == stdout ? std::fflush(f) == 0 : std::fclose(f) == 0;
  return wrote && flushed;
}

absl::Status read_report(const BlocklistOptions& o, absl::FunctionRef<void(const bl::Destination&)> each) {
  auto text = bl::load_report(o.report);
  if (!text.ok()) return text.status();
  return bl::read_destinations(o.report == "-" ? "standard input" : o.report, *text, each);
}

// Each entity as a destination: its own domains (not those it serves for others), its owner and
// top parent, the countries whose law reaches it, its and its parents' categories as tags. The
// catalog places nothing, so --country and --asn select nothing from it.
absl::Status read_catalog(const BlocklistOptions& o, absl::FunctionRef<void(const bl::Destination&)> each) {
  enrich::Catalog catalog;
  TATTLE_RETURN_IF_ERROR(load_catalog(catalog, o.no_default_entities, o.entities));
  bl::Destination d;
  for (const auto& entry : catalog.entries()) {
    const core::Owner& owner = *entry.owner;
    const auto jurisdictions = owner.jurisdictions();
    d.clear();
    d.names.assign(entry.domains.begin(), entry.domains.end());
    d.owner = owner.name;
    if (owner.parent != nullptr) d.owner_parent = owner.top().name;
    d.jurisdictions.assign(jurisdictions.begin(), jurisdictions.end());
    for (const core::Owner* p = &owner; p != nullptr; p = p->parent)
      d.tags.insert(d.tags.end(), p->categories.begin(), p->categories.end());
    each(d);
  }
  return absl::OkStatus();
}

}  // namespace

void add_blocklist_options(CLI::App& cmd, BlocklistOptions& o) {
  auto* report = cmd.add_option("report", o.report, "A report written by tattle audit --json ('-': standard input)")
                     ->type_name("REPORT");
  auto* catalog = cmd.add_flag("--catalog", o.catalog,
                               "Instead of a report: every domain the entity catalog gives the selected owners");
  report->excludes(catalog);
  catalog->excludes(report);
  cmd.add_option("--entities", o.entities, "With --catalog: add an entity file or directory (docs/entities.md)")
      ->type_name("FILE");
  cmd.add_flag("--no-default-entities", o.no_default_entities, "With --catalog: leave out the bundled catalog");
  cmd.add_option("--owner", o.filters.owners,
                 "Destinations whose owner, or its topmost parent, is OWNER (the whole name, any case)")
      ->allow_extra_args(false)
      ->transform(kNotEmpty)
      ->type_name("OWNER");
  cmd.add_option("--jurisdiction", o.filters.jurisdictions,
                 "Destinations whose owner, or a parent of it, is incorporated or headquartered in CC")
      ->allow_extra_args(false)
      ->transform(kCountryCode)
      ->type_name("CC");
  cmd.add_option("--country", o.filters.countries, "Destinations hosted in CC")
      ->allow_extra_args(false)
      ->transform(kCountryCode)
      ->type_name("CC");
  cmd.add_option("--tag", o.filters.tags, "Destinations tagged TAG (advertising, tracking, ...)")
      ->allow_extra_args(false)
      ->transform(kNotEmpty)
      ->type_name("TAG");
  cmd.add_option("--asn", o.filters.asns, "Destinations in autonomous system N (AS15169 or 15169)")
      ->allow_extra_args(false)
      ->transform(kAsn)
      ->type_name("N");
  std::vector<std::string> formats;
  std::string format_help = "What to write (default domains):";
  for (const auto& f : bl::kFormats) {
    formats.emplace_back(f.name);
    format_help += fmt::format("\n  {:<11}{}", f.name, f.summary);
  }
  cmd.add_option_function<std::string>(
         "--format", [&o](const std::string& name) { o.format = *bl::parse_format(name); }, format_help)
      ->check(CLI::IsMember(formats))
      ->type_name("FORMAT");
  cmd.add_flag("--registrable", o.registrable,
               "Reduce names to their registrable domain (a.b.example.co.uk -> example.co.uk)");
  cmd.add_option("-o,--output", o.output, "Write to FILE (opensnitch: into the directory DIR), not standard output")
      ->type_name("FILE");
  cmd.add_option("--name", o.name, "Name of the nftables table and the OpenSnitch rule (default tattle-blocklist)")
      ->transform(kListName)
      ->type_name("NAME");
  cmd.add_option("--opensnitch-lists", o.opensnitch_lists,
                 "Directory the OpenSnitch rule reads its list from (default /etc/opensnitchd/blocklists/NAME)")
      ->type_name("DIR");
  cmd.footer("Each kind of filter may be given several times: a destination is selected when it matches one of the "
             "values of every kind given. No filter selects every destination. See docs/blocklist.md.");
}

int run_blocklist(const BlocklistOptions& o) {
  if (!bl::valid_list_name(o.name)) {
    fmt::print(stderr, "tattle: --name {}: not a list name\n", o.name);
    return kExitUsage;
  }
  const bool to_directory = o.format == bl::Format::kOpensnitch;
  if (to_directory && o.output.empty()) {
    fmt::print(stderr, "tattle: --format opensnitch writes a rule and a list: name a directory with -o\n");
    return kExitUsage;
  }
  if (o.report.empty() == !o.catalog) {
    fmt::print(stderr, "tattle: name a report, or --catalog\n");
    return kExitUsage;
  }
  auto psl = bl::PublicSuffixes::load();
  if (!psl.ok()) {
    fmt::print(stderr, "tattle: {}\n", std::string(psl.status().message()));
    return kExitUnreadable;
  }
  bl::Collector collector(*psl, o.registrable);
  std::uint64_t destinations = 0;
  const auto offer = [&](const bl::Destination& d) {
    ++destinations;
    if (o.filters.matches(d)) collector.add(d);
  };
  const absl::Status read = o.catalog ? read_catalog(o, offer) : read_report(o, offer);
  if (!read.ok()) {
    fmt::print(stderr, "tattle: {}\n", std::string(read.message()));
    return kExitUnreadable;
  }
  const std::uint64_t selected = collector.selected();
  const bl::LeftOut left = collector.left_out();
  const bl::Blocklist list = std::move(collector).finish();
  tell(o, destinations, selected, left, list);

  bl::FormatOptions format;
  format.name = o.name;
  // A zone's serial must grow for a reload to take it; the time does, run after run.
  format.rpz_serial = static_cast<std::uint32_t>(std::time(nullptr));
  format.opensnitch_lists = o.opensnitch_lists.empty() ? "/etc/opensnitchd/blocklists/" + o.name : o.opensnitch_lists;
  const bl::Provenance provenance{std::string("tattle ") + TATTLE_VERSION, o.catalog ? "the entity catalog" : o.report,
                                  selection_text(o)};
  const auto files = bl::render(o.format, list, provenance, format);

  if (to_directory) {
    std::error_code error;
    std::filesystem::create_directories(o.output, error);
    if (error) {
      fmt::print(stderr, "tattle: cannot make the directory {}: {}\n", o.output, error.message());
      return kExitUnreadable;
    }
  }
  for (const auto& file : files) {
    const std::string path = to_directory ? (std::filesystem::path(o.output) / file.name).string() : o.output;
    if (!write_file(path, file.text)) {
      fmt::print(stderr, "tattle: cannot write {}: {}\n", path.empty() ? "standard output" : path,
                 std::strerror(errno));
      return kExitUnreadable;
    }
    if (to_directory) fmt::print(stderr, "tattle: wrote {}\n", path);
  }
  return kExitOk;
}

}  // namespace tattle::app
