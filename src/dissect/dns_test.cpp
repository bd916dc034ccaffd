#include "dissect/dns.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decode/packet.hpp"

namespace tattle::dissect {
namespace {

using Msg = std::vector<std::uint8_t>;

void put16(Msg& m, unsigned v) {
  m.push_back(static_cast<std::uint8_t>(v >> 8));
  m.push_back(static_cast<std::uint8_t>(v));
}
void put32(Msg& m, std::uint32_t v) {
  put16(m, v >> 16);
  put16(m, v & 0xffff);
}
void put_name(Msg& m, const std::string& dotted) {
  std::size_t start = 0;
  while (start < dotted.size()) {
    const std::size_t dot = dotted.find('.', start);
    const std::size_t end = dot == std::string::npos ? dotted.size() : dot;
    m.push_back(static_cast<std::uint8_t>(end - start));
    m.insert(m.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(end));
    start = end + 1;
  }
  m.push_back(0);
}
Msg header(unsigned id, unsigned flags, unsigned qd, unsigned an) {
  Msg m;
  put16(m, id);
  put16(m, flags);
  put16(m, qd);
  put16(m, an);
  put16(m, 0);
  put16(m, 0);
  return m;
}
// A record header after its (already written) owner name.
void put_rr(Msg& m, unsigned type, std::uint32_t ttl, const Msg& rdata) {
  put16(m, type);
  put16(m, 1);
  put32(m, ttl);
  put16(m, static_cast<unsigned>(rdata.size()));
  m.insert(m.end(), rdata.begin(), rdata.end());
}

// `m` read into a message; reading must succeed.
DnsMessage parsed(const Msg& m) {
  DnsMessage out;
  std::size_t err = 0;
  EXPECT_TRUE(parse_dns(m, out, err)) << "failed at byte " << err;
  return out;
}

// www.example.com CNAME edge.cdn.net (owner compressed to the question), edge.cdn.net A 192.0.2.7
Msg cname_response() {
  Msg m = header(0x1234, 0x8180, 1, 2);
  put_name(m, "www.example.com");
  put16(m, dns_type::kA);
  put16(m, 1);
  put16(m, 0xc00c);  // the question's name
  Msg target;
  put_name(target, "edge.cdn.net");
  put_rr(m, dns_type::kCname, 300, target);
  const std::size_t edge_at = m.size() - target.size();
  put16(m, 0xc000 | static_cast<unsigned>(edge_at));
  put_rr(m, dns_type::kA, 60, Msg{192, 0, 2, 7});
  return m;
}

TEST(DnsMessage, ReadsQuestionAndCompressedAnswers) {
  DnsMessage m;
  std::size_t err = 0;
  ASSERT_TRUE(parse_dns(cname_response(), m, err));
  EXPECT_EQ(m.id, 0x1234);
  EXPECT_TRUE(m.response);
  EXPECT_EQ(m.rcode, 0);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, "www.example.com");
  EXPECT_EQ(m.questions[0].type, dns_type::kA);
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(m.answers[0].name, "www.example.com");
  EXPECT_EQ(m.answers[0].target, "edge.cdn.net");
  EXPECT_EQ(m.answers[0].ttl, 300u);
  EXPECT_EQ(m.answers[1].name, "edge.cdn.net");
  ASSERT_EQ(m.answers[1].addresses.size(), 1u);
  EXPECT_EQ(core::to_string(m.answers[1].addresses[0]), "192.0.2.7");
}

// A name that is a pointer to a name read before follows one pointer more than that name did:
// where that one is past the bound of 64, the record is refused as a fresh reading would.
TEST(DnsMessage, APointerToANameReadBeforeKeepsToTheBoundOnPointers) {
  Msg m = header(1, 0x8180, 1, 4);
  put_name(m, "a");  // at 12
  put16(m, 1);
  put16(m, 1);
  // A record of no type read here, whose data is 63 pointers, each to the one before, the
  // first to the question's name: a chain of 63 jumps to "a".
  put16(m, 0xc00c);
  Msg chain;
  const std::size_t chain_at = m.size() + 10;  // after type, class, TTL and length
  for (std::size_t i = 0; i < 63; ++i) put16(chain, 0xc000 | static_cast<unsigned>(i == 0 ? 12 : chain_at + 2 * (i - 1)));
  put_rr(m, 99, 0, chain);
  const auto last_link = static_cast<unsigned>(chain_at + 2 * 62);
  // "b." and then the chain: 64 jumps, the most a name may take.
  const std::size_t b_at = m.size();
  m.insert(m.end(), {1, 'b'});
  put16(m, 0xc000 | last_link);
  put_rr(m, dns_type::kA, 0, Msg{192, 0, 2, 1});
  // A pointer to the end of the chain: 1 + 63 jumps, allowed.
  put16(m, 0xc000 | last_link);
  put_rr(m, dns_type::kA, 0, Msg{192, 0, 2, 2});
  // A pointer to "b.": 1 + 64 jumps, one too many.
  put16(m, 0xc000 | static_cast<unsigned>(b_at));
  put_rr(m, dns_type::kA, 0, Msg{192, 0, 2, 3});
  const DnsMessage out = parsed(m);
  ASSERT_EQ(out.answers.size(), 3u);
  EXPECT_EQ(out.answers[1].name, "b.a");
  EXPECT_EQ(out.answers[2].name, "a");
  EXPECT_EQ(out.dropped_records, 1u);
}

TEST(DnsMessage, RefusesPointerLoopsAndForwardPointers) {
  for (unsigned target : {12u, 14u}) {  // itself, and a byte after it
    Msg m = header(1, 0x0100, 1, 0);
    put16(m, 0xc000 | target);
    put16(m, 1);
    put16(m, 1);
    DnsMessage out;
    std::size_t err = 0;
    EXPECT_FALSE(parse_dns(m, out, err)) << target;
    EXPECT_EQ(err, 12u);
  }
}

TEST(DnsMessage, EscapesOddLabelBytesAndNamesTheRoot) {
  Msg m = header(1, 0x0100, 2, 0);
  m.insert(m.end(), {3, 'a', '.', 0x07, 2, 'b', ' ', 0});
  put16(m, 1);
  put16(m, 1);
  m.push_back(0);  // the root
  put16(m, 2);
  put16(m, 0x8001);  // mDNS unicast-response bit
  DnsMessage out;
  std::size_t err = 0;
  ASSERT_TRUE(parse_dns(m, out, err));
  ASSERT_EQ(out.questions.size(), 2u);
  EXPECT_EQ(out.questions[0].name, "a\\046\\007.b\\032");
  EXPECT_EQ(out.questions[1].name, ".");
  EXPECT_EQ(out.questions[1].qclass, 1);
}

// Labels are copied a word at a time when plain: every label length, with one byte of every kind
// at every place (or none), must read as the byte-by-byte rule writes it.
TEST(DnsMessage, LabelsOfEveryLengthReadAsTheyShould) {
  for (const std::size_t first : {0, 1, 5}) {  // the length of a label before, if any
    for (std::size_t len = 1; len <= 63; ++len) {
      // None, and bytes at and around the edges of what is plain: 0x2e is '.', 0x5c '\\'.
      for (const int odd : {-1, 0x00, 0x20, 0x21, 0x2e, 0x5c, 0x7e, 0x7f, 0xff}) {
        for (std::size_t at = 0; at < len; ++at) {
          Msg m = header(1, 0x0100, 1, 0);
          std::string want;
          if (first > 0) {
            m.push_back(static_cast<std::uint8_t>(first));
            m.insert(m.end(), first, 'q');
            want = std::string(first, 'q') + ".";
          }
          m.push_back(static_cast<std::uint8_t>(len));
          for (std::size_t i = 0; i < len; ++i) {
            const int c = i == at && odd >= 0 ? odd : 'a' + static_cast<int>(i % 26);
            m.push_back(static_cast<std::uint8_t>(c));
            if (c > 0x20 && c < 0x7f && c != '.' && c != '\\')
              want += static_cast<char>(c);
            else
              want += fmt::format("\\{:03}", c);
          }
          m.push_back(0);
          put16(m, 1);
          put16(m, 1);
          const DnsMessage out = parsed(m);
          ASSERT_EQ(out.questions.size(), 1u);
          EXPECT_EQ(out.questions[0].name, want) << "length " << len << ", byte " << odd << " at " << at;
          if (odd < 0) break;  // one message is enough without an odd byte
        }
      }
    }
  }
  // Labels with fewer than eight message bytes up to their end: a pointer into the header, whose
  // ID and flags read as the labels 'a' and '\0'.
  Msg m = header(0x0161, 0x0100, 1, 0);
  put16(m, 0xc000);
  put16(m, 1);
  put16(m, 1);
  const DnsMessage out = parsed(m);
  ASSERT_EQ(out.questions.size(), 1u);
  EXPECT_EQ(out.questions[0].name, "a.\\000");
}

TEST(DnsMessage, KeepsAnswersBeforeADamagedOne) {
  Msg m = cname_response();
  m.resize(m.size() - 2);  // the A record's data cut short
  DnsMessage out;
  std::size_t err = 0;
  ASSERT_TRUE(parse_dns(m, out, err));
  EXPECT_EQ(out.answers.size(), 1u);
  EXPECT_EQ(out.dropped_records, 1u);
  m.resize(20);  // inside the question
  EXPECT_FALSE(parse_dns(m, out, err));
  EXPECT_FALSE(parse_dns(Msg{1, 2, 3}, out, err));
}

TEST(DnsMessage, ReadsHttpsAddressHints) {
  Msg m = header(7, 0x8180, 1, 1);
  put_name(m, "example.com");
  put16(m, dns_type::kHttps);
  put16(m, 1);
  put16(m, 0xc00c);
  Msg rdata;
  put16(rdata, 1);  // priority
  rdata.push_back(0);  // target "."
  put16(rdata, 1);  // alpn
  put16(rdata, 3);
  rdata.insert(rdata.end(), {2, 'h', '2'});
  put16(rdata, 4);  // ipv4hint
  put16(rdata, 8);
  rdata.insert(rdata.end(), {192, 0, 2, 1, 192, 0, 2, 2});
  put16(rdata, 6);  // ipv6hint
  put16(rdata, 16);
  rdata.insert(rdata.end(), {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  put_rr(m, dns_type::kHttps, 30, rdata);
  DnsMessage out;
  std::size_t err = 0;
  ASSERT_TRUE(parse_dns(m, out, err));
  ASSERT_EQ(out.answers.size(), 1u);
  ASSERT_EQ(out.answers[0].addresses.size(), 3u);
  EXPECT_EQ(core::to_string(out.answers[0].addresses[1]), "192.0.2.2");
  EXPECT_EQ(core::to_string(out.answers[0].addresses[2]), "2001:db8::1");
  EXPECT_EQ(out.answers[0].target, ".");
}

// A message of `questions` questions and as many CNAME answers, every name as long as the wire
// allows and every byte of it written as \DDD: the most name text a message can ask for.
Msg longest_names(unsigned questions, unsigned answers) {
  Msg name;
  for (int label = 0; label < 4; ++label) {
    const int len = label < 3 ? 63 : 61;  // 4 + 63 * 3 + 61 + 1 = 255 bytes on the wire
    name.push_back(static_cast<std::uint8_t>(len));
    for (int i = 0; i < len; ++i) name.push_back(0x01);
  }
  name.push_back(0);
  Msg m = header(9, 0x8180, questions, answers);
  for (unsigned i = 0; i < questions; ++i) {
    m.insert(m.end(), name.begin(), name.end());
    put16(m, dns_type::kA);
    put16(m, 1);
  }
  for (unsigned i = 0; i < answers; ++i) {
    m.insert(m.end(), name.begin(), name.end());
    put_rr(m, dns_type::kCname, 60, name);
  }
  return m;
}

TEST(DnsMessage, HoldsTheMostNameTextAMessageCanAskForAndOnlyTheLatestMessage) {
  DnsMessage out;
  std::size_t err = 0;
  const Msg big = longest_names(DnsMessage::kMaxRecords, DnsMessage::kMaxRecords);
  ASSERT_TRUE(parse_dns(big, out, err));
  const char* text = out.text.get();
  EXPECT_LE(out.text_used, DnsMessage::kTextCapacity);
  ASSERT_EQ(out.questions.size(), DnsMessage::kMaxRecords);
  ASSERT_EQ(out.answers.size(), DnsMessage::kMaxRecords);
  // 4 + 63 * 3 + 61 bytes of \001, and three dots.
  EXPECT_EQ(out.answers.back().target.size(), 4u * 250 + 3);
  EXPECT_EQ(out.questions.front().name.substr(0, 8), "\\001\\001");
  EXPECT_EQ(out.answers.back().target, out.questions.front().name);

  ASSERT_TRUE(parse_dns(cname_response(), out, err));
  EXPECT_EQ(out.text.get(), text);  // read into again, not allocated anew
  ASSERT_EQ(out.questions.size(), 1u);
  EXPECT_EQ(out.questions[0].name, "www.example.com");
  ASSERT_EQ(out.answers.size(), 2u);
  EXPECT_EQ(out.answers[0].target, "edge.cdn.net");
  EXPECT_EQ(out.dropped_records, 0u);

  // Past kMaxRecords answers the rest are counted, not read.
  ASSERT_TRUE(parse_dns(longest_names(1, DnsMessage::kMaxRecords + 3), out, err));
  EXPECT_EQ(out.answers.size(), DnsMessage::kMaxRecords);
  EXPECT_EQ(out.dropped_records, 3u);
  EXPECT_EQ(out.answers.front().target, out.questions.front().name);
}

// What a test looks at of a transaction, copied: the transaction itself is a view for the call.
struct Seen {
  core::Timestamp time, response_time;
  core::Endpoint client;
  std::string qname;
  bool answered = false;
  std::vector<std::string> answer_names;
  std::vector<std::string> more_questions;
};

struct Collect : DnsSink {
  std::vector<Seen> got;
  void on_dns(const DnsTransaction& t) override {
    Seen s{t.time, t.response_time, t.client, std::string(t.qname), t.answered, {}, {}};
    for (const auto& a : t.answers) s.answer_names.emplace_back(a.name);
    for (const auto& q : t.more_questions) s.more_questions.emplace_back(q.name);
    got.push_back(std::move(s));
  }
};

// A dissector table with DNS in it, and what the dissectors hand on.
class DnsDissector : public ::testing::Test {
 protected:
  DnsDissector() { add_dns(table, sink, counters); }
  flow::DissectorTable table;
  Collect sink;
  core::Counters<DnsCounter> counters;
};

flow::FlowContext context(std::uint8_t proto) {
  flow::FlowContext c;
  c.id = 8;
  c.ip_proto = proto;
  c.client = core::Endpoint{core::IpAddress::parse("10.0.0.1"), 40000};
  c.server = core::Endpoint{core::IpAddress::parse("10.0.0.53"), 53};
  return c;
}

Msg query_for(const Msg& response) {
  Msg q(response.begin(), response.begin() + 12);
  q[2] = 0x01;
  q[3] = 0x00;
  q[7] = 0;  // no answers
  // The question runs from byte 12 to the first answer (the 0xc00c pointer).
  for (std::size_t i = 12; i + 1 < response.size(); ++i) {
    if (response[i] == 0xc0 && response[i + 1] == 0x0c) break;
    q.push_back(response[i]);
  }
  return q;
}

TEST_F(DnsDissector, MatchesQueryAndResponseOverUdp) {
  auto d = table.choose(context(decode::ip_proto::kUdp));
  ASSERT_NE(d, nullptr);
  const Msg response = cname_response();
  d->on_datagram(flow::Direction::kFromClient, core::Timestamp{1000}, query_for(response));
  EXPECT_TRUE(sink.got.empty());
  d->on_datagram(flow::Direction::kFromServer, core::Timestamp{5000}, response);
  d->on_close();
  ASSERT_EQ(sink.got.size(), 1u);
  const Seen& t = sink.got[0];
  EXPECT_EQ(t.time.ns, 1000);
  EXPECT_EQ(t.response_time.ns, 5000);
  EXPECT_EQ(t.qname, "www.example.com");
  EXPECT_TRUE(t.answered);
  EXPECT_EQ(core::to_string(t.client), "10.0.0.1:40000");
  EXPECT_EQ(t.answer_names, (std::vector<std::string>{"www.example.com", "edge.cdn.net"}));
  EXPECT_EQ(counters[DnsCounter::kUnanswered], 0u);
}

TEST_F(DnsDissector, FramesTcpMessagesAcrossSegments) {
  auto d = table.choose(context(decode::ip_proto::kTcp));
  ASSERT_NE(d, nullptr);
  const Msg response = cname_response();
  Msg stream;
  put16(stream, static_cast<unsigned>(response.size()));
  stream.insert(stream.end(), response.begin(), response.end());
  const core::Bytes all(stream);
  // The first call sees only part of the message: it asks for all of it.
  const flow::Progress p = d->on_stream(flow::Direction::kFromServer, core::Timestamp{1}, all.first(10));
  EXPECT_EQ(p.kind, flow::Progress::Kind::kNeedMore);
  EXPECT_EQ(p.wanted, stream.size());
  const flow::Progress q = d->on_stream(flow::Direction::kFromServer, core::Timestamp{2}, all);
  EXPECT_EQ(q.consumed, stream.size());
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_EQ(counters[DnsCounter::kUnsolicited], 1u);
  EXPECT_EQ(sink.got[0].client.port, 40000);
}

TEST_F(DnsDissector, ReportsUnansweredQueriesAndIgnoresOtherPorts) {
  flow::FlowContext web = context(decode::ip_proto::kTcp);
  web.server.port = 443;
  EXPECT_EQ(table.choose(web), nullptr);
  auto d = table.choose(context(decode::ip_proto::kUdp));
  d->on_datagram(flow::Direction::kFromClient, core::Timestamp{1}, query_for(cname_response()));
  d->on_datagram(flow::Direction::kFromClient, core::Timestamp{2}, Msg{0xff});
  d->on_close();
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_FALSE(sink.got[0].answered);
  EXPECT_EQ(counters[DnsCounter::kUnanswered], 1u);
  EXPECT_EQ(counters[DnsCounter::kMalformed], 1u);
}

TEST_F(DnsDissector, UnansweredQueryKeepsItsQuestionsAfterLaterMessages) {
  auto d = table.choose(context(decode::ip_proto::kUdp));
  // An mDNS-style query of three questions, then other messages read over the shared message.
  Msg q = header(0, 0x0000, 3, 0);
  for (const char* n : {"_airplay._tcp.local", "_raop._tcp.local", "_googlecast._tcp.local"}) {
    put_name(q, n);
    put16(q, dns_type::kPtr);
    put16(q, 1);
  }
  d->on_datagram(flow::Direction::kFromClient, core::Timestamp{1}, q);
  d->on_datagram(flow::Direction::kFromServer, core::Timestamp{2}, cname_response());
  d->on_close();
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0].qname, "www.example.com");  // the unsolicited response, first
  EXPECT_EQ(sink.got[1].qname, "_airplay._tcp.local");
  EXPECT_FALSE(sink.got[1].answered);
  EXPECT_EQ(sink.got[1].more_questions, (std::vector<std::string>{"_raop._tcp.local", "_googlecast._tcp.local"}));
}

TEST_F(DnsDissector, TooManyWaitingQueriesGiveUpTheOldestWithItsOwnName) {
  auto d = table.choose(context(decode::ip_proto::kUdp));
  for (unsigned i = 0; i <= 32; ++i) {  // one more than a flow keeps waiting
    Msg q = header(i, 0x0100, 1, 0);
    put_name(q, "host" + std::to_string(i) + ".example.org");
    put16(q, dns_type::kA);
    put16(q, 1);
    d->on_datagram(flow::Direction::kFromClient, core::Timestamp{i}, q);
  }
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_EQ(sink.got[0].qname, "host0.example.org");
  EXPECT_EQ(counters[DnsCounter::kPendingDropped], 1u);
  d->on_close();
  ASSERT_EQ(sink.got.size(), 33u);
  EXPECT_EQ(sink.got[1].qname, "host1.example.org");
  EXPECT_EQ(sink.got[32].qname, "host32.example.org");
}

}  // namespace
}  // namespace tattle::dissect
