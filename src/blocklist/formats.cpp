#include "blocklist/formats.hpp"

#include <iterator>

#include <absl/container/btree_set.h>
#include <fmt/format.h>

#include "report/json_writer.hpp"

namespace tattle::blocklist {

namespace {

using Buffer = fmt::memory_buffer;

void put(Buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }

// Printable ASCII stays; every other byte becomes \xNN, so that a newline in a path or a
// filter value cannot end the comment it is in.
std::string escaped(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) out.push_back(ch);
    else fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
  }
  return out;
}

std::vector<std::string> header_lines(const Provenance& p) {
  return {
      fmt::format("Made by {} from {}", escaped(p.tool), escaped(p.report)),
      "Selected: " + (p.selection.empty() ? std::string("every destination") : escaped(p.selection)),
  };
}

// `mark` starts a comment line in the format.
void header(Buffer& out, std::string_view mark, const Provenance& p) {
  for (const auto& line : header_lines(p)) fmt::format_to(std::back_inserter(out), "{} {}\n", mark, line);
}

// The shape most formats share: a comment header, perhaps a preamble, then a line per name.
struct LineFormat {
  std::string_view mark;       // starts a comment
  std::string_view preamble;   // after the header
  std::string_view before;     // before each name
  std::string_view after;      // after each name
};

std::string line_per_name(const LineFormat& f, const Blocklist& b, const Provenance& p) {
  Buffer out;
  header(out, f.mark, p);
  put(out, f.preamble);
  for (const auto& name : b.names) {
    put(out, f.before);
    put(out, name);
    put(out, f.after);
    out.push_back('\n');
  }
  return fmt::to_string(out);
}

// `"key": "value",` on a line of its own, the value escaped.
void json_member(Buffer& out, std::string_view indent, std::string_view key, std::string_view value) {
  fmt::format_to(std::back_inserter(out), "{}\"{}\": ", indent, key);
  report::JsonWriter::quote(out, value);
  put(out, ",\n");
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  for (const auto& f : kFormats)
    if (f.name == name) return f.format;
  return std::nullopt;
}

std::string_view format_name(Format f) {
  for (const auto& info : kFormats)
    if (info.format == f) return info.name;
  return "?";
}

bool valid_list_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return false;
  for (const char c : name)
    if (!alnum(c) && c != '_' && c != '-') return false;
  return true;
}

std::string hosts(const Blocklist& b, const Provenance& p) {
  return line_per_name({"#", "", "0.0.0.0 ", ""}, b, p);
}

std::string domains(const Blocklist& b, const Provenance& p) { return line_per_name({"#", "", "", ""}, b, p); }

// dnsmasq(8), --address: "one or more domains with no address returns a no-such-domain answer"
// for the domain and all its subdomains.
std::string dnsmasq(const Blocklist& b, const Provenance& p) {
  return line_per_name({"#", "", "address=/", "/"}, b, p);
}

// unbound.conf(5), local-zone: always_nxdomain answers NXDOMAIN for the zone and every name
// below it, whatever upstream would say.
std::string unbound(const Blocklist& b, const Provenance& p) {
  return line_per_name({"#", "server:\n", "\tlocal-zone: \"", ".\" always_nxdomain"}, b, p);
}

std::string adblock(const Blocklist& b, const Provenance& p) { return line_per_name({"!", "", "||", "^"}, b, p); }

// A response-policy zone (draft-vixie-dnsop-dns-rpz, BIND's ARM): a QNAME
// trigger `NAME CNAME .` answers NXDOMAIN for NAME, and `*.NAME` for the names below it. Owner
// names are relative, so they sit under whatever the zone is called in named.conf.
std::string rpz(const Blocklist& b, const Provenance& p, std::uint32_t serial) {
  Buffer out;
  header(out, ";", p);
  fmt::format_to(std::back_inserter(out),
                 "$TTL 300\n"
                 "@ IN SOA localhost. hostmaster.localhost. {} 3600 600 86400 300\n"
                 "@ IN NS localhost.\n",
                 serial);
  for (const auto& name : b.names)
    if (rpz_fits(name)) fmt::format_to(std::back_inserter(out), "{0} CNAME .\n*.{0} CNAME .\n", name);
  return fmt::to_string(out);
}

