// Block lists in the formats of the usual DNS servers, firewalls and blockers, from a Blocklist
// (selection.hpp). docs/blocklist.md says how each is loaded. Every format that has comments
// starts with a header naming the tool, the report and the selection; text from the command line
// in it is escaped, so that it stays one comment line. Names and addresses come checked from the
// Collector; nothing here writes anything else that came from a report.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blocklist/selection.hpp"

namespace tattle::blocklist {

enum class Format : std::uint8_t {
  kHosts,
  kDomains,
  kDnsmasq,
  kUnbound,
  kRpz,
  kNftables,
  kAdblock,
  kPcapdroid,
  kOpensnitch,
};

struct FormatInfo {
  Format format;
  std::string_view name;  // as --format takes it
  std::string_view summary;
};

inline constexpr std::array<FormatInfo, 9> kFormats = {{
    {Format::kHosts, "hosts", "hosts file: 0.0.0.0 NAME (each name exactly)"},
    {Format::kDomains, "domains", "one name per line"},
    {Format::kDnsmasq, "dnsmasq", "dnsmasq conf: address=/NAME/ (NXDOMAIN for NAME and below)"},
    {Format::kUnbound, "unbound", "unbound conf: local-zone \"NAME.\" always_nxdomain"},
    {Format::kRpz, "rpz", "BIND response-policy zone: NAME and *.NAME CNAME ."},
    {Format::kNftables, "nftables", "nft -f script: a table dropping traffic to the addresses"},
    {Format::kAdblock, "adblock", "adblock filter list: ||NAME^"},
    {Format::kPcapdroid, "pcapdroid", "PCAPdroid firewall rules (JSON, import in the app)"},
    {Format::kOpensnitch, "opensnitch", "OpenSnitch rule + domains list (two files: -o DIR)"},
}};

std::optional<Format> parse_format(std::string_view name);
std::string_view format_name(Format f);

// Where a list came from, for its header.
struct Provenance {
  std::string tool;       // "tattle 0.1.0"
  std::string report;     // the report as named on the command line
  std::string selection;  // the options that shaped the list ("--owner ByteDance --registrable"); empty: none
};

// What a format needs beyond the list.
struct FormatOptions {
  // Names the nftables table and the OpenSnitch rule and list files; valid_list_name().
  std::string name = "tattle-blocklist";
  std::uint32_t rpz_serial = 1;  // the RPZ zone's SOA serial; a reload needs a larger one
  std::string opensnitch_lists;  // the directory the OpenSnitch rule reads lists from
};

// 1 to 64 of [a-z0-9_-], starting with a letter or digit: safe as an nftables identifier, a rule
// name and a file name.
bool valid_list_name(std::string_view name);

// RPZ triggers are names under the policy zone: `*.NAME.ZONE` must fit in 253 characters, so
// with a zone name of up to kRpzZoneNameMax characters, NAME may have at most kRpzNameMax.
inline constexpr std::size_t kRpzZoneNameMax = 63;
inline constexpr std::size_t kRpzNameMax = 253 - 2 - 1 - kRpzZoneNameMax;
inline bool rpz_fits(std::string_view name) { return name.size() <= kRpzNameMax; }

// One function per format; each returns the whole file.
std::string hosts(const Blocklist& b, const Provenance& p);
std::string domains(const Blocklist& b, const Provenance& p);
std::string dnsmasq(const Blocklist& b, const Provenance& p);
std::string unbound(const Blocklist& b, const Provenance& p);
// Names that do not rpz_fits() are left out.
std::string rpz(const Blocklist& b, const Provenance& p, std::uint32_t serial);
// `table` names the table (valid_list_name()); loading the script replaces a table of that name.
std::string nftables(const Blocklist& b, const Provenance& p, std::string_view table);
std::string adblock(const Blocklist& b, const Provenance& p);
// {"rules": [...]} as PCAPdroid exports and imports its firewall lists: a HOST rule per name,
// with a leading "www." dropped as PCAPdroid does itself, and an IP rule per address of
// `b.unnamed` (the others are caught by name). JSON has no comments: no header.
std::string pcapdroid(const Blocklist& b);
// An OpenSnitch rule denying connections to the names of the domain lists in `lists_dir`
// (operator type "lists", operand "lists.domains"); the header goes into its description. The
// list it reads is hosts().
std::string opensnitch_rule(const Provenance& p, std::string_view name, std::string_view lists_dir);

// A file of output: `name` empty for the single file of most formats, else the file's name in
// the output directory.
struct OutputFile {
  std::string name;
  std::string text;
};
// The file(s) of format `f`: one, except for OpenSnitch's rule (`<name>.json`) and list
// (`<name>.txt`).
std::vector<OutputFile> render(Format f, const Blocklist& b, const Provenance& p, const FormatOptions& o);

}  // namespace tattle::blocklist
