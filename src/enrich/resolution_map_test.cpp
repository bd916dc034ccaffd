#include "enrich/resolution_map.hpp"

#include <gtest/gtest.h>

#include "enrich/namer.hpp"

namespace tattle::enrich {
namespace {

using core::IpAddress;

// A transaction with the records it views.
struct Answered {
  std::vector<dissect::DnsAnswer> records;
  dissect::DnsTransaction t;
  operator const dissect::DnsTransaction&() const { return t; }  // NOLINT: a test's shorthand
};

Answered answer(const char* client, std::int64_t at, const char* qname, std::vector<dissect::DnsAnswer> records) {
  Answered a{std::move(records), {}};
  a.t.client = core::Endpoint{IpAddress::parse(client), 5000};
  a.t.time = a.t.response_time = core::Timestamp{at};
  a.t.qname = qname;
  a.t.answered = true;
  a.t.answers = a.records;
  return a;
}

dissect::DnsAnswer a_record(const char* owner, const char* addr) {
  dissect::DnsAnswer a;
  a.name = owner;
  a.type = dissect::dns_type::kA;
  a.addresses.push_back(IpAddress::parse(addr));
  return a;
}

dissect::DnsAnswer cname(const char* owner, const char* target) {
  dissect::DnsAnswer a;
  a.name = owner;
  a.type = dissect::dns_type::kCname;
  a.target = target;
  return a;
}

const IpAddress kServer = IpAddress::parse("192.0.2.80");

TEST(ResolutionMap, EachClientGetsItsOwnLatestNameBeforeTheConnection) {
  ResolutionMap map;
  map.add(answer("10.0.0.1", 100, "a.example", {a_record("a.example", "192.0.2.80")}));
  map.add(answer("10.0.0.2", 200, "b.example", {a_record("b.example", "192.0.2.80")}));
  map.add(answer("10.0.0.1", 300, "c.example", {a_record("c.example", "192.0.2.80")}));
  const auto c1 = IpAddress::parse("10.0.0.1");
  // Not the global last writer (c.example or b.example), but this client's, before the time.
  ASSERT_NE(map.lookup(c1, kServer, core::Timestamp{250}), nullptr);
  EXPECT_EQ(map.lookup(c1, kServer, core::Timestamp{250})->front(), "a.example");
  EXPECT_EQ(map.lookup(c1, kServer, core::Timestamp{300})->front(), "c.example");
  EXPECT_EQ(map.lookup(IpAddress::parse("10.0.0.2"), kServer, core::Timestamp{250})->front(), "b.example");
  // Before any answer, and for a client that never asked: nothing.
  EXPECT_EQ(map.lookup(c1, kServer, core::Timestamp{50}), nullptr);
  EXPECT_EQ(map.lookup(IpAddress::parse("10.0.0.3"), kServer, core::Timestamp{999}), nullptr);
}

TEST(ResolutionMap, FollowsTheCnameChainAndFallsBackToKnownNames) {
  ResolutionMap map;
  map.add(answer("10.0.0.1", 100, "www.shop.example",
                 {cname("www.shop.example", "shop.cdn.example"), cname("shop.cdn.example", "e1.cdn.example"),
                  a_record("e1.cdn.example", "192.0.2.80")}));
  const auto chain = map.lookup(IpAddress::parse("10.0.0.1"), kServer, core::Timestamp{100});
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(*chain, (NameChain{"www.shop.example", "shop.cdn.example", "e1.cdn.example"}));

  map.add_known(IpAddress::parse("192.0.2.99"), "nrb.example");
  const auto known = map.lookup(IpAddress::parse("10.9.9.9"), IpAddress::parse("192.0.2.99"), core::Timestamp{0});
  ASSERT_NE(known, nullptr);
  EXPECT_EQ(known->front(), "nrb.example");
}

TEST(ResolutionMap, RepeatedAnswersDoNotPushOutAnOlderName) {
  ResolutionMap map;
  map.add(answer("10.0.0.1", 100, "old.example", {a_record("old.example", "192.0.2.80")}));
  // The same answer again and again, more often than resolutions are kept per pair.
  for (std::int64_t at = 200; at <= 200 + 100 * static_cast<std::int64_t>(ResolutionMap::kPerKey); at += 100)
    map.add(answer("10.0.0.1", at, "new.example", {a_record("new.example", "192.0.2.80")}));
  const auto client = IpAddress::parse("10.0.0.1");
  ASSERT_NE(map.lookup(client, kServer, core::Timestamp{150}), nullptr);
  EXPECT_EQ(map.lookup(client, kServer, core::Timestamp{150})->front(), "old.example");
  EXPECT_EQ(map.lookup(client, kServer, core::Timestamp{250})->front(), "new.example");
  EXPECT_EQ(map.lookup(client, kServer, core::Timestamp{9999})->front(), "new.example");
}

TEST(ResolutionMap, SharesOneChainAmongAllWhoResolvedIt) {
  ResolutionMap map;
  map.add(answer("10.0.0.1", 100, "api.example", {a_record("api.example", "192.0.2.80")}));
  map.add(answer("10.0.0.2", 200, "api.example", {a_record("api.example", "192.0.2.81")}));
  map.add(answer("10.0.0.2", 300, "other.example", {a_record("other.example", "192.0.2.81")}));
  const auto a = map.lookup(IpAddress::parse("10.0.0.1"), kServer, core::Timestamp{999});
  const auto b = map.lookup(IpAddress::parse("10.0.0.2"), IpAddress::parse("192.0.2.81"), core::Timestamp{250});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, b);  // one chain, not a copy per client and address
  EXPECT_EQ(map.lookup(IpAddress::parse("10.0.0.2"), IpAddress::parse("192.0.2.81"), core::Timestamp{300})->front(),
            "other.example");
}

TEST(ResolutionMap, IgnoresFailedAnswers) {
  ResolutionMap map;
  auto t = answer("10.0.0.1", 100, "gone.example", {a_record("gone.example", "192.0.2.80")});
  t.t.rcode = 3;
  map.add(t);
  EXPECT_EQ(map.lookup(IpAddress::parse("10.0.0.1"), kServer, core::Timestamp{200}), nullptr);
}

struct Keep : flow::FlowSink, dissect::DnsSink {
  std::vector<flow::FlowRecord> flows;
  int dns = 0;
  void on_flow(flow::FlowRecord& f) override { flows.push_back(f); }
  void on_dns(const dissect::DnsTransaction&) override { ++dns; }
};

TEST(Namer, NamesFlowsFromDnsButKeepsTheirOwnNames) {
  ResolutionMap map;
  Keep next;
  Locator locator;  // no database opened: enrichment adds nothing, naming is what is tested
  const Catalog catalog;
  const TagLists tags;
  const AppMap apps;
  const Enricher enricher(locator, catalog, tags, apps);
  Namer namer(map, enricher, next, next);
  namer.on_dns(answer("10.0.0.1", 100, "www.shop.example",
                      {cname("www.shop.example", "e1.cdn.example"), a_record("e1.cdn.example", "192.0.2.80")}));
  EXPECT_EQ(next.dns, 1);
  flow::FlowRecord f;
  f.client = core::Endpoint{IpAddress::parse("10.0.0.1"), 40000};
  f.server = core::Endpoint{kServer, 443};
  f.start = core::Timestamp{150};
  namer.on_flow(f);
  f.name = "sni.example";
  f.name_source = flow::NameSource::kSni;
  f.names = {"sni.example"};
  namer.on_flow(f);
  ASSERT_EQ(next.flows.size(), 2u);
  EXPECT_EQ(next.flows[0].name, "www.shop.example");
  EXPECT_EQ(next.flows[0].name_source, flow::NameSource::kDns);
  EXPECT_EQ(next.flows[0].names, (std::vector<std::string>{"www.shop.example", "e1.cdn.example"}));
  EXPECT_EQ(next.flows[1].name, "sni.example");
  EXPECT_EQ(next.flows[1].name_source, flow::NameSource::kSni);
  EXPECT_EQ(next.flows[1].names, (std::vector<std::string>{"sni.example", "www.shop.example", "e1.cdn.example"}));
}

}  // namespace
}  // namespace tattle::enrich
