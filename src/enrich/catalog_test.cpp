// The entity catalog, tag lists, app map, enricher and destination table, on small files written
// by the tests; the location database where Debian's libloc-database is installed.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "enrich/app_map.hpp"
#include "enrich/catalog.hpp"
#include "enrich/destinations.hpp"
#include "enrich/enricher.hpp"
#include "enrich/locator.hpp"
#include "enrich/tag_lists.hpp"

namespace tattle::enrich {
namespace {

using core::IpAddress;

// A file in the test's temporary directory holding `text`.
std::string write_file(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tattle-enrich-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

constexpr const char* kCatalog = R"(
[[entity]]
name = "Mother"
jurisdiction = "KY"
headquarters = "CN"
domains = ["mother.example"]
asns = [64500]
sources = ["test"]

[[entity]]
name = "Child"
parent = "Mother"
jurisdiction = "SG"
categories = ["social"]
domains = ["child.example", "child-cdn.example"]
sources = ["test"]

[[entity]]
name = "Edge"
jurisdiction = "US"
categories = ["cdn"]
domains = ["edge.example"]
front_domains = ["edgekey.example"]
front_asns = [64501]
sources = ["test"]
)";

Catalog loaded(const std::string& text) {
  Catalog c;
  EXPECT_TRUE(c.load(write_file("catalog.toml", text)).ok());
  EXPECT_TRUE(c.link().ok());
  return c;
}

TEST(NormalizeHostname, LowerCasesAndDropsTheFinalDot) {
  EXPECT_EQ(normalize_hostname("Tracker.Example.COM."), "tracker.example.com");
  EXPECT_EQ(normalize_hostname("a-b.x_y.example.net"), "a-b.x_y.example.net");
  EXPECT_EQ(normalize_hostname("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(normalize_hostname("123.example.com"), "123.example.com");
}

TEST(NormalizeHostname, RejectsWhatIsNotAHostName) {
  for (const std::string_view bad :
       {std::string_view(""), std::string_view("."), std::string_view(".."), std::string_view("a..b.com"),
        std::string_view(".a.com"), std::string_view("a.com.."), std::string_view("exa mple.com"),
        std::string_view("a.com\naddress=/#/"), std::string_view("a.com\r"), std::string_view("a\tb.com"),
        std::string_view("\"a.com"), std::string_view("a.com\" always_nxdomain"), std::string_view("a/b.com"),
        std::string_view("a.com#x"), std::string_view("a;b.com"), std::string_view("a.com^"),
        std::string_view("||a.com"), std::string_view("a\\046b.com"), std::string_view("a\0b.com", 7),
        std::string_view("-a.com"), std::string_view("a-.com"), std::string_view("a.-com"),
        std::string_view("b\xc3\xbc" "cher.de"), std::string_view("a.com:443"), std::string_view("*.a.com"),
        std::string_view("192.0.2.1"), std::string_view("1.2.3.4."), std::string_view("a@b.com")}) {
    EXPECT_EQ(normalize_hostname(bad), std::nullopt) << bad;
  }
}

TEST(NormalizeHostname, EnforcesLabelAndNameLengths) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(normalize_hostname(label63 + ".com"));
  EXPECT_FALSE(normalize_hostname(std::string(64, 'a') + ".com"));
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters.
  const std::string longest = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(longest.size(), 253u);
  EXPECT_TRUE(normalize_hostname(longest));
  EXPECT_TRUE(normalize_hostname(longest + "."));
  EXPECT_FALSE(normalize_hostname(longest + "b"));
}

TEST(Catalog, MatchesNamesByLongestDomainSuffix) {
  const Catalog c = loaded(kCatalog);
  EXPECT_EQ(c.size(), 3u);
  ASSERT_NE(c.by_name("api.child.example").owner, nullptr);
  EXPECT_EQ(c.by_name("api.child.example").owner->name, "Child");
  EXPECT_EQ(c.by_name("child.example").owner->name, "Child");
  EXPECT_EQ(c.by_name("notchild.example").owner, nullptr);  // a suffix of labels, not of characters
  EXPECT_EQ(c.by_name("example").owner, nullptr);
  EXPECT_TRUE(c.by_name("e123.edgekey.example").front);
  EXPECT_FALSE(c.by_name("www.edge.example").front);
  EXPECT_EQ(c.by_asn(64500).owner->name, "Mother");
  EXPECT_TRUE(c.by_asn(64501).front);
  EXPECT_EQ(c.by_asn(64502).owner, nullptr);
}

TEST(Catalog, ParentsGiveTheTopOwnerAndEveryJurisdiction) {
  const Catalog c = loaded(kCatalog);
  const core::Owner* child = c.find("child");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->top().name, "Mother");
  EXPECT_EQ(child->jurisdictions(), (std::vector<std::string>{"SG", "KY", "CN"}));
}

TEST(Catalog, ALaterFileExtendsAnEntityAndWinsAClaim) {
  Catalog c;
  ASSERT_TRUE(c.load(write_file("a.toml", kCatalog)).ok());
  ASSERT_TRUE(c.load(write_file("b.toml", R"(
[[entity]]
name = "Mine"
jurisdiction = "DE"
domains = ["mother.example"]
[[entity]]
name = "child"
domains = ["extra.example"]
)")).ok());
  ASSERT_TRUE(c.link().ok());
  EXPECT_EQ(c.size(), 4u);
  EXPECT_EQ(c.by_name("www.mother.example").owner->name, "Mine");
  EXPECT_EQ(c.by_name("extra.example").owner->name, "Child");
  EXPECT_EQ(c.find("Child")->jurisdiction, "SG");  // not given again: kept
}

TEST(Catalog, RefusesMistakesWithTheirFileAndLine) {
  Catalog c;
  const auto st = c.load(write_file("bad.toml", "[[entity]]\nname = \"X\"\njurisdiction = \"China\"\n"));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("bad.toml:3:"), std::string_view::npos) << st.message();
  EXPECT_FALSE(Catalog().load(write_file("key.toml", "[[entity]]\nname = \"X\"\njurisdiction = \"CN\"\ndomain = [\"x.example\"]\n")).ok());
  EXPECT_FALSE(Catalog().load(write_file("syntax.toml", "[[entity]\n")).ok());
  EXPECT_FALSE(Catalog().load(write_file("domain.toml", "[[entity]]\nname = \"X\"\njurisdiction = \"CN\"\ndomains = [\"a b.example\"]\n")).ok());

  Catalog orphan;
  ASSERT_TRUE(orphan.load(write_file("orphan.toml", "[[entity]]\nname = \"X\"\njurisdiction = \"CN\"\nparent = \"Nobody\"\n")).ok());
  EXPECT_FALSE(orphan.link().ok());
  Catalog cycle;
  ASSERT_TRUE(cycle.load(write_file("cycle.toml", "[[entity]]\nname = \"A\"\njurisdiction = \"CN\"\nparent = \"B\"\n"
                                                 "[[entity]]\nname = \"B\"\njurisdiction = \"CN\"\nparent = \"A\"\n")).ok());
  EXPECT_FALSE(cycle.link().ok());
}

TEST(TagLists, ReadsHostsAdblockAndPlainLines) {
  bool rule = false;
  EXPECT_EQ(list_line_domain("0.0.0.0 ads.example # comment", rule), "ads.example");
  EXPECT_EQ(list_line_domain("127.0.0.1\tTrack.Example.", rule), "track.example");
  EXPECT_EQ(list_line_domain("||metrics.example^", rule), "metrics.example");
  EXPECT_EQ(list_line_domain("||metrics.example^$third-party", rule), "metrics.example");
  EXPECT_EQ(list_line_domain("plain.example", rule), "plain.example");
  EXPECT_EQ(list_line_domain("127.0.0.1 localhost", rule), "");
  EXPECT_EQ(list_line_domain("||metrics.example/path^", rule), "");
  EXPECT_TRUE(rule);
  EXPECT_EQ(list_line_domain("@@||good.example^", rule), "");
  EXPECT_EQ(list_line_domain("example.com##.banner", rule), "");
  EXPECT_EQ(list_line_domain("! comment", rule), "");
  EXPECT_FALSE(rule);
  EXPECT_EQ(list_line_domain("# comment", rule), "");
  EXPECT_FALSE(rule);

  TagLists t;
  const auto loaded = t.load("tracker", write_file("list.txt", "# list\n0.0.0.0 ads.example\n||metrics.example^\nexample.com##.x\n"));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->domains, 2u);
  EXPECT_EQ(loaded->skipped, 1u);
  t.add("ads", "ads.example");
  std::vector<std::string_view> tags;
  t.tags_of("x.ads.example", tags);
  EXPECT_EQ(tags, (std::vector<std::string_view>{"tracker", "ads"}));
  tags.clear();
  t.tags_of("example", tags);
  EXPECT_TRUE(tags.empty());
}

TEST(AppMap, LongestPrefixWins) {
  core::AppRegistry apps;
  AppMap m;
  ASSERT_TRUE(m.load(write_file("apps.txt", "# devices\n10.0.0.0/8 office\n10.1.2.3 alice-phone\n2001:db8::/32 lab\n"), apps).ok());
  EXPECT_EQ(apps.display_name(m.find(IpAddress::parse("10.1.2.3"))), "alice-phone");
  EXPECT_EQ(apps.display_name(m.find(IpAddress::parse("10.9.9.9"))), "office");
  EXPECT_EQ(apps.display_name(m.find(IpAddress::parse("2001:db8::1"))), "lab");
  EXPECT_EQ(m.find(IpAddress::parse("192.0.2.1")), core::kNoApp);
  AppMap bad;
  const auto st = bad.load(write_file("bad.txt", "10.0.0.0/33 x\n"), apps);
  EXPECT_NE(st.message().find("bad.txt:1:"), std::string_view::npos) << st.message();
  EXPECT_FALSE(AppMap().load(write_file("bad2.txt", "not-an-address x\n"), apps).ok());
}

flow::FlowRecord flow_to(const char* server, std::vector<std::string> names) {
  flow::FlowRecord f;
  f.client = core::Endpoint{IpAddress::parse("10.1.2.3"), 50000};
  f.server = core::Endpoint{IpAddress::parse(server), 443};
  f.ip_proto = 6;
  for (const auto& n : names) f.add_name(n, flow::NameSource::kSni);
  f.bytes = {100, 1000};
  return f;
}

TEST(Enricher, OwnerFromNamesFrontFromCdnNamesAndTags) {
  const Catalog c = loaded(kCatalog);
  Locator locator;  // no database: places stay unknown
  TagLists tags;
  tags.add("listed", "child.example");
  core::AppRegistry apps;
  AppMap app_map;
  ASSERT_TRUE(app_map.load(write_file("apps.txt", "10.1.2.3 alice-phone\n"), apps).ok());
  const Enricher e(locator, c, tags, app_map);

  auto f = flow_to("192.0.2.1", {"API.Child.Example.", "e1.edgekey.example"});
  e.enrich(f);
  ASSERT_NE(f.owner, nullptr);
  EXPECT_EQ(f.owner->name, "Child");
  ASSERT_NE(f.front, nullptr);
  EXPECT_EQ(f.front->name, "Edge");
  EXPECT_EQ(f.tags, (std::vector<std::string_view>{"listed", "social"}));
  EXPECT_EQ(apps.display_name(f.app), "alice-phone");

  auto cdn_only = flow_to("192.0.2.2", {"e2.edgekey.example"});
  e.enrich(cdn_only);
  EXPECT_EQ(cdn_only.owner, nullptr);  // a CDN's edge name does not say whose content it is
  ASSERT_NE(cdn_only.front, nullptr);
}

TEST(DestinationTable, SumsFlowsPerServerAndKeepsTheBiggestOwner) {
  const Catalog c = loaded(kCatalog);
  DestinationTable t;
  auto a = flow_to("192.0.2.1", {"a.child.example"});
  a.owner = c.find("Child");
  a.start = core::Timestamp{10};
  a.end = core::Timestamp{20};
  auto b = flow_to("192.0.2.1", {"b.mother.example"});
  b.owner = c.find("Mother");
  b.bytes = {5000, 0};
  b.start = core::Timestamp{5};
  b.end = core::Timestamp{8};
  auto other = flow_to("192.0.2.9", {});
  t.add(a);
  t.add(b);
  t.add(other);
  const auto list = t.by_bytes_out();
  ASSERT_EQ(list.size(), 2u);
  const Destination& d = *list[0];
  EXPECT_EQ(d.flows, 2u);
  EXPECT_EQ(d.bytes_out, 5100u);
  EXPECT_EQ(d.bytes_in, 1000u);
  EXPECT_EQ(d.owner->name, "Mother");
  EXPECT_EQ(d.names, (std::vector<std::string>{"a.child.example", "b.mother.example"}));
  EXPECT_EQ(d.first.ns, 5);
  EXPECT_EQ(d.last.ns, 20);
}

TEST(Locator, FindsNetworkAndCountryInTheIpfireDatabase) {
  Locator l;
  ASSERT_TRUE(l.open_location("").ok());
  if (l.sources().empty()) GTEST_SKIP() << "no IPFire location database installed (libloc-database)";
  // Documentation and private ranges are in no network.
  EXPECT_EQ(l.lookup(IpAddress::parse("192.0.2.1")), nullptr);
  EXPECT_EQ(l.lookup(IpAddress::parse("10.1.2.3")), nullptr);
  // Google's public resolver: AS15169 in every release of the database since it began.
  const auto p = l.lookup(IpAddress::parse("8.8.8.8"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->asn, 15169u);
  EXPECT_EQ(l.lookup(IpAddress::parse("8.8.8.8")), p);  // cached
  EXPECT_FALSE(Locator().open_location("/nonexistent/location.db").ok());
}

}  // namespace
}  // namespace tattle::enrich
