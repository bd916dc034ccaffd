// The HAR reader on documents written here after HAR 1.2's fields (and Chromium's
// _webSocketMessages): requests, responses, base64 bodies, a broken entry, a document cut short.
#include "capture/har.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tattle::capture {
namespace {

const char kHar[] = R"({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
 "entries": [
  {"startedDateTime": "2026-11-25T10:00:00.250Z", "time": 120.5, "serverIPAddress": "[2001:db8::7]",
   "connection": "443",
   "request": {"method": "POST", "url": "https://api.example.com/v1/events?uid=42", "httpVersion": "h2",
               "headers": [{"name": "user-agent", "value": "App/1"}, {"name": "content-type", "value": "application/json"}],
               "postData": {"mimeType": "application/json", "text": "{\"lat\":52.5}"},
               "headersSize": -1, "bodySize": 12},
   "response": {"status": 204, "httpVersion": "h2", "headers": [],
                "content": {"size": 0, "mimeType": ""}, "headersSize": -1, "bodySize": 0},
   "timings": {"send": 1, "wait": 100, "receive": 19.5}},
  {"startedDateTime": "2026-11-25T10:00:01Z", "time": 5,
   "request": {"headers": []},
   "response": {"status": 200}},
  {"startedDateTime": "2026-11-25T10:00:02Z", "time": 30, "serverIPAddress": "192.0.2.1",
   "request": {"method": "GET", "url": "wss://chat.example.com/socket", "httpVersion": "HTTP/1.1", "headers": []},
   "response": {"status": 101, "httpVersion": "HTTP/1.1", "headers": [],
                "content": {"size": 5, "mimeType": "image/png", "text": "iVBORw==", "encoding": "base64"}},
   "_webSocketMessages": [{"type": "send", "time": 1795600802.5, "opcode": 1, "data": "typed: h"},
                          {"type": "receive", "time": 1795600802.75, "opcode": 1, "data": "ok"}]},
  {"startedDateTime": "2026-11-25T10:00:03Z", "request": {"method": "GET", "url": "http://cut.example/"},)";

std::vector<HarEntry> read(const std::string& text, HarCounts& counts, std::uint64_t& warnings) {
  const std::string path = testing::TempDir() + "/test.har";
  std::ofstream(path, std::ios::binary) << text;
  std::FILE* null = std::fopen("/dev/null", "w");
  core::Diagnostics diag(null);
  const auto input = diag.add_input(path);
  std::vector<HarEntry> got;
  EXPECT_TRUE(read_har(path, input, diag, [&](const HarEntry& e) { got.push_back(e); }, counts).ok());
  warnings = diag.total();
  std::fclose(null);
  return got;
}

TEST(Har, ReadsEntriesAndWarnsOfDamagedOnes) {
  EXPECT_TRUE(looks_like_har(" {\n  \"log\": {"));
  EXPECT_FALSE(looks_like_har(R"({"type":"networkActivity"})"));
  HarCounts counts;
  std::uint64_t warnings = 0;
  const auto got = read(kHar, counts, warnings);
  ASSERT_EQ(got.size(), 2u);
  const HarEntry& post = got[0];
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.url, "https://api.example.com/v1/events?uid=42");
  EXPECT_EQ(post.request.version, "h2");
  EXPECT_EQ(post.request.body, "{\"lat\":52.5}");
  EXPECT_EQ(post.request.body_size, 12);
  EXPECT_EQ(post.request.headers.size(), 2u);
  EXPECT_EQ(post.server_ip, "2001:db8::7");
  EXPECT_EQ(post.status, 204);
  EXPECT_EQ(post.started.ns, 1'795'600'800'250'000'000);  // date -u -d 2026-11-25T10:00:00Z +%s
  EXPECT_DOUBLE_EQ(post.time_ms, 120.5);
  const HarEntry& ws = got[1];
  EXPECT_EQ(ws.index, 2u);
  EXPECT_EQ(ws.response.body, std::string("\x89PNG", 4));
  ASSERT_EQ(ws.websocket.size(), 2u);
  EXPECT_TRUE(ws.websocket[0].sent);
  EXPECT_EQ(ws.websocket[0].data, "typed: h");
  EXPECT_EQ(ws.websocket[1].time.ns, 1'795'600'802'750'000'000);
  // The entry without a method or URL, and the document cut off inside the last one.
  EXPECT_EQ(counts.entries, 2u);
  EXPECT_EQ(counts.bad_entries, 2u);
  EXPECT_EQ(warnings, 2u);
}

TEST(Har, RefusesWhatIsNoHar) {
  const std::string path = testing::TempDir() + "/not.har";
  std::ofstream(path) << R"({"log": {"pages": []}})";
  std::FILE* null = std::fopen("/dev/null", "w");
  core::Diagnostics diag(null);
  HarCounts counts;
  EXPECT_FALSE(read_har(path, diag.add_input(path), diag, [](const HarEntry&) {}, counts).ok());
  EXPECT_FALSE(read_har("/nonexistent.har", 0, diag, [](const HarEntry&) {}, counts).ok());
  std::fclose(null);
}

}  // namespace
}  // namespace tattle::capture
