#include "report/report.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dissect/dns.hpp"
#include "dissect/dns_message.hpp"

namespace tattle::report {
namespace {

std::string dns_record(const dissect::DnsTransaction& t) {
  char* data = nullptr;
  std::size_t size = 0;
  std::FILE* f = open_memstream(&data, &size);
  {
    JsonWriter w(f);
    write_dns(w, t);
  }
  std::fclose(f);
  std::string out(data, size);
  std::free(data);
  return out;
}

core::IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  const std::uint8_t bytes[4] = {a, b, c, d};
  return core::IpAddress::v4(std::span<const std::uint8_t, 4>(bytes));
}

TEST(DnsLog, WritesATransactionAsAResolverLogWould) {
  std::vector<dissect::DnsAnswer> answers(2);
  answers[0].name = "www.example.com";
  answers[0].type = dissect::dns_type::kCname;
  answers[0].ttl = 300;
  answers[0].target = "edge.cdn.net";
  answers[1].name = "edge.cdn.net";
  answers[1].type = dissect::dns_type::kAaaa;
  answers[1].ttl = 20;
  answers[1].addresses.push_back(core::IpAddress::parse("2001:db8::7"));
  dissect::DnsTransaction t;
  t.flow_id = 9;
  t.ip_proto = 17;
  t.time = core::Timestamp{1'600'000'000'000'000'000};
  t.response_time = core::Timestamp{1'600'000'000'012'500'000};
  t.client = core::Endpoint{core::IpAddress::parse("2001:db8::1"), 53000};
  t.server = core::Endpoint{v4(192, 0, 2, 53), 53};
  t.id = 0x1234;
  t.qname = "www.example.com";
  t.qtype = 99;  // no mnemonic here: TYPE99
  t.answered = true;
  t.rcode = 0;
  t.answers = answers;
  EXPECT_EQ(dns_record(t),
            R"({"time":"2020-09-13T12:26:40.000000Z","flow":9,"proto":"udp","client":"[2001:db8::1]:53000",)"
            R"("server":"192.0.2.53:53","id":4660,"qname":"www.example.com","qtype":"TYPE99","rcode":"NOERROR",)"
            R"("rtt":0.0125,"answers":[{"name":"www.example.com","type":"CNAME","ttl":300,"target":"edge.cdn.net"},)"
            R"({"name":"edge.cdn.net","type":"AAAA","ttl":20,"addresses":["2001:db8::7"]}]})");
}

// The log keeps address texts in a small table: many more addresses than it holds, in turns, must
// each still be written as its own.
TEST(DnsLog, NamesEveryAddressRightlyWhateverItsTurn) {
  std::vector<dissect::DnsAnswer> answers(1);
  answers[0].name = "a.example";
  answers[0].type = dissect::dns_type::kA;
  dissect::DnsTransaction t;
  t.qname = "a.example";
  t.qtype = dissect::dns_type::kA;
  t.answered = true;
  t.answers = answers;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 2000; ++i) {
      const auto hi = static_cast<std::uint8_t>(i >> 8), lo = static_cast<std::uint8_t>(i);
      t.client = core::Endpoint{v4(10, 0, hi, lo), static_cast<std::uint16_t>(1024 + i)};
      t.server = core::Endpoint{core::IpAddress::parse(fmt::format("2001:db8::{:x}", i + 1)), 53};
      answers[0].addresses.assign({v4(198, 51, lo, hi)});
      const std::string r = dns_record(t);
      const auto expect = [&](const std::string& s) {
        EXPECT_NE(r.find(s), std::string::npos) << s << " not in " << r;
      };
      expect(fmt::format(R"("client":"10.0.{}.{}:{}")", hi, lo, 1024 + i));
      expect(fmt::format(R"("server":"[2001:db8::{:x}]:53")", i + 1));
      expect(fmt::format(R"("addresses":["198.51.{}.{}"])", lo, hi));
    }
  }
}

}  // namespace
}  // namespace tattle::report
