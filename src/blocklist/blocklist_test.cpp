#include <absl/strings/match.h>
#include <gtest/gtest.h>

#include "blocklist/formats.hpp"
#include "blocklist/names.hpp"
#include "blocklist/report_reader.hpp"
#include "blocklist/selection.hpp"

namespace tattle::blocklist {
namespace {

using core::IpAddress;

IpAddress ip(const char* text) { return IpAddress::parse(text); }

const PublicSuffixes& psl() {
  static const PublicSuffixes p = *PublicSuffixes::load();
  return p;
}

// ---- names ----

TEST(PublicAddress, LeavesOutSpecialPurposeRanges) {
  for (const char* yes : {"8.8.8.8", "93.184.216.34", "172.15.255.255", "172.32.0.0", "100.63.255.255",
                          "100.128.0.0", "223.255.255.255", "2606:4700::1111", "2a00:1450:4001::200e",
                          "64:ff9b::808:808"}) {
    EXPECT_TRUE(is_public_address(ip(yes))) << yes;
  }
  for (const char* no : {"0.0.0.0", "10.1.2.3", "100.64.0.1", "100.127.255.255", "127.0.0.1", "169.254.1.1",
                         "172.16.0.1", "172.31.255.255", "192.0.0.9", "192.0.2.1", "192.168.1.1", "198.18.0.1",
                         "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.251", "239.255.255.250",
                         "240.0.0.1", "255.255.255.255", "::", "::1", "::ffff:8.8.8.8", "100::1", "2001:db8::1",
                         "3fff::1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::fb"}) {
    EXPECT_FALSE(is_public_address(ip(no))) << no;
  }
  EXPECT_FALSE(is_public_address(IpAddress{}));
}

TEST(PublicSuffixes, ReducesToTheRegistrableDomain) {
  EXPECT_EQ(psl().registrable("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(psl().registrable("example.co.uk"), "example.co.uk");
  EXPECT_EQ(psl().registrable("api16-normal.tiktokv.com"), "tiktokv.com");
  EXPECT_EQ(psl().registrable("user.github.io"), "user.github.io");  // github.io is a (private) suffix
  EXPECT_EQ(psl().registrable("co.uk"), "co.uk");                    // no registrable domain: unchanged
}

TEST(PublicSuffixes, KnowsSuffixesAndSingleLabels) {
  for (const char* suffix : {"com", "co.uk", "github.io", "localhost", "intranet"}) {
    EXPECT_TRUE(psl().is_public_suffix(suffix)) << suffix;
  }
  for (const char* name : {"example.com", "example.co.uk", "user.github.io"}) {
    EXPECT_FALSE(psl().is_public_suffix(name)) << name;
  }
}

// ---- selection ----

Destination destination() {
  Destination d;
  d.ip = "203.0.113.7";
  d.names = {"a.example.com"};
  d.asn = 64500;
  d.country = "US";
  d.owner = "Example Ads Ltd";
  d.owner_parent = "Example Holdings";
  d.jurisdictions = {"GB", "KY"};
  d.tags = {"advertising", "tracking"};
  return d;
}

TEST(Filters, NoFilterSelectsEverything) {
  EXPECT_TRUE(Filters{}.matches(destination()));
  EXPECT_TRUE(Filters{}.matches(Destination{}));
}

TEST(Filters, OwnerMatchesOwnerOrTopmostParentInAnyCase) {
  Filters f;
  f.owners = {"example holdings"};
  EXPECT_TRUE(f.matches(destination()));
  f.owners = {"EXAMPLE ADS LTD"};
  EXPECT_TRUE(f.matches(destination()));
  f.owners = {"Example"};  // whole names, not parts
  EXPECT_FALSE(f.matches(destination()));
  f.owners = {"Other", "Example Holdings"};  // any of the values
  EXPECT_TRUE(f.matches(destination()));
  Destination unowned = destination();
  unowned.owner = unowned.owner_parent = {};
  EXPECT_FALSE(f.matches(unowned));
}

TEST(Filters, EachKindMatchesAnyOfItsValues) {
  Filters f;
  f.jurisdictions = {"cn", "ky"};
  EXPECT_TRUE(f.matches(destination()));
  f.jurisdictions = {"CN"};
  EXPECT_FALSE(f.matches(destination()));

  f = {};
  f.countries = {"us"};
  EXPECT_TRUE(f.matches(destination()));
  f.countries = {"GB"};  // a jurisdiction, but not where it is hosted
  EXPECT_FALSE(f.matches(destination()));

  f = {};
  f.tags = {"Tracking"};
  EXPECT_TRUE(f.matches(destination()));
  f.tags = {"analytics"};
  EXPECT_FALSE(f.matches(destination()));

  f = {};
  f.asns = {1, 64500};
  EXPECT_TRUE(f.matches(destination()));
  f.asns = {64501};
  EXPECT_FALSE(f.matches(destination()));
  Destination no_asn = destination();
  no_asn.asn.reset();
  EXPECT_FALSE(f.matches(no_asn));
}

TEST(Filters, AllGivenKindsMustMatch) {
  Filters f;
  f.owners = {"Example Holdings"};
  f.countries = {"US"};
  EXPECT_TRUE(f.matches(destination()));
  f.countries = {"DE"};
  EXPECT_FALSE(f.matches(destination()));
}

TEST(Collector, KeepsValidNamesSortedAndDeduplicated) {
  Collector c(psl(), false);
  Destination d;
  d.ip = "203.0.113.7";
  d.names = {"b.example.com", "A.Example.com.", "a.example.com"};
  c.add(d);
  d.names = {"b.example.com"};
  d.ip = "198.51.100.1";
  c.add(d);
  const Blocklist b = std::move(c).finish();
  EXPECT_EQ(b.names, (std::vector<std::string>{"a.example.com", "b.example.com"}));
}

TEST(Collector, LeavesOutHostileNamesAndCountsThem) {
  Collector c(psl(), false);
  Destination d;
  d.names = {"evil.com\naddress=/#/", "evil.com\" always_nxdomain\nserver:", "a b.com", "x/y.com", "#x.com",
             "ok.example.com", "evil.com\naddress=/#/"};
  c.add(d);
  d.names = {"com", "co.uk", "localhost", "github.io", "com", "www.co.uk", "www.github.io", "www.example.co.uk"};
  c.add(d);
  EXPECT_EQ(c.selected(), 2u);
  const LeftOut out = c.left_out();
  EXPECT_EQ(out.invalid_names, 5u);  // distinct values
  EXPECT_EQ(out.public_suffixes, 6u);
  const Blocklist b = std::move(c).finish();
  EXPECT_EQ(b.names, (std::vector<std::string>{"ok.example.com", "www.example.co.uk"}));
}

TEST(Collector, RegistrableReducesAndDeduplicates) {
  Collector c(psl(), true);
  Destination d;
  d.names = {"a.b.example.co.uk", "example.co.uk", "api.tiktokv.com", "log.tiktokv.com", "user.github.io",
             "a.www.co.uk", "co.uk"};
  c.add(d);
  EXPECT_EQ(c.left_out().public_suffixes, 2u);  // co.uk, and a.www.co.uk for what it reduces to
  const Blocklist b = std::move(c).finish();
  EXPECT_EQ(b.names, (std::vector<std::string>{"example.co.uk", "tiktokv.com", "user.github.io"}));
}

TEST(Collector, RegistrableKeepsFrontNamesWhole) {
  Collector c(psl(), true);
  Destination d;
  d.names = {"www.tiktok.com", "www.tiktok.com.edgekey.net", "e12922.dscx.akamaiedge.net"};
  d.front_names = {"www.tiktok.com.edgekey.net", "e12922.dscx.akamaiedge.net"};
  c.add(d);
  const Blocklist b = std::move(c).finish();
  EXPECT_EQ(b.names, (std::vector<std::string>{"e12922.dscx.akamaiedge.net", "tiktok.com", "www.tiktok.com.edgekey.net"}));
}

TEST(Collector, SortsAddressesAndLeavesOutLocalAndInvalidOnes) {
  Collector c(psl(), false);
  Destination d;
  for (const char* a : {"93.184.216.34", "8.8.8.8", "2606:4700::1111", "8.8.8.8", "192.168.1.1", "fe80::1",
                        "not an address", "8.8.4.4\0junk", "2a00:1450::1"}) {
    d.ip = a == std::string_view("8.8.4.4\0junk") ? std::string_view(a, 12) : std::string_view(a);
    c.add(d);
  }
  const LeftOut out = c.left_out();
  EXPECT_EQ(out.local_addresses, 2u);
  EXPECT_EQ(out.invalid_addresses, 2u);
  const Blocklist b = std::move(c).finish();
  EXPECT_EQ(b.ipv4, (std::vector<IpAddress>{ip("8.8.8.8"), ip("93.184.216.34")}));
  EXPECT_EQ(b.ipv6, (std::vector<IpAddress>{ip("2606:4700::1111"), ip("2a00:1450::1")}));
}

TEST(Collector, TracksUnnamedAndFrontedAddresses) {
  Collector c(psl(), false);
  Destination d;
  d.ip = "8.8.8.8";
  d.names = {"dns.google"};
  c.add(d);
  d.ip = "2606:4700::1111";
  d.names = {};
  c.add(d);
  d.ip = "1.1.1.1";
  d.names = {"bad name"};  // no usable name
  d.front = "Cloudflare";
  c.add(d);
  const Blocklist b = std::move(c).finish();
  EXPECT_EQ(b.unnamed, (std::vector<IpAddress>{ip("1.1.1.1"), ip("2606:4700::1111")}));
  EXPECT_EQ(b.fronted, std::vector<IpAddress>{ip("1.1.1.1")});
}

// ---- reader ----

struct Read {
  absl::Status status;
  std::vector<std::string> ips;
  std::vector<std::vector<std::string>> names;
  std::vector<std::string> owners;
};

Read read(std::string_view json) {
  const simdjson::padded_string padded(json);
  Read r;
  r.status = read_destinations("test.json", padded, [&](const Destination& d) {
    r.ips.emplace_back(d.ip);
    r.names.emplace_back(d.names.begin(), d.names.end());
    r.owners.emplace_back(d.owner);
  });
  return r;
}

TEST(ReadDestinations, ReadsTheFieldsItNeedsAndSkipsTheRest) {
  const Read r = read(R"({"schema": "tattle.audit/1", "tool": {"name": "tattle"},
    "flows": [{"id": 8, "names": 12, "nested": [[{"x": [1, 2, {"y": null}]}]]}],
    "destinations": [
      {"ip": "203.0.113.7", "port": 443, "proto": "tcp", "names": ["a.example.com", "b\u002eexample.com"],
       "asn": 64500, "as_name": "EXAMPLE", "country": "US", "owner": "Example", "owner_parent": null,
       "owner_jurisdiction": "US", "jurisdictions": ["US"], "front": null, "tags": [], "apps": [{"name": "x"}],
       "flows": 3, "bytes_out": 10, "bytes_in": 20, "first": "2024-01-01T00:00:00Z", "last": null},
      {"ip": null, "names": null, "asn": null, "country": null, "owner": null, "jurisdictions": null, "tags": null}
    ],
    "dns": [], "stats": {}}
  )");
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.ips, (std::vector<std::string>{"203.0.113.7", ""}));
  EXPECT_EQ(r.names, (std::vector<std::vector<std::string>>{{"a.example.com", "b.example.com"}, {}}));
  EXPECT_EQ(r.owners, (std::vector<std::string>{"Example", ""}));
}

TEST(ReadDestinations, FieldsAreNotCarriedOverToTheNextDestination) {
  const simdjson::padded_string json(std::string_view(
      R"({"schema":"tattle.audit/1","destinations":[)"
      R"({"ip":"8.8.8.8","asn":15169,"tags":["x"],"owner":"G"},{"ip":"1.1.1.1"}]})"));
  int n = 0;
  bool checked = false;
  ASSERT_TRUE(read_destinations("t", json, [&](const Destination& d) {
                if (++n < 2) return;
                EXPECT_EQ(d.ip, "1.1.1.1");
                EXPECT_FALSE(d.asn);
                EXPECT_TRUE(d.tags.empty());
                EXPECT_TRUE(d.owner.empty());
                checked = true;
              }).ok());
  EXPECT_TRUE(checked);
}

TEST(ReadDestinations, RejectsWhatIsNotATattleReport) {
  for (const char* json : {R"([1, 2])", R"("tattle.audit/1")", R"({})", R"({"schema": "other/1", "destinations": []})",
                           R"({"destinations": [], "schema": "tattle.audit/1"})", R"({"schema": 1})"}) {
    const Read r = read(json);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_TRUE(absl::StrContains(r.status.message(), "test.json: not a tattle report")) << r.status;
  }
}

TEST(ReadDestinations, RejectsAReportWithoutDestinations) {
  const Read r = read(R"({"schema": "tattle.audit/1", "flows": []})");
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(r.status.message(), "no \"destinations\"")) << r.status;
}

TEST(ReadDestinations, ReportsDamageWithItsPosition) {
  const std::string whole = R"({"schema": "tattle.audit/1", "destinations": [{"ip": "8.8.8.8", "names": ["a.com"]}]})";
  for (const std::size_t cut :
       {whole.size() - 1, whole.size() - 3, whole.size() / 2, std::size_t{10}, std::size_t{1}}) {
    const Read r = read(std::string_view(whole).substr(0, cut));
    EXPECT_EQ(r.status.code(), absl::StatusCode::kDataLoss) << cut << ": " << r.status;
    EXPECT_TRUE(absl::StrContains(r.status.message(), "test.json: damaged JSON")) << r.status;
  }
  EXPECT_EQ(read("").status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(read(whole + " {}").status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(read(whole + " \n").status.code(), absl::StatusCode::kOk);
  EXPECT_EQ(read(R"({"schema": "tattle.audit/1", "destinations": [{"ip": "8.8.8.8", "names": ["a.com" "b.com"]}]})")
                .status.code(),
            absl::StatusCode::kDataLoss);
}

TEST(ReadDestinations, ReportsFieldsOfTheWrongType) {
  for (const char* field : {R"("names": "a.com")", R"("names": [1])", R"("ip": 5)", R"("asn": "AS1")",
                            R"("asn": -1)", R"("tags": {})", R"("owner": ["x"])"}) {
    const Read r = read(std::string(R"({"schema": "tattle.audit/1", "destinations": [{"ip": "8.8.8.8"}, {)") + field +
                        "}]}");
    EXPECT_EQ(r.status.code(), absl::StatusCode::kDataLoss) << field;
    EXPECT_TRUE(absl::StrContains(r.status.message(), "test.json: destinations[1].")) << r.status;
    EXPECT_TRUE(absl::StrContains(r.status.message(), " is not a")) << r.status;
  }
  const Read r = read(R"({"schema": "tattle.audit/1", "destinations": [7]})");
  EXPECT_TRUE(absl::StrContains(r.status.message(), "destinations[0] near byte")) << r.status;
}

// ---- formats: expected texts written from each tool's documentation ----

Blocklist sample() {
  Blocklist b;
  b.names = {"a.example.com", "tracker.example.net", "www.example.org"};
  b.ipv4 = {ip("192.0.2.1"), ip("198.51.100.7")};
  b.ipv6 = {ip("2001:db8::1")};
  b.unnamed = {ip("198.51.100.7"), ip("2001:db8::1")};
  return b;
}

const Provenance kProvenance{"tattle 9.9", "out.json", "--owner ByteDance"};

TEST(Formats, Hosts) {
  EXPECT_EQ(hosts(sample(), kProvenance),
            "# Made by tattle 9.9 from out.json\n"
            "# Selected: --owner ByteDance\n"
            "0.0.0.0 a.example.com\n"
            "0.0.0.0 tracker.example.net\n"
            "0.0.0.0 www.example.org\n");
}

TEST(Formats, Domains) {
  EXPECT_EQ(domains(sample(), {"tattle 9.9", "-", ""}),
            "# Made by tattle 9.9 from -\n"
            "# Selected: every destination\n"
            "a.example.com\n"
            "tracker.example.net\n"
            "www.example.org\n");
}

TEST(Formats, Dnsmasq) {
  EXPECT_EQ(dnsmasq(sample(), kProvenance),
            "# Made by tattle 9.9 from out.json\n"
            "# Selected: --owner ByteDance\n"
            "address=/a.example.com/\n"
            "address=/tracker.example.net/\n"
            "address=/www.example.org/\n");
}

TEST(Formats, Unbound) {
  EXPECT_EQ(unbound(sample(), kProvenance),
            "# Made by tattle 9.9 from out.json\n"
            "# Selected: --owner ByteDance\n"
            "server:\n"
            "\tlocal-zone: \"a.example.com.\" always_nxdomain\n"
            "\tlocal-zone: \"tracker.example.net.\" always_nxdomain\n"
            "\tlocal-zone: \"www.example.org.\" always_nxdomain\n");
}

TEST(Formats, Rpz) {
  EXPECT_EQ(rpz(sample(), kProvenance, 1700000000),
            "; Made by tattle 9.9 from out.json\n"
            "; Selected: --owner ByteDance\n"
            "$TTL 300\n"
            "@ IN SOA localhost. hostmaster.localhost. 1700000000 3600 600 86400 300\n"
            "@ IN NS localhost.\n"
            "a.example.com CNAME .\n"
            "*.a.example.com CNAME .\n"
            "tracker.example.net CNAME .\n"
            "*.tracker.example.net CNAME .\n"
            "www.example.org CNAME .\n"
            "*.www.example.org CNAME .\n");
}

TEST(Formats, RpzLeavesOutNamesTooLongForTheirWildcard) {
  Blocklist b;
  const std::string fits = std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(61, 'c') + ".com";
  ASSERT_EQ(fits.size(), 187u);
  b.names = {"b" + fits, fits};
  EXPECT_EQ(rpz(b, kProvenance, 7),
            "; Made by tattle 9.9 from out.json\n"
            "; Selected: --owner ByteDance\n"
            "$TTL 300\n"
            "@ IN SOA localhost. hostmaster.localhost. 7 3600 600 86400 300\n"
            "@ IN NS localhost.\n" +
                fits + " CNAME .\n*." + fits + " CNAME .\n");
}

TEST(Formats, Nftables) {
  EXPECT_EQ(nftables(sample(), kProvenance, "tattle-blocklist"),
            "# Made by tattle 9.9 from out.json\n"
            "# Selected: --owner ByteDance\n"
            "# Load (as root): nft -f FILE (replaces an earlier table inet tattle-blocklist)\n"
            "# Remove: nft delete table inet tattle-blocklist\n"
            "table inet tattle-blocklist\n"
            "delete table inet tattle-blocklist\n"
            "table inet tattle-blocklist {\n"
            "\tset blocked_v4 {\n"
            "\t\ttype ipv4_addr\n"
            "\t\telements = {\n"
            "\t\t\t192.0.2.1,\n"
            "\t\t\t198.51.100.7\n"
            "\t\t}\n"
            "\t}\n"
            "\tset blocked_v6 {\n"
            "\t\ttype ipv6_addr\n"
            "\t\telements = {\n"
            "\t\t\t2001:db8::1\n"
            "\t\t}\n"
            "\t}\n"
            "\tchain output {\n"
            "\t\ttype filter hook output priority filter; policy accept;\n"
            "\t\tip daddr @blocked_v4 counter drop\n"
            "\t\tip6 daddr @blocked_v6 counter drop\n"
            "\t}\n"
            "\tchain forward {\n"
            "\t\ttype filter hook forward priority filter; policy accept;\n"
            "\t\tip daddr @blocked_v4 counter drop\n"
            "\t\tip6 daddr @blocked_v6 counter drop\n"
            "\t}\n"
            "}\n");
}

TEST(Formats, NftablesWithEmptySetsHasNoElementsClause) {
  const std::string text = nftables(Blocklist{}, kProvenance, "t");
  EXPECT_TRUE(absl::StrContains(text, "\tset blocked_v4 {\n\t\ttype ipv4_addr\n\t}\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\tset blocked_v6 {\n\t\ttype ipv6_addr\n\t}\n")) << text;
  EXPECT_FALSE(absl::StrContains(text, "elements")) << text;
}

TEST(Formats, Adblock) {
  EXPECT_EQ(adblock(sample(), kProvenance),
            "! Made by tattle 9.9 from out.json\n"
            "! Selected: --owner ByteDance\n"
            "||a.example.com^\n"
            "||tracker.example.net^\n"
            "||www.example.org^\n");
}

TEST(Formats, Pcapdroid) {
  Blocklist b = sample();
  b.names.push_back("example.org");  // also what www.example.org becomes
  EXPECT_EQ(pcapdroid(b),
            "{\"rules\": [\n"
            "  {\"type\": \"HOST\", \"value\": \"a.example.com\"},\n"
            "  {\"type\": \"HOST\", \"value\": \"example.org\"},\n"
            "  {\"type\": \"HOST\", \"value\": \"tracker.example.net\"},\n"
            "  {\"type\": \"IP\", \"value\": \"198.51.100.7\"},\n"
            "  {\"type\": \"IP\", \"value\": \"2001:db8::1\"}\n"
            "]}\n");
  EXPECT_EQ(pcapdroid(Blocklist{}), "{\"rules\": []}\n");
}

TEST(Formats, Opensnitch) {
  const auto files = render(Format::kOpensnitch, sample(), kProvenance,
                            {"tattle-blocklist", 1, "/etc/opensnitchd/blocklists/tattle-blocklist"});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, "tattle-blocklist.json");
  EXPECT_EQ(files[0].text,
            "{\n"
            "  \"name\": \"tattle-blocklist\",\n"
            "  \"description\": \"Made by tattle 9.9 from out.json. Selected: --owner ByteDance\",\n"
            "  \"enabled\": true,\n"
            "  \"precedence\": true,\n"
            "  \"nolog\": false,\n"
            "  \"action\": \"deny\",\n"
            "  \"duration\": \"always\",\n"
            "  \"operator\": {\n"
            "    \"type\": \"lists\",\n"
            "    \"operand\": \"lists.domains\",\n"
            "    \"sensitive\": false,\n"
            "    \"data\": \"/etc/opensnitchd/blocklists/tattle-blocklist\",\n"
            "    \"list\": []\n"
            "  }\n"
            "}\n");
  EXPECT_EQ(files[1].name, "tattle-blocklist.txt");
  EXPECT_EQ(files[1].text,
            "# Made by tattle 9.9 from out.json\n"
            "# Selected: --owner ByteDance\n"
            "0.0.0.0 a.example.com\n"
            "0.0.0.0 tracker.example.net\n"
            "0.0.0.0 www.example.org\n");
}

TEST(Formats, HeaderTextFromTheCommandLineCannotBreakOutOfItsComment) {
  const Provenance p{"tattle 9.9", "a\nb.json", "--owner X\naddress=/#/ --tag \"q\"\x7f\xc3\xa9"};
  EXPECT_EQ(domains(Blocklist{}, p),
            "# Made by tattle 9.9 from a\\x0ab.json\n"
            "# Selected: --owner X\\x0aaddress=/#/ --tag \"q\"\\x7f\\xc3\\xa9\n");
  const std::string rule = opensnitch_rule(p, "n", "/d\"ir\n");
  EXPECT_TRUE(absl::StrContains(rule, R"("description": "Made by tattle 9.9 from a\\x0ab.json. )"
                                      R"(Selected: --owner X\\x0aaddress=/#/ --tag \"q\"\\x7f\\xc3\\xa9",)"))
      << rule;
  EXPECT_TRUE(absl::StrContains(rule, R"("data": "/d\"ir\n",)")) << rule;
}

TEST(Formats, NamesAndParsing) {
  for (const auto& f : kFormats) EXPECT_EQ(parse_format(f.name), f.format);
  EXPECT_EQ(format_name(Format::kRpz), "rpz");
  EXPECT_EQ(parse_format("Hosts"), std::nullopt);
  EXPECT_TRUE(valid_list_name("tattle-blocklist"));
  EXPECT_TRUE(valid_list_name("bytedance_cn2"));
  for (const char* bad : {"", "-x", "_x", "a b", "a/b", "a.b", "A", "a;b"}) EXPECT_FALSE(valid_list_name(bad)) << bad;
  EXPECT_FALSE(valid_list_name(std::string(65, 'a')));
}

}  // namespace
}  // namespace tattle::blocklist
