// The HTTP/2 dissector on connections built here frame by frame around RFC 7541's examples:
// C.4's three Huffman-coded requests on one dynamic table, and C.6's three responses, which
// only decode as the RFC says when the client's SETTINGS_HEADER_TABLE_SIZE of 256 is applied
// to the server's side.
#include "dissect/http2.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dissect/tcp_test_fixture.hpp"
#include "support/codings.hpp"
#include "support/hex.hpp"

namespace tattle::dissect {
namespace {

using test_support::gzip;

using test_support::hex;

std::string bytes(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, const std::string& payload) {
  std::string f;
  f += static_cast<char>(payload.size() >> 16);
  f += static_cast<char>(payload.size() >> 8);
  f += static_cast<char>(payload.size());
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  for (int i = 3; i >= 0; --i) f += static_cast<char>(stream >> (8 * i));
  return f + payload;
}

constexpr std::uint8_t kData = 0, kHeaders = 1, kRst = 3, kSettings = 4, kContinuation = 9;
constexpr std::uint8_t kEndStream = 1, kEndHeaders = 4, kPadded = 8, kPriority = 0x20;

// RFC 7541 C.4.1-C.4.3 and C.6.1-C.6.3.
const std::string kRequest1 = bytes(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"));
const std::string kRequest2 = bytes(hex("8286 84be 5886 a8eb 1064 9cbf"));
const std::string kRequest3 = bytes(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"));
const std::string kResponse1 = bytes(hex(
    "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7"
    "8f0b 97c8 e9ae 82ae 43d3"));
const std::string kResponse2 = bytes(hex("4883 640e ffc1 c0bf"));
const std::string kResponse3 = bytes(hex(
    "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335"
    "dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"));
// RFC 7541 §4.2: the first block after a smaller SETTINGS_HEADER_TABLE_SIZE begins by saying so
// (a dynamic table size update to 256).
const std::string kSizeUpdate256 = bytes(hex("3fe1 01"));


// Feeds one direction in pieces, as StreamFeed would.
void feed(flow::Dissector& d, flow::Direction dir, const std::string& text, std::size_t piece) {
  std::string pending;
  for (std::size_t at = 0; at < text.size(); at += piece) {
    pending += text.substr(at, piece);
    const flow::Progress p =
        d.on_stream(dir, core::Timestamp{}, {reinterpret_cast<const std::uint8_t*>(pending.data()), pending.size()});
    ASSERT_NE(p.kind, flow::Progress::Kind::kFinished);
    pending.erase(0, p.kind == flow::Progress::Kind::kConsumed ? p.consumed : 0);
  }
}

using Http2DissectorTest = TcpDissectorFixture;

TEST_F(Http2DissectorTest, ReadsRfc7541sExchangesOnOneConnection) {
  const std::string form = "q=keystrokes&uid=42";
  const std::string page = "<html>" + std::string(2000, 'p') + "</html>";
  const std::string settings_256 = std::string("\x00\x01\x00\x00\x01\x00", 6);  // HEADER_TABLE_SIZE 256
  const std::string client =
      std::string(kHttp2Preface) + frame(kSettings, 0, 0, settings_256) +
      frame(kHeaders, kEndHeaders | kEndStream, 1, kRequest1) +
      // A block split over HEADERS and CONTINUATION.
      frame(kHeaders, kEndStream, 3, kRequest2.substr(0, 3)) + frame(kContinuation, kEndHeaders, 3, kRequest2.substr(3)) +
      // Padded, with a priority, and a padded DATA frame after it.
      frame(kHeaders, kEndHeaders | kPadded | kPriority, 5, std::string("\x02\x00\x00\x00\x00\x10", 6) + kRequest3 + std::string(2, '\0')) +
      frame(kData, kPadded | kEndStream, 5, std::string("\x03", 1) + form + std::string(3, '\0'));
  const std::string zipped = gzip(page);
  const std::string server =
      frame(kSettings, 0, 0, "") + frame(kSettings, 1, 0, "") +
      frame(kHeaders, kEndHeaders, 1, kSizeUpdate256 + kResponse1) + frame(kData, kEndStream, 1, "") +
      frame(kHeaders, kEndHeaders | kEndStream, 3, kResponse2) + frame(kHeaders, kEndHeaders, 5, kResponse3) +
      frame(kData, 0, 5, zipped.substr(0, 20)) + frame(kData, kEndStream, 5, zipped.substr(20));
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
    http.seen.clear();
    auto d = choose();
    feed(*d, flow::Direction::kFromClient, client, piece);
    feed(*d, flow::Direction::kFromServer, server, piece);
    d->on_close();
    ASSERT_EQ(http.seen.size(), 3u) << "pieces of " << piece;
    const auto& first = http.seen[0];
    EXPECT_EQ(first.version, "HTTP/2");
    EXPECT_EQ(first.stream, 1u);
    EXPECT_EQ(first.method, "GET");
    EXPECT_EQ(first.authority, "www.example.com");
    EXPECT_EQ(first.target, "/");
    EXPECT_EQ(first.status, 302);
    EXPECT_EQ(first.response.headers,
              (std::vector<std::pair<std::string, std::string>>{{"cache-control", "private"},
                                                                {"date", "Mon, 21 Oct 2013 20:13:21 GMT"},
                                                                {"location", "https://www.example.com"}}));
    const auto& second = http.seen[1];
    EXPECT_EQ(second.stream, 3u);
    EXPECT_EQ(second.request.headers, (std::vector<std::pair<std::string, std::string>>{{"cache-control", "no-cache"}}));
    EXPECT_EQ(second.status, 307);
    const auto& third = http.seen[2];
    EXPECT_EQ(third.target, "/index.html");
    EXPECT_EQ(third.request.headers,
              (std::vector<std::pair<std::string, std::string>>{{"custom-key", "custom-value"}}));
    EXPECT_EQ(third.request.body, form);
    EXPECT_EQ(third.status, 200);
    ASSERT_EQ(third.response.headers.size(), 5u);
    EXPECT_EQ(third.response.headers[4],
              (std::pair<std::string, std::string>{"set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"}));
    EXPECT_EQ(third.response.body, page);
    EXPECT_EQ(third.response.body_bytes, zipped.size());
    flow::FlowRecord r;
    d->annotate(r);
    EXPECT_EQ(r.name, "www.example.com");
    ASSERT_EQ(r.http_requests.size(), 3u);
  }
  EXPECT_EQ(counters.http[HttpCounter::kH2Errors], 0u);
}

TEST_F(Http2DissectorTest, WaitsForARequestBodyAfterTheServerResetTheStream) {
  auto d = choose();
  feed(*d, flow::Direction::kFromClient,
       std::string(kHttp2Preface) + frame(kHeaders, kEndHeaders, 1, kRequest1), 1000);
  feed(*d, flow::Direction::kFromServer,
       frame(kHeaders, kEndHeaders | kEndStream, 1, bytes(hex("88"))) +  // :status 200
           frame(kRst, 0, 1, std::string(4, '\0')),
       1000);
  EXPECT_TRUE(http.seen.empty());
  feed(*d, flow::Direction::kFromClient, frame(kData, kEndStream, 1, "late body"), 1000);
  ASSERT_EQ(http.seen.size(), 1u);
  EXPECT_EQ(http.seen[0].request.body, "late body");
  EXPECT_EQ(http.seen[0].status, 200);
}

TEST_F(Http2DissectorTest, SizesEachSidesTableByThePeersSettings) {
  // The client allows a 64 KiB table; the server's encoder takes it (a size update to 65536),
  // which a decoder left at HPACK's default 4096 would refuse.
  for (const bool announced : {true, false}) {
    http.seen.clear();
    auto d = choose();
    const std::string settings = announced ? frame(kSettings, 0, 0, std::string("\x00\x01\x00\x01\x00\x00", 6)) : "";
    feed(*d, flow::Direction::kFromClient,
         std::string(kHttp2Preface) + settings + frame(kHeaders, kEndHeaders | kEndStream, 1, kRequest1), 1000);
    const std::string response = frame(kHeaders, kEndHeaders | kEndStream, 1, bytes(hex("3fe1 ff03 88")));
    const flow::Progress p = d->on_stream(flow::Direction::kFromServer, core::Timestamp{},
                                          {reinterpret_cast<const std::uint8_t*>(response.data()), response.size()});
    EXPECT_EQ(p.kind, announced ? flow::Progress::Kind::kConsumed : flow::Progress::Kind::kFinished);
    EXPECT_EQ(http.seen.size(), announced ? 1u : 0u);
  }
}

TEST_F(Http2DissectorTest, StopsAtABrokenHeaderBlock) {
  auto d = choose();
  // Index 70 of an empty dynamic table.
  const std::string client = std::string(kHttp2Preface) + frame(kHeaders, kEndHeaders | kEndStream, 1, "\xc6");
  const flow::Progress p = d->on_stream(flow::Direction::kFromClient, core::Timestamp{},
                                        {reinterpret_cast<const std::uint8_t*>(client.data()), client.size()});
  EXPECT_EQ(p.kind, flow::Progress::Kind::kFinished);
  EXPECT_EQ(counters.http[HttpCounter::kH2Errors], 1u);
  d->on_close();
  EXPECT_TRUE(http.seen.empty());
}

}  // namespace
}  // namespace tattle::dissect
