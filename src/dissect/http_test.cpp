#include "dissect/http.hpp"

#include <gtest/gtest.h>

#include <string>

#include "decode/packet.hpp"
#include "dissect/http_request.hpp"
#include "dissect/tcp_test_fixture.hpp"

namespace tattle::dissect {
namespace {

core::Bytes bytes_of(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

TEST(HttpRequestHead, ReadsRequestLineAndHeaders) {
  const std::string head =
      "POST /v1/events?id=7 HTTP/1.1\r\nhost: api.example.com:8080\r\nUser-Agent:  App/2.1 (iPhone)\r\n"
      "Content-Length: 12\r\n\r\n{\"a\":\"b\"}...";
  HttpRequest q;
  std::size_t size = 0;
  ASSERT_EQ(parse_request_head(bytes_of(head), q, size), HeadResult::kRead);
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.target, "/v1/events?id=7");
  EXPECT_EQ(q.version, "HTTP/1.1");
  EXPECT_EQ(q.host, "api.example.com:8080");
  EXPECT_EQ(q.user_agent, "App/2.1 (iPhone)");
  EXPECT_EQ(q.content_length, 12u);
  EXPECT_EQ(size, head.find("{"));
}

TEST(HttpRequestHead, WaitsForTheEndAndRefusesOtherText) {
  HttpRequest q;
  std::size_t size = 0;
  EXPECT_EQ(parse_request_head(bytes_of("GET / HTTP/1.1\r\nHost: a"), q, size), HeadResult::kNeedMore);
  EXPECT_EQ(parse_request_head(bytes_of("GET / SIP/2.0\r\n\r\n"), q, size), HeadResult::kNotHttp);
  EXPECT_EQ(parse_request_head(bytes_of("GET / HTTP/1.0\r\nContent-Length: -1\r\n\r\n"), q, size),
            HeadResult::kNotHttp);
  EXPECT_EQ(parse_request_head(bytes_of("GET / HTTP/1.0\n\n"), q, size), HeadResult::kRead);
  EXPECT_EQ(size, 16u);
  const std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(kMaxRequestHead, 'a');
  EXPECT_EQ(parse_request_head(bytes_of(endless), q, size), HeadResult::kNotHttp);
  EXPECT_TRUE(looks_like_request(bytes_of("OPTIONS * HTTP/1.1")));
  EXPECT_FALSE(looks_like_request(bytes_of("get / HTTP/1.1")));
  EXPECT_FALSE(looks_like_request(bytes_of("GET")));
}

using HttpDissectorTest = TcpDissectorFixture;

TEST_F(HttpDissectorTest, FollowsBodiesToTheNextRequest) {
  auto d = choose();
  const std::string stream =
      "POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhello"
      "GET /next HTTP/1.1\r\nHost: b.example:81\r\nUser-Agent: ua\r\n\r\n";
  // In two pieces, the first ending inside the body.
  const core::Bytes all = bytes_of(stream);
  const std::size_t cut = stream.find("llo");
  const flow::Progress p = d->on_stream(flow::Direction::kFromClient, core::Timestamp{}, all.first(cut));
  ASSERT_EQ(p.kind, flow::Progress::Kind::kConsumed);
  EXPECT_EQ(p.consumed, cut);
  d->on_stream(flow::Direction::kFromClient, core::Timestamp{}, all.subspan(cut));
  // Responses are not read: the server's direction need not even be reassembled.
  EXPECT_EQ(d->on_stream(flow::Direction::kFromServer, core::Timestamp{}, all).kind, flow::Progress::Kind::kFinished);
  flow::FlowRecord r;
  d->annotate(r);
  ASSERT_EQ(r.http_requests.size(), 2u);
  EXPECT_EQ(r.http_requests[1].method(), "GET");
  EXPECT_EQ(r.http_requests[1].target(), "/next");
  EXPECT_EQ(r.http_requests[1].user_agent(), "ua");
  EXPECT_EQ(r.name, "a.example");
  EXPECT_EQ(r.name_source, flow::NameSource::kHttp);
  EXPECT_EQ(r.names, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(counters.http[HttpCounter::kRequests], 2u);
  EXPECT_EQ(counters.payload[TcpPayloadCounter::kHttp], 1u);
}

TEST_F(HttpDissectorTest, PassesOverAKeepAliveByteThatOpensTheStream) {
  auto d = choose();
  const std::uint8_t probe[] = {0x00};
  EXPECT_EQ(d->on_stream(flow::Direction::kFromClient, core::Timestamp{}, probe).consumed, 1u);
  d->on_stream(flow::Direction::kFromClient, core::Timestamp{}, bytes_of("GET / HTTP/1.1\r\nHost: k.example\r\n\r\n"));
  flow::FlowRecord r;
  d->annotate(r);
  EXPECT_EQ(r.name, "k.example");
  // Only the very first chunk: a lone odd byte later is not skipped.
  auto e = choose();
  e->on_stream(flow::Direction::kFromClient, core::Timestamp{}, bytes_of("G"));
  EXPECT_EQ(e->on_stream(flow::Direction::kFromClient, core::Timestamp{}, probe).kind, flow::Progress::Kind::kReject);
}

TEST_F(HttpDissectorTest, WaitsForEnoughBytesToChoose) {
  auto d = choose();
  EXPECT_EQ(d->on_stream(flow::Direction::kFromClient, core::Timestamp{}, bytes_of("OPT")).kind,
            flow::Progress::Kind::kNeedMore);
  const std::string chunked = "PUT /x HTTP/1.1\r\nHost: c.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello";
  d->on_stream(flow::Direction::kFromClient, core::Timestamp{}, bytes_of(chunked));
  flow::FlowRecord r;
  d->annotate(r);
  ASSERT_EQ(r.http_requests.size(), 1u);
  EXPECT_EQ(counters.http[HttpCounter::kStoppedChunked], 1u);
}

}  // namespace
}  // namespace tattle::dissect
