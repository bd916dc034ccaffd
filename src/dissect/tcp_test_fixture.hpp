// Test fixture: a dissector table with the TCP dissectors, their counters, and the HTTP
// exchanges they hand on, copied out.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "decode/packet.hpp"
#include "dissect/tcp.hpp"

namespace tattle::dissect {

// An HttpExchange's views, copied.
struct SeenMessage {
  std::vector<std::pair<std::string, std::string>> headers;
  std::uint64_t body_bytes = 0;
  std::string body;
  bool body_whole = true;
  std::string body_error;
  std::string content_type;
  bool complete = true;
};

struct SeenExchange {
  std::uint64_t stream = 0;
  std::string version;
  bool decrypted = false;
  bool has_request = false, has_response = false;
  std::string method, authority, target;
  std::uint16_t status = 0;
  SeenMessage request, response;
};

class CollectingHttpSink final : public HttpSink {
 public:
  void on_http(const HttpExchange& x) override {
    SeenExchange& s = seen.emplace_back();
    s.stream = x.stream_id;
    s.version = x.version;
    s.decrypted = x.decrypted;
    s.has_request = x.has_request;
    s.has_response = x.has_response;
    s.method = x.method;
    s.authority = x.authority;
    s.target = x.target;
    s.status = x.status;
    copy(x.request, s.request);
    copy(x.response, s.response);
  }
  std::vector<SeenExchange> seen;

 private:
  static void copy(const HttpMessage& m, SeenMessage& out) {
    for (const auto& h : m.headers) out.headers.emplace_back(h.name, h.value);
    out.body_bytes = m.body_bytes;
    out.body.assign(reinterpret_cast<const char*>(m.body.data()), m.body.size());
    out.body_whole = m.body_whole;
    out.body_error = m.body_error;
    out.content_type = m.content_type;
    out.complete = m.complete;
  }
};

class TcpDissectorFixture : public ::testing::Test {
 protected:
  TcpDissectorFixture() { add_tcp(table, counters, nullptr, &http); }
  // The dissector a new TCP flow gets.
  std::unique_ptr<flow::Dissector> choose() {
    flow::FlowContext c;
    c.ip_proto = decode::ip_proto::kTcp;
    return table.choose(c);
  }
  flow::DissectorTable table;
  TcpDissectorCounters counters;
  CollectingHttpSink http;
};

}  // namespace tattle::dissect
