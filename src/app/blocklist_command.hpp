// `tattle blocklist`: the destinations of a report (tattle audit --json), or the entities of the
// catalog, selected by owner, jurisdiction, hosting country, tag or ASN, as a block list for a
// DNS server, a firewall or a blocker (docs/blocklist.md).
#pragma once

#include <string>
#include <vector>

#include "blocklist/formats.hpp"
#include "blocklist/selection.hpp"

namespace CLI {
class App;
}

namespace tattle::app {

struct BlocklistOptions {
  std::string report;  // "-": standard input
  // Instead of a report: the entity catalog's own domains (the bundled one and/or these files).
  bool catalog = false;
  std::vector<std::string> entities;
  bool no_default_entities = false;
  blocklist::Filters filters;
  blocklist::Format format = blocklist::Format::kDomains;
  bool registrable = false;     // names reduced to their registrable domain
  std::string output;           // "" for standard output; a directory for OpenSnitch's two files
  std::string name = "tattle-blocklist";  // nftables table, OpenSnitch rule and list
  std::string opensnitch_lists;           // "" for /etc/opensnitchd/blocklists/<name>
};

// Declares the subcommand's arguments and options on `cmd`; parsing fills `options`. Values
// that cannot be right (a country that is not two letters, an unknown format) are parse errors.
void add_blocklist_options(CLI::App& cmd, BlocklistOptions& options);

// Reads the report, writes the list; messages on stderr. Returns kExitOk, kExitUsage (options
// that do not go together) or kExitUnreadable (the report cannot be read or is not a tattle
// report, or the output cannot be written).
int run_blocklist(const BlocklistOptions& options);

}  // namespace tattle::app