// nft(8): `table` then `delete table` then the table's definition, in one transaction, creates
// it afresh whether or not it existed (Debian 12's nft 1.0.6 has no `destroy`). Output and
// forward chains drop packets to the sets: this machine's own traffic, and the traffic it routes
// for others (a phone sharing its connection).
std::string nftables(const Blocklist& b, const Provenance& p, std::string_view table) {
  Buffer out;
  header(out, "#", p);
  fmt::format_to(std::back_inserter(out),
                 "# Load (as root): nft -f FILE (replaces an earlier table inet {0})\n"
                 "# Remove: nft delete table inet {0}\n"
                 "table inet {0}\n"
                 "delete table inet {0}\n"
                 "table inet {0} {{\n",
                 table);
  const auto set = [&](std::string_view name, std::string_view type, const std::vector<core::IpAddress>& addresses) {
    fmt::format_to(std::back_inserter(out), "\tset {} {{\n\t\ttype {}\n", name, type);
    if (!addresses.empty()) {
      put(out, "\t\telements = {\n");
      for (std::size_t i = 0; i < addresses.size(); ++i)
        fmt::format_to(std::back_inserter(out), "\t\t\t{}{}\n", core::text(addresses[i]).view(),
                       i + 1 < addresses.size() ? "," : "");
      put(out, "\t\t}\n");
    }
    put(out, "\t}\n");
  };
  set("blocked_v4", "ipv4_addr", b.ipv4);
  set("blocked_v6", "ipv6_addr", b.ipv6);
  for (const std::string_view hook : {"output", "forward"}) {
    fmt::format_to(std::back_inserter(out),
                   "\tchain {0} {{\n"
                   "\t\ttype filter hook {0} priority filter; policy accept;\n"
                   "\t\tip daddr @blocked_v4 counter drop\n"
                   "\t\tip6 daddr @blocked_v6 counter drop\n"
                   "\t}}\n",
                   hook);
  }
  put(out, "}\n");
  return fmt::to_string(out);
}

// PCAPdroid (MatchList's JSON): {"rules": [{"type": "HOST"|"IP"|..., "value": "..."}]}. It
// drops a leading "www." from hosts when it adds or matches them, and a HOST rule also matches
// the names whose last two labels it is.
std::string pcapdroid(const Blocklist& b) {
  absl::btree_set<std::string_view> hosts;
  for (const auto& name : b.names) {
    std::string_view host = name;
    if (host.starts_with("www.")) host.remove_prefix(4);
    hosts.insert(host);
  }
  Buffer out;
  put(out, "{\"rules\": [");
  bool first = true;
  const auto rule = [&](std::string_view type, std::string_view value) {
    fmt::format_to(std::back_inserter(out), "{}\n  {{\"type\": \"{}\", \"value\": ", first ? "" : ",", type);
    report::JsonWriter::quote(out, value);
    out.push_back('}');
    first = false;
  };
  for (const auto host : hosts) rule("HOST", host);
  for (const auto& a : b.unnamed) rule("IP", core::text(a).view());
  put(out, first ? "]}\n" : "\n]}\n");
  return fmt::to_string(out);
}

// OpenSnitch (daemon/rule): a rule is a JSON file in the rules directory, named after the rule.
// Operator type "lists" with operand "lists.domains" reads every file with an extension in the
// directory `data`, taking the lines that start "0.0.0.0 " or "127.0.0.1 " (hosts format), and
// matches a connection's host exactly. "deny" ends rule evaluation at the first match.
std::string opensnitch_rule(const Provenance& p, std::string_view name, std::string_view lists_dir) {
  const auto lines = header_lines(p);
  Buffer out;
  put(out, "{\n");
  json_member(out, "  ", "name", name);
  json_member(out, "  ", "description", lines[0] + ". " + lines[1]);
  put(out,
      "  \"enabled\": true,\n"
      "  \"precedence\": true,\n"
      "  \"nolog\": false,\n"
      "  \"action\": \"deny\",\n"
      "  \"duration\": \"always\",\n"
      "  \"operator\": {\n"
      "    \"type\": \"lists\",\n"
      "    \"operand\": \"lists.domains\",\n"
      "    \"sensitive\": false,\n");
  json_member(out, "    ", "data", lists_dir);
  put(out,
      "    \"list\": []\n"
      "  }\n"
      "}\n");
  return fmt::to_string(out);
}

std::vector<OutputFile> render(Format f, const Blocklist& b, const Provenance& p, const FormatOptions& o) {
  switch (f) {
    case Format::kHosts: return {{"", hosts(b, p)}};
    case Format::kDomains: return {{"", domains(b, p)}};
    case Format::kDnsmasq: return {{"", dnsmasq(b, p)}};
    case Format::kUnbound: return {{"", unbound(b, p)}};
    case Format::kRpz: return {{"", rpz(b, p, o.rpz_serial)}};
    case Format::kNftables: return {{"", nftables(b, p, o.name)}};
    case Format::kAdblock: return {{"", adblock(b, p)}};
    case Format::kPcapdroid: return {{"", pcapdroid(b)}};
    case Format::kOpensnitch:
      return {{o.name + ".json", opensnitch_rule(p, o.name, o.opensnitch_lists)}, {o.name + ".txt", hosts(b, p)}};
  }
  return {};
}

}  // namespace tattle::blocklist
