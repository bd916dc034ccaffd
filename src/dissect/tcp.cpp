#include "dissect/tcp.hpp"

#include "decode/packet.hpp"
#include "dissect/http1_head.hpp"
#include "dissect/http2.hpp"

namespace tattle::dissect {

std::string_view counter_name(TcpPayloadCounter c) {
  switch (c) {
    case TcpPayloadCounter::kTls: return "tls";
    case TcpPayloadCounter::kHttp: return "http";
    case TcpPayloadCounter::kUnrecognised: return "unrecognised";
    case TcpPayloadCounter::kCount: break;
  }
  return "?";
}

namespace {

// An HTTP method is at most 16 characters; with its space, this is enough to decide.
constexpr std::size_t kSniffBytes = 18;

class TcpSniffer final : public flow::Dissector {
 public:
  TcpSniffer(TcpDissectorCounters& counters, decrypt::KeyLog* keylog, const HttpContext& http)
      : counters_(counters), keylog_(keylog), http_(http) {}

  flow::Progress on_stream(flow::Direction dir, core::Timestamp ts, core::Bytes bytes) override {
    if (child_) return child_->on_stream(dir, ts, bytes);
    // Whatever a server says before its client (a banner) tells nothing here.
    if (dir != flow::Direction::kFromClient) return flow::Progress::done(bytes.size());
    // A TCP keep-alive probe carries one byte of old data. In a capture that begins mid-way
    // it can come first, ahead of the next real request: passed over, once.
    if (!passed_probe_ && bytes.size() == 1 && !could_begin_request(bytes)) {
      passed_probe_ = true;
      return flow::Progress::done(1);
    }
    passed_probe_ = true;
    if (looks_like_tls(bytes)) {
      ++counters_.payload[TcpPayloadCounter::kTls];
      child_ = make_tls_dissector(counters_.tls, keylog_, http_);
    } else if (looks_like_request(bytes)) {
      ++counters_.payload[TcpPayloadCounter::kHttp];
      // HTTP/2 with prior knowledge (RFC 9113 §3.3) opens with a preface like a request line.
      const bool h2 = std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()).starts_with("PRI ");
      child_ = h2 ? make_http2_dissector(http_, false) : make_http_dissector(http_, false);
    } else if (bytes.size() < kSniffBytes && could_begin_request(bytes)) {
      return flow::Progress::need(kSniffBytes);
    } else {
      ++counters_.payload[TcpPayloadCounter::kUnrecognised];
      return flow::Progress::reject();
    }
    return child_->on_stream(dir, ts, bytes);
  }

  flow::Progress on_gap(flow::Direction dir, std::uint64_t missing) override {
    if (child_) return child_->on_gap(dir, missing);
    if (dir == flow::Direction::kFromServer) return flow::Progress::done(0);
    ++counters_.payload[TcpPayloadCounter::kUnrecognised];
    return flow::Progress::reject();
  }

  flow::Progress on_datagram(flow::Direction, core::Timestamp, core::Bytes) override {
    return flow::Progress::reject();
  }

  void on_close() override {
    if (child_) child_->on_close();
  }
  void annotate(flow::FlowRecord& r) override {
    if (child_) child_->annotate(r);
  }

 private:
  TcpDissectorCounters& counters_;
  decrypt::KeyLog* keylog_;
  HttpContext http_;
  std::unique_ptr<flow::Dissector> child_;
  bool passed_probe_ = false;  // the first client bytes have been looked at
};

}  // namespace

void add_tcp(flow::DissectorTable& table, TcpDissectorCounters& counters, decrypt::KeyLog* keylog, HttpSink* http) {
  table.add([&counters, keylog, http](const flow::FlowContext& flow) -> std::unique_ptr<flow::Dissector> {
    if (flow.ip_proto != decode::ip_proto::kTcp) return nullptr;
    return std::make_unique<TcpSniffer>(counters, keylog,
                                        HttpContext{&counters.http, http, flow.id, flow.client, flow.server});
  });
}

}  // namespace tattle::dissect
