// What the HTTP dissectors share: a message's body, decoded into its bounded view as it arrives,
// with the fields of the view the sinks get; HTTP/2's and HTTP/3's messages, whose heads are field
// lists with pseudo-header fields; and the flow's first requests, which name it.
#pragma once

#include <cstdint>
#include <string_view>

#include <utility>
#include <vector>

#include "core/counter.hpp"
#include "dissect/content_coding.hpp"
#include "dissect/http.hpp"
#include "dissect/http_message.hpp"
#include "flow/flow_record.hpp"

namespace tattle::dissect {

struct MessageBody {
  BodyDecoder decoder{{}, kMaxBodyView};
  std::uint64_t bytes = 0;  // as carried
  core::Timestamp time;
  bool present = false;
  bool complete = false;

  // The message's head has been read at `ts`; its body is coded as `content_encoding` says.
  void start(core::Timestamp ts, std::string_view content_encoding) {
    present = true;
    time = ts;
    decoder = BodyDecoder(content_encoding, kMaxBodyView);
  }
  void add(core::Bytes b) {
    decoder.feed(b);
    bytes += b.size();
  }
  // The message ended as its framing said.
  void end() {
    complete = true;
    decoder.finish();
  }
  // Cut short: what came is all there is.
  void cut() { decoder.finish(); }

  // `out`'s time and body fields; bodies that could not be decoded, or not whole, are counted.
  void view(HttpMessage& out, core::Counters<HttpCounter>& counters) const {
    out.time = time;
    out.body_bytes = bytes;
    out.body = decoder.out();
    out.body_whole = decoder.whole();
    out.body_error = decoder.error();
    out.complete = complete;
    if (!decoder.error().empty()) ++counters[HttpCounter::kBodyErrors];
    else if (!decoder.whole()) ++counters[HttpCounter::kBodiesCut];
  }
};

// One side of an HTTP/2 or HTTP/3 stream: its head's fields (the pseudo-header fields apart) and
// its body.
struct FieldMessage {
  std::vector<std::pair<std::string, std::string>> fields;
  std::string method, authority, path;
  std::uint16_t status = 0;
  MessageBody body;
  bool ended = false;  // the stream's end (END_STREAM, FIN) came, or it was reset

  [[nodiscard]] std::string_view field(std::string_view name) const {
    for (const auto& [n, v] : fields)
      if (n == name) return v;
    return {};
  }
  // Takes a decoded field list as this message's head, read at `ts`; false for an interim (1xx)
  // response, which is passed over.
  bool take_head(std::vector<std::pair<std::string, std::string>>& list, bool request, core::Timestamp ts);
};

// Hands a stream's request and response on as one exchange (whichever of them came), counting
// what was missing or cut short.
void emit_exchange(const HttpContext& context, std::uint64_t stream_id, std::string_view version, bool decrypted,
                   bool pushed, FieldMessage& request, FieldMessage& response);

// The first kMaxFlowRequests requests of a flow, for its record; their Hosts name it.
class FlowRequests {
 public:
  void add(std::string_view method, std::string_view host, std::string_view target, std::string_view user_agent,
           core::Counters<HttpCounter>& counters) {
    if (requests_.size() < flow::kMaxFlowRequests) requests_.emplace_back(method, host, target, user_agent);
    else ++counters[HttpCounter::kDropped];
  }
  // Adds them to the record's (a connection upgraded to HTTP/2 has had HTTP/1.1 requests too).
  void annotate(flow::FlowRecord& r) {
    for (auto& q : requests_) {
      r.add_name(host_name(q.host()), flow::NameSource::kHttp);
      if (r.http_requests.size() < flow::kMaxFlowRequests) r.http_requests.push_back(std::move(q));
    }
    requests_.clear();
  }

 private:
  // "example.com" from "example.com:8080", "[2001:db8::1]" from "[2001:db8::1]:8080".
  static std::string_view host_name(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
      const std::size_t close = host.find(']');
      return close == std::string_view::npos ? host : host.substr(0, close + 1);
    }
    return host.substr(0, host.find(':'));
  }
  std::vector<flow::FlowRecord::HttpRequest> requests_;
};

}  // namespace tattle::dissect
