#include "dissect/http.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "decode/packet.hpp"
#include "dissect/http1_head.hpp"
#include "dissect/tcp_test_fixture.hpp"
#include "support/codings.hpp"

namespace tattle::dissect {
namespace {

using test_support::gzip;

core::Bytes bytes_of(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Reads one whole head with find_head() and a parser.
template <class Parse>
bool read_head(const std::string& text, Http1Head& head, std::size_t& size, Parse parse) {
  return find_head(bytes_of(text), size) == HeadResult::kRead && parse(std::string_view(text).substr(0, size), head);
}

TEST(Http1Head, ReadsRequestLineAndHeaders) {
  const std::string text =
      "POST /v1/events?id=7 HTTP/1.1\r\nhost: api.example.com:8080\r\nUser-Agent:  App/2.1 (iPhone)\r\n"
      "Content-Length: 12\r\nContent-Type: application/json\r\n\r\n{\"a\":\"b\"}...";
  Http1Head h;
  std::size_t size = 0;
  ASSERT_TRUE(read_head(text, h, size, parse_request_head));
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/v1/events?id=7");
  EXPECT_EQ(h.version, "HTTP/1.1");
  EXPECT_EQ(h.host, "api.example.com:8080");
  EXPECT_EQ(h.user_agent, "App/2.1 (iPhone)");
  EXPECT_EQ(h.content_type, "application/json");
  EXPECT_TRUE(h.has_length);
  EXPECT_EQ(h.content_length, 12u);
  ASSERT_EQ(h.headers.size(), 4u);
  EXPECT_EQ(h.headers[0].name, "host");
  EXPECT_EQ(size, text.find("{"));
}

TEST(Http1Head, ReadsStatusLinesAndFraming) {
  Http1Head h;
  std::size_t size = 0;
  ASSERT_TRUE(read_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n", h, size,
                        parse_response_head));
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.chunked);
  EXPECT_FALSE(h.has_length);  // Transfer-Encoding wins (RFC 9112 §6.3)
  ASSERT_TRUE(read_head("HTTP/1.0 304\n\n", h, size, parse_response_head));
  EXPECT_EQ(h.status, 304);
  EXPECT_EQ(size, 14u);
  ASSERT_TRUE(read_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", h, size, parse_response_head));
  EXPECT_TRUE(h.other_coding);
  EXPECT_FALSE(read_head("HTTP/1.1 2x0 OK\r\n\r\n", h, size, parse_response_head));
  EXPECT_FALSE(read_head("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", h, size,
                         parse_response_head));
  // A request's body cannot run to the close.
  EXPECT_FALSE(read_head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", h, size, parse_request_head));
}

TEST(Http1Head, WaitsForTheEndAndRefusesOtherText) {
  Http1Head h;
  std::size_t size = 0;
  EXPECT_EQ(find_head(bytes_of("GET / HTTP/1.1\r\nHost: a"), size), HeadResult::kNeedMore);
  EXPECT_FALSE(read_head("GET / SIP/2.0\r\n\r\n", h, size, parse_request_head));
  EXPECT_FALSE(read_head("GET / HTTP/1.0\r\nContent-Length: -1\r\n\r\n", h, size, parse_request_head));
  EXPECT_TRUE(read_head("GET / HTTP/1.0\n\n", h, size, parse_request_head));
  EXPECT_EQ(size, 16u);
  const std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(kMaxHead, 'a');
  EXPECT_EQ(find_head(bytes_of(endless), size), HeadResult::kNotHttp);
  EXPECT_TRUE(looks_like_request(bytes_of("OPTIONS * HTTP/1.1")));
  EXPECT_FALSE(looks_like_request(bytes_of("get / HTTP/1.1")));
  EXPECT_FALSE(looks_like_request(bytes_of("GET")));
}

using HttpDissectorTest = TcpDissectorFixture;

constexpr auto kClient = flow::Direction::kFromClient;
constexpr auto kServer = flow::Direction::kFromServer;

// Feeds `text` to one direction in pieces of `piece` bytes, as StreamFeed would: bytes not
// consumed are shown again in front of the next.
void feed(flow::Dissector& d, flow::Direction dir, const std::string& text, std::size_t piece) {
  std::string pending;
  for (std::size_t at = 0; at < text.size(); at += piece) {
    pending += text.substr(at, piece);
    const flow::Progress p = d.on_stream(dir, core::Timestamp{}, bytes_of(pending));
    if (p.kind == flow::Progress::Kind::kFinished || p.kind == flow::Progress::Kind::kReject) return;
    pending.erase(0, p.kind == flow::Progress::Kind::kConsumed ? p.consumed : 0);
  }
}

std::string fmt_chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}


TEST_F(HttpDissectorTest, PairsPipelinedRequestsWithTheirResponses) {
  const std::string json = "{\"lat\":52.52,\"lon\":13.40}";
  const std::string page = std::string(3000, 'x') + "<html>";
  const std::string requests =
      "POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(json.size()) + "\r\n\r\n" + json +
      "PUT /chunks HTTP/1.1\r\nHost: b.example:81\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
      "HEAD /head HTTP/1.1\r\nHost: a.example\r\n\r\n"
      "GET /page HTTP/1.1\r\nHost: a.example\r\nUser-Agent: ua\r\n\r\n";
  const std::string zipped = gzip(page);
  const std::string responses =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"  // HEAD: the length is not a body
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
      fmt_chunk(zipped.substr(0, 10)) + fmt_chunk(zipped.substr(10)) + "0\r\n\r\n";
  for (const std::size_t piece : {std::size_t{1}, std::size_t{13}, std::size_t{100000}}) {
    http.seen.clear();
    auto d = choose();
    feed(*d, kClient, requests, piece);
    feed(*d, kServer, responses, piece);
    ASSERT_EQ(http.seen.size(), 4u) << "pieces of " << piece;
    const auto& post = http.seen[0];
    EXPECT_EQ(post.method, "POST");
    EXPECT_EQ(post.authority, "a.example");
    EXPECT_EQ(post.target, "/upload");
    EXPECT_EQ(post.version, "HTTP/1.1");
    EXPECT_EQ(post.request.body, json);
    EXPECT_EQ(post.request.content_type, "application/json");
    EXPECT_EQ(post.status, 201);
    EXPECT_EQ(post.response.body, "ok");
    const auto& put = http.seen[1];
    EXPECT_EQ(put.stream, 1u);
    EXPECT_EQ(put.request.body, "hello world");
    EXPECT_EQ(put.request.body_bytes, 11u);
    EXPECT_EQ(put.status, 204);
    EXPECT_EQ(http.seen[2].method, "HEAD");
    EXPECT_EQ(http.seen[2].response.body_bytes, 0u);
    const auto& get = http.seen[3];
    EXPECT_EQ(get.target, "/page");
    EXPECT_EQ(get.status, 200);
    EXPECT_EQ(get.response.body, page);
    EXPECT_EQ(get.response.body_bytes, zipped.size());
    EXPECT_TRUE(get.response.body_whole);
    EXPECT_TRUE(get.response.complete);
    flow::FlowRecord r;
    d->annotate(r);
    ASSERT_EQ(r.http_requests.size(), 4u);
    EXPECT_EQ(r.http_requests[3].user_agent(), "ua");
    EXPECT_EQ(r.names, (std::vector<std::string>{"a.example", "b.example"}));
  }
}

TEST_F(HttpDissectorTest, EndsABodyAtTheCloseAndCountsWhatIsMissing) {
  auto d = choose();
  feed(*d, kClient, "GET /a HTTP/1.0\r\nHost: c.example\r\n\r\nGET /b HTTP/1.1\r\nHost: c.example\r\n\r\n", 1000);
  feed(*d, kServer, "HTTP/1.0 200 OK\r\n\r\nuntil the close", 1000);
  EXPECT_TRUE(http.seen.empty());
  d->on_close();
  ASSERT_EQ(http.seen.size(), 2u);
  EXPECT_EQ(http.seen[0].response.body, "until the close");
  EXPECT_TRUE(http.seen[0].response.complete);
  EXPECT_FALSE(http.seen[1].has_response);
  EXPECT_EQ(counters.http[HttpCounter::kUnanswered], 1u);
}

TEST_F(HttpDissectorTest, MarksMessagesCutByAGapAndReadsResponsesWithoutRequests) {
  auto d = choose();
  feed(*d, kClient, "POST /p HTTP/1.1\r\nHost: d.example\r\nContent-Length: 10\r\n\r\nabc", 1000);
  EXPECT_EQ(d->on_gap(kClient, 7).kind, flow::Progress::Kind::kFinished);
  feed(*d, kServer, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
       1000);
  d->on_close();
  ASSERT_EQ(http.seen.size(), 2u);
  EXPECT_FALSE(http.seen[0].request.complete);
  EXPECT_EQ(http.seen[0].request.body, "abc");
  EXPECT_EQ(http.seen[0].status, 200);
  EXPECT_FALSE(http.seen[1].has_request);
  EXPECT_EQ(http.seen[1].status, 404);
  EXPECT_EQ(counters.http[HttpCounter::kCutShort], 1u);
  EXPECT_EQ(counters.http[HttpCounter::kUnsolicited], 1u);
}

TEST_F(HttpDissectorTest, StopsAtAnUpgrade) {
  auto d = choose();
  feed(*d, kClient, "GET /ws HTTP/1.1\r\nHost: e.example\r\nUpgrade: websocket\r\n\r\n", 1000);
  feed(*d, kServer, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", 1000);
  ASSERT_EQ(http.seen.size(), 1u);
  EXPECT_EQ(http.seen[0].status, 101);
  EXPECT_EQ(d->on_stream(kClient, core::Timestamp{}, bytes_of("\x81\x85....")).kind, flow::Progress::Kind::kFinished);
  EXPECT_EQ(counters.http[HttpCounter::kUpgraded], 1u);
}

TEST_F(HttpDissectorTest, FollowsAnUpgradeToHttp2) {
  auto d = choose();
  feed(*d, kClient, "GET /a HTTP/1.1\r\nHost: g.example\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", 1000);
  // The 101, then in the same segment the server's SETTINGS and the response on stream 1
  // (HEADERS: :status 200, indexed; END_STREAM).
  const std::string h2 = std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9) +
                         std::string("\x00\x00\x01\x01\x05\x00\x00\x00\x01\x88", 10);
  feed(*d, kServer, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n" + h2, 1000);
  // The client's preface, then a request on stream 3 (:method GET, :path /, :scheme http,
  // :authority g.example as a literal).
  feed(*d, kClient,
       "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + std::string("\x00\x00\x0e\x01\x05\x00\x00\x00\x03\x82\x84\x86\x01\x09g.example", 23),
       1000);
  d->on_close();
  ASSERT_EQ(http.seen.size(), 3u);
  EXPECT_EQ(http.seen[0].status, 101);
  EXPECT_EQ(http.seen[0].version, "HTTP/1.1");
  EXPECT_EQ(http.seen[1].version, "HTTP/2");
  EXPECT_EQ(http.seen[1].stream, 1u);
  EXPECT_FALSE(http.seen[1].has_request);  // it was the HTTP/1.1 request above
  EXPECT_EQ(http.seen[1].status, 200);
  EXPECT_EQ(http.seen[2].stream, 3u);
  EXPECT_EQ(http.seen[2].authority, "g.example");
  EXPECT_EQ(http.seen[2].target, "/");
  flow::FlowRecord r;
  d->annotate(r);
  EXPECT_EQ(r.http_requests.size(), 2u);
}

TEST_F(HttpDissectorTest, StopsADirectionThatIsNotHttp) {
  auto d = choose();
  feed(*d, kClient, "GET / HTTP/1.1\r\nHost: f.example\r\n\r\n", 1000);
  EXPECT_EQ(d->on_stream(kServer, core::Timestamp{}, bytes_of("SSH-2.0-OpenSSH\r\n\r\n")).kind,
            flow::Progress::Kind::kFinished);
  EXPECT_EQ(counters.http[HttpCounter::kNotHttp], 1u);
  // A chunk size that is no number.
  auto e = choose();
  feed(*e, kClient, "POST / HTTP/1.1\r\nHost: f.example\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1000);
  EXPECT_EQ(counters.http[HttpCounter::kNotHttp], 2u);
}

TEST_F(HttpDissectorTest, PassesOverAKeepAliveByteThatOpensTheStream) {
  auto d = choose();
  const std::uint8_t probe[] = {0x00};
  EXPECT_EQ(d->on_stream(kClient, core::Timestamp{}, probe).consumed, 1u);
  d->on_stream(kClient, core::Timestamp{}, bytes_of("GET / HTTP/1.1\r\nHost: k.example\r\n\r\n"));
  flow::FlowRecord r;
  d->annotate(r);
  EXPECT_EQ(r.name, "k.example");
  EXPECT_EQ(r.name_source, flow::NameSource::kHttp);
  // Only the very first chunk: a lone odd byte later is not skipped.
  auto e = choose();
  e->on_stream(kClient, core::Timestamp{}, bytes_of("G"));
  EXPECT_EQ(e->on_stream(kClient, core::Timestamp{}, probe).kind, flow::Progress::Kind::kReject);
}

TEST_F(HttpDissectorTest, WaitsForEnoughBytesToChoose) {
  auto d = choose();
  EXPECT_EQ(d->on_stream(kClient, core::Timestamp{}, bytes_of("OPT")).kind, flow::Progress::Kind::kNeedMore);
  EXPECT_EQ(counters.payload[TcpPayloadCounter::kHttp], 0u);
  d->on_stream(kClient, core::Timestamp{}, bytes_of("OPTIONS * HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(counters.payload[TcpPayloadCounter::kHttp], 1u);
  EXPECT_EQ(counters.http[HttpCounter::kRequests], 1u);
}

}  // namespace
}  // namespace tattle::dissect
