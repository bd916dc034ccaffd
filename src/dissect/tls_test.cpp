#include "dissect/tcp_test_fixture.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <thread>
#include <vector>

#include "decode/packet.hpp"
#include "dissect/tls_client_hello.hpp"
#include "support/hex.hpp"
#include "support/rfc8448.hpp"

namespace tattle::dissect {
namespace {

constexpr std::uint16_t kGrease = 0x1a1a;

// The ClientHello of the JA4 specification's worked example (a Chrome browser).
ClientHello chrome() {
  ClientHello h;
  h.legacy_version = 0x0303;
  h.ciphers = {kGrease, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
               0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  h.extensions = {kGrease, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005,
                  0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x0015, 0x4469, 0x2a2a};
  h.versions = {kGrease, 0x0304, 0x0303};
  h.sigalgs = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
  h.has_sni = true;
  h.sni = "www.example.com";
  h.alpn = {"h2", "http/1.1"};
  return h;
}

TEST(Ja4, MatchesTheSpecificationsExample) {
  EXPECT_EQ(ja4(chrome(), 't'), "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(ja4(chrome(), 'q'), "q13d1516h2_8daaf6152771_e5627efa2ab1");
}

TEST(Ja4, WithoutSniVersionsOrSignatureAlgorithms) {
  ClientHello h = chrome();
  h.has_sni = false;
  h.extensions.erase(h.extensions.begin() + 1);  // 0x0000
  h.versions.clear();
  h.sigalgs.clear();
  // Version from the legacy field; no signature algorithms: the extension list alone is hashed.
  EXPECT_EQ(ja4(h, 't'), "t12i1515h2_8daaf6152771_6d807ffa2a79");
  h = ClientHello{};
  h.legacy_version = 0x0301;
  EXPECT_EQ(ja4(h, 't'), "t10i000000_000000000000_000000000000");
}

// Fingerprints are remembered per thread: what is remembered must never answer for a different
// ClientHello, and GREASE (new on every connection) must not stop a repeat from being known.
TEST(Ja4, RememberedFingerprintsAnswerOnlyForTheSameClientHello) {
  const std::string first = ja4(chrome(), 't');
  ClientHello other_grease = chrome();
  other_grease.ciphers.front() = 0x7a7a;
  other_grease.extensions.back() = 0xcaca;
  EXPECT_EQ(ja4(other_grease, 't'), first);
  // The same values split differently between two lists: a different ClientHello.
  ClientHello moved = chrome();
  moved.extensions.push_back(moved.ciphers.back());
  moved.ciphers.pop_back();
  std::string fresh;
  std::thread([&] { fresh = ja4(moved, 't'); }).join();  // a thread remembers nothing yet
  EXPECT_EQ(ja4(moved, 't'), fresh);
  EXPECT_NE(fresh, first);
}

TEST(Ja4, AlpnCharactersFollowTheSpecification) {
  const auto code = [](std::string first) {
    ClientHello h = chrome();
    h.alpn = {std::move(first)};
    return ja4(h, 't').substr(8, 2);
  };
  EXPECT_EQ(code("http/1.1"), "h1");
  EXPECT_EQ(code("h"), "hh");
  EXPECT_EQ(code(""), "00");
  // Not alphanumeric at either end: the first and last hex digit of the bytes.
  EXPECT_EQ(code("\xab"), "ab");
  EXPECT_EQ(code("\xab\xcd"), "ad");
  EXPECT_EQ(code("0\xab"), "3b");
  EXPECT_EQ(code("01\xab\xcd"), "3d");
  EXPECT_EQ(code("0\xab\xcd" "1"), "01");
}

TEST(Ja4, CountsAreCappedAtNinetyNine) {
  ClientHello h = chrome();
  for (std::uint16_t c = 0x0100; c < 0x0100 + 120; ++c) h.ciphers.push_back(c);
  EXPECT_EQ(ja4(h, 't').substr(4, 2), "99");
}

TEST(Ja4, GreaseValues) {
  EXPECT_TRUE(is_grease(0x0a0a));
  EXPECT_TRUE(is_grease(0xfafa));
  EXPECT_FALSE(is_grease(0x0a1a));
  EXPECT_FALSE(is_grease(0x1301));
}

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, unsigned v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put_ext(Bytes& b, unsigned type, const Bytes& data) {
  put16(b, type);
  put16(b, static_cast<unsigned>(data.size()));
  b.insert(b.end(), data.begin(), data.end());
}

// A ClientHello in TLS records: the handshake message split over two records.
Bytes client_hello_records() {
  Bytes body;
  put16(body, 0x0303);
  body.insert(body.end(), 32, 0x42);  // random
  body.push_back(0);                  // session id
  put16(body, 4);
  put16(body, 0x1301);
  put16(body, 0x1302);
  body.push_back(1);
  body.push_back(0);  // compression: null
  Bytes exts;
  const std::string host = "api.example.net";
  Bytes sni;
  put16(sni, static_cast<unsigned>(host.size() + 3));
  sni.push_back(0);
  put16(sni, static_cast<unsigned>(host.size()));
  sni.insert(sni.end(), host.begin(), host.end());
  put_ext(exts, 0x0000, sni);
  put_ext(exts, 0x0010, Bytes{0x00, 0x03, 0x02, 'h', '2'});
  put_ext(exts, 0x002b, Bytes{0x04, 0x03, 0x04, 0x03, 0x03});
  put16(body, static_cast<unsigned>(exts.size()));
  body.insert(body.end(), exts.begin(), exts.end());

  Bytes handshake{1, 0, static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
  handshake.insert(handshake.end(), body.begin(), body.end());
  Bytes records;
  const std::size_t half = handshake.size() / 2;
  for (const auto& [from, to] : {std::pair{std::size_t{0}, half}, std::pair{half, handshake.size()}}) {
    records.insert(records.end(), {22, 3, 1});
    put16(records, static_cast<unsigned>(to - from));
    records.insert(records.end(), handshake.begin() + static_cast<long>(from), handshake.begin() + static_cast<long>(to));
  }
  return records;
}

using TlsDissectorTest = TcpDissectorFixture;

TEST_F(TlsDissectorTest, ReadsAClientHelloAcrossRecordsAndSegments) {
  auto d = choose();
  ASSERT_NE(d, nullptr);
  const Bytes stream = client_hello_records();
  const core::Bytes all(stream);
  // The first segment ends inside the first record: the dissector asks for the whole record.
  const flow::Progress p = d->on_stream(flow::Direction::kFromClient, core::Timestamp{}, all.first(20));
  ASSERT_EQ(p.kind, flow::Progress::Kind::kNeedMore);
  // With the ClientHello read, nothing more of the flow is wanted, in either direction.
  const flow::Progress q = d->on_stream(flow::Direction::kFromClient, core::Timestamp{}, all);
  EXPECT_EQ(q.kind, flow::Progress::Kind::kFinished);
  EXPECT_EQ(d->on_stream(flow::Direction::kFromServer, core::Timestamp{}, all).kind, flow::Progress::Kind::kFinished);
  flow::FlowRecord r;
  d->annotate(r);
  EXPECT_EQ(r.sni, "api.example.net");
  EXPECT_EQ(r.name, "api.example.net");
  EXPECT_EQ(r.name_source, flow::NameSource::kSni);
  EXPECT_EQ(r.alpn, (std::vector<std::string>{"h2"}));
  EXPECT_EQ(r.tls_versions, (std::vector<std::string>{"1.3", "1.2"}));
  EXPECT_EQ(r.ja4.substr(0, 10), "t13d0203h2");
  EXPECT_EQ(counters.tls[TlsCounter::kClientHellos], 1u);
}

TEST_F(TlsDissectorTest, LeavesOtherProtocolsAndDamagedHandshakes) {
  auto ssh = choose();
  const std::string banner = "SSH-2.0-OpenSSH_9.2p1\r\n";
  EXPECT_EQ(ssh->on_stream(flow::Direction::kFromClient, core::Timestamp{},
                           core::Bytes(reinterpret_cast<const std::uint8_t*>(banner.data()), banner.size()))
                .kind,
            flow::Progress::Kind::kReject);
  EXPECT_EQ(counters.payload[TcpPayloadCounter::kUnrecognised], 1u);

  auto cut = choose();
  Bytes stream = client_hello_records();
  stream[5] = 2;  // a ServerHello where the ClientHello should be
  cut->on_stream(flow::Direction::kFromClient, core::Timestamp{}, stream);
  flow::FlowRecord r;
  cut->annotate(r);
  EXPECT_TRUE(r.sni.empty());
  EXPECT_EQ(counters.tls[TlsCounter::kMalformed], 1u);
}

}  // namespace
}  // namespace tattle::dissect

namespace tattle::dissect {
namespace {

using test_support::hex;
namespace rfc = test_support::rfc8448;

// RFC 8448 §3's connection's key log: its four traffic secrets under its client random.
void add_rfc8448_keys(decrypt::KeyLog& log) {
  const auto ch = hex(rfc::kClientHelloRecord);
  std::string random;
  for (std::size_t i = 11; i < 43; ++i) random += fmt::format("{:02x}", ch[i]);
  const auto line = [&](std::string_view label, std::string_view secret) {
    std::string s(label);
    s += " " + random + " ";
    for (const char c : secret)
      if (c != ' ') s += c;
    return s + "\n";
  };
  log.add_text(line("CLIENT_HANDSHAKE_TRAFFIC_SECRET", rfc::kClientHandshakeSecret) +
               line("SERVER_HANDSHAKE_TRAFFIC_SECRET", rfc::kServerHandshakeSecret) +
               line("CLIENT_TRAFFIC_SECRET_0", rfc::kClientAppSecret) +
               line("SERVER_TRAFFIC_SECRET_0", rfc::kServerAppSecret));
}

struct Conversation {
  std::vector<std::pair<flow::Direction, std::vector<std::uint8_t>>> chunks;
  void add(flow::Direction d, std::initializer_list<std::string_view> records) {
    std::vector<std::uint8_t> bytes;
    for (const auto r : records) {
      const auto b = hex(r);
      bytes.insert(bytes.end(), b.begin(), b.end());
    }
    chunks.emplace_back(d, std::move(bytes));
  }
};

// Feeds each chunk whole, as a StreamFeed would with nothing held back, and annotates.
flow::FlowRecord run(flow::Dissector& tls, const Conversation& c) {
  for (const auto& [dir, bytes] : c.chunks) tls.on_stream(dir, core::Timestamp{1}, bytes);
  tls.on_close();
  flow::FlowRecord r;
  tls.annotate(r);
  return r;
}

constexpr auto kClient = flow::Direction::kFromClient;
constexpr auto kServer = flow::Direction::kFromServer;
constexpr std::string_view kCcs = "14 03 03 00 01 01";

class TlsDecryption : public ::testing::Test {
 protected:
  TlsDecryption() {
    add_rfc8448_keys(keylog);
    add_tcp(table, counters, &keylog);
  }
  std::unique_ptr<flow::Dissector> choose() {
    flow::FlowContext c;
    c.ip_proto = decode::ip_proto::kTcp;
    return table.choose(c);
  }
  decrypt::KeyLog keylog;
  flow::DissectorTable table;
  TcpDissectorCounters counters;
};

TEST_F(TlsDecryption, DecryptsRfc8448sConversationWithItsKeyLog) {
  Conversation c;
  c.add(kClient, {rfc::kClientHelloRecord});
  c.add(kServer, {rfc::kServerHelloRecord, kCcs, rfc::kServerFlight});
  c.add(kClient, {kCcs, rfc::kClientFinished, rfc::kClientAppData});
  c.add(kServer, {rfc::kServerTicket, rfc::kServerAppData, rfc::kServerAlert});
  c.add(kClient, {rfc::kClientAlert});
  auto tls = choose();
  const flow::FlowRecord r = run(*tls, c);
  EXPECT_TRUE(r.decrypted);
  EXPECT_TRUE(r.decrypt_reason.empty()) << r.decrypt_reason;
  EXPECT_EQ(counters.tls[TlsCounter::kRecordsDecrypted], 7u);
  EXPECT_EQ(counters.tls[TlsCounter::kApplicationBytes], 100u);  // 50 bytes each way
  EXPECT_EQ(counters.tls[TlsCounter::kDecryptedFlows], 1u);
  EXPECT_EQ(keylog.counters()[decrypt::KeyLogCounter::kHandshakesWithKeys], 1u);
}

TEST_F(TlsDecryption, SaysWhyAFlowWasNotDecrypted) {
  {  // the server's flight damaged: its records stop verifying
    auto flight = std::string(rfc::kServerFlight);
    flight[flight.size() - 1] = flight.back() == '0' ? '1' : '0';
    Conversation c;
    c.add(kClient, {rfc::kClientHelloRecord});
    c.add(kServer, {rfc::kServerHelloRecord, flight});
    auto tls = choose();
    const auto r = run(*tls, c);
    EXPECT_FALSE(r.decrypted);
    EXPECT_EQ(r.decrypt_reason, "bad_record");
    EXPECT_EQ(counters.tls[TlsCounter::kRecordsFailed], 1u);
  }
  {  // the flow ends before the server answers
    Conversation c;
    c.add(kClient, {rfc::kClientHelloRecord});
    auto tls = choose();
    EXPECT_EQ(run(*tls, c).decrypt_reason, "no_server_hello");
  }
  {  // a ClientHello whose random the key log does not have
    auto hello = std::string(rfc::kClientHelloRecord);
    hello[40] = hello[40] == '0' ? '1' : '0';  // a digit of the random
    Conversation c;
    c.add(kClient, {hello});
    c.add(kServer, {rfc::kServerHelloRecord, rfc::kServerFlight});
    auto tls = choose();
    const auto r = run(*tls, c);
    EXPECT_FALSE(r.decrypted);
    EXPECT_EQ(r.decrypt_reason, "no_key");
    EXPECT_EQ(counters.tls[TlsCounter::kRecordsDecrypted], 0u);
  }
}

}  // namespace
}  // namespace tattle::dissect
