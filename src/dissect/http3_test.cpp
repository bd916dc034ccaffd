// The HTTP/3 reader on streams built here around RFC 9204's Appendix B: a request whose field
// section (B.2) needs the client's encoder stream, which comes after it (the section is blocked,
// then decoded), and a response with a static-table :status.
#include "dissect/http3.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dissect/tcp_test_fixture.hpp"
#include "support/hex.hpp"

namespace tattle::dissect {
namespace {

using test_support::hex;

std::vector<std::uint8_t> frame(std::uint8_t type, const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> f = {type, static_cast<std::uint8_t>(payload.size())};  // lengths under 64
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

std::vector<std::uint8_t> cat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Http3Connection, DecodesABlockedSectionOnceTheEncoderStreamComes) {
  core::Counters<HttpCounter> counters;
  CollectingHttpSink sink;
  Http3Connection h3(HttpContext{&counters, &sink, 8, {}, {}});
  const core::Timestamp t{1};
  // Stream 0: HEADERS with RFC 9204 B.2's section (:authority and :path from the dynamic table),
  // then DATA, given a byte at a time; then the client's control stream (type 0, not read).
  const auto request = cat(frame(0x01, hex("03811011")), frame(0x00, hex("6b6579733d6869")));
  for (std::size_t i = 0; i < request.size(); ++i)
    h3.on_stream(0, true, core::Bytes(request).subspan(i, 1), i + 1 == request.size(), t);
  h3.on_stream(2, true, hex("00 04 00"), false, t);
  EXPECT_TRUE(sink.seen.empty());
  // The server's response: :status 200 from the static table (index 25), a body, the end.
  h3.on_stream(0, false, cat(frame(0x01, hex("0000d9")), frame(0x00, hex("6f6b"))), true, t);
  EXPECT_TRUE(sink.seen.empty());  // the request's section still waits
  // The client's encoder stream (type 2): B.2's capacity and two insertions.
  h3.on_stream(6, true, cat(hex("02"), hex("3fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f70617468")),
               false, t);
  ASSERT_EQ(sink.seen.size(), 1u);
  const SeenExchange& x = sink.seen[0];
  EXPECT_EQ(x.version, "HTTP/3");
  EXPECT_EQ(x.method, "");  // B.2 sends no :method
  EXPECT_EQ(x.authority, "www.example.com");
  EXPECT_EQ(x.target, "/sample/path");
  EXPECT_EQ(x.request.body, "keys=hi");
  EXPECT_EQ(x.status, 200);
  EXPECT_EQ(x.response.body, "ok");
  EXPECT_TRUE(x.response.complete);
  EXPECT_EQ(counters[HttpCounter::kH3Errors], 0u);
}

TEST(Http3Connection, ReadsRfc9204sStaticOnlySectionAndCountsDamage) {
  core::Counters<HttpCounter> counters;
  CollectingHttpSink sink;
  Http3Connection h3(HttpContext{&counters, &sink, 8, {}, {}});
  // B.1: :path /index.html, a literal with a static name reference; no response before the end.
  h3.on_stream(4, true, frame(0x01, hex("0000510b2f696e6465782e68746d6c")), true, core::Timestamp{});
  // A section that refers to a dynamic entry that cannot exist (Required Insert Count 1 with no
  // encoder stream, then past the end): damage, counted.
  h3.on_stream(8, true, frame(0x01, hex("02 00 80")), true, core::Timestamp{});
  h3.finish();
  ASSERT_GE(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].target, "/index.html");
  EXPECT_FALSE(sink.seen[0].has_response);
}

}  // namespace
}  // namespace tattle::dissect
