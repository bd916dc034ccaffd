#include "dissect/http.hpp"

#include <algorithm>
#include <deque>
#include <string>

#include "core/ascii.hpp"
#include "dissect/http1_head.hpp"
#include "dissect/http2.hpp"
#include "dissect/http_shared.hpp"
#include "flow/flow_record.hpp"

namespace tattle::dissect {

std::string_view counter_name(HttpCounter c) {
  switch (c) {
    case HttpCounter::kRequests: return "requests";
    case HttpCounter::kResponses: return "responses";
    case HttpCounter::kExchanges: return "exchanges";
    case HttpCounter::kDropped: return "requests_dropped";
    case HttpCounter::kNotHttp: return "not_http";
    case HttpCounter::kUnanswered: return "unanswered";
    case HttpCounter::kUnsolicited: return "unsolicited";
    case HttpCounter::kCutShort: return "cut_short";
    case HttpCounter::kBodyErrors: return "body_errors";
    case HttpCounter::kBodiesCut: return "bodies_cut";
    case HttpCounter::kUpgraded: return "upgraded";
    case HttpCounter::kTooManyPending: return "too_many_pending";
    case HttpCounter::kH2Connections: return "h2_connections";
    case HttpCounter::kH2Errors: return "h2_errors";
    case HttpCounter::kH2StreamsDropped: return "h2_streams_dropped";
    case HttpCounter::kH3Connections: return "h3_connections";
    case HttpCounter::kH3Errors: return "h3_errors";
    case HttpCounter::kCount: break;
  }
  return "?";
}

namespace {

// A chunk-size line (RFC 9112 §7.1) is a few hex digits and perhaps extensions; one longer than
// this is not one.
constexpr std::size_t kMaxChunkLine = 1024;

std::string_view text_of(core::Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// A message being read or waiting for its other half: its head's bytes (which `head` points
// into; never moved once read) and its body as far as it came.
struct Message {
  std::string text;
  Http1Head head;
  MessageBody body;
};

struct Exchange {
  std::uint64_t number = 0;
  Message request, response;
};

// Where one direction is in its current message.
enum class State : std::uint8_t {
  kHead,       // at the start of a message
  kBody,       // `left` bytes of a Content-Length body to come
  kChunkSize,  // at a chunk-size line
  kChunkData,  // `left` bytes of the chunk to come
  kChunkEnd,   // at the line end after a chunk's data
  kTrailers,   // at the trailer section after the last chunk
  kToClose,    // a body that runs to the connection's close
  kStopped,    // nothing more is read of this direction
};

class HttpDissector final : public flow::Dissector {
 public:
  HttpDissector(const HttpContext& context, bool decrypted) : context_(context), decrypted_(decrypted) {}

  flow::Progress on_stream(flow::Direction dir, core::Timestamp ts, core::Bytes bytes) override {
    if (h2_ != nullptr) return h2_->on_stream(dir, ts, bytes);
    const bool from_client = dir == flow::Direction::kFromClient;
    Side& side = sides_[from_client ? 0 : 1];
    std::size_t used = 0;
    while (side.state != State::kStopped && used < bytes.size()) {
      const core::Bytes rest = bytes.subspan(used);
      const std::size_t n = step(from_client, side, ts, rest);
      if (n == 0) {  // the rest of a line or head is still to come (or the direction stopped)
        if (side.state == State::kStopped) break;
        if (rest.size() >= kMaxHead) {  // a line that never ends: not HTTP
          not_http(side);
          break;
        }
        return used > 0 ? flow::Progress::done(used) : flow::Progress::need(0);
      }
      used += n;
      if (h2_ != nullptr) {  // what follows the 101 is HTTP/2's
        const flow::Progress p = h2_->on_stream(dir, ts, bytes.subspan(used));
        if (p.kind == flow::Progress::Kind::kConsumed) return flow::Progress::done(used + p.consumed);
        return p.kind == flow::Progress::Kind::kNeedMore ? flow::Progress::done(used) : p;
      }
    }
    return side.state == State::kStopped ? flow::Progress::finished() : flow::Progress::done(bytes.size());
  }

  // A message cannot be found again after a hole in its direction.
  flow::Progress on_gap(flow::Direction dir, std::uint64_t missing) override {
    if (h2_ != nullptr) return h2_->on_gap(dir, missing);
    Side& side = sides_[dir == flow::Direction::kFromClient ? 0 : 1];
    if (side.state != State::kHead) cut(side);
    stop(side);
    return flow::Progress::finished();
  }

  flow::Progress on_datagram(flow::Direction, core::Timestamp, core::Bytes) override {
    return flow::Progress::reject();
  }

  void on_close() override {
    // A body that runs to the close has ended now; any other message still being read was cut.
    for (Side& side : sides_) {
      if (side.state == State::kToClose && side.message != nullptr) {
        finish_message(*side.message);
        side.message = nullptr;
      } else if (side.state != State::kHead && side.state != State::kStopped) {
        cut(side);
      }
      side.state = State::kStopped;
    }
    while (!pending_.empty()) emit_front();
    if (h2_ != nullptr) h2_->on_close();
  }

  void annotate(flow::FlowRecord& r) override {
    requests_.annotate(r);
    if (h2_ != nullptr) h2_->annotate(r);
  }

 private:
  struct Side {
    State state = State::kHead;
    std::uint64_t left = 0;
    Message* message = nullptr;  // being read (its body); null at kHead
  };

  core::Counter& counter(HttpCounter c) { return (*context_.counters)[c]; }

  // Reads what it can at the start of `rest` for one direction; the bytes used, or 0 when a head
  // or a line is not whole yet.
  std::size_t step(bool from_client, Side& side, core::Timestamp ts, core::Bytes rest) {
    switch (side.state) {
      case State::kHead:
        return from_client ? read_request(side, ts, rest) : read_response(side, ts, rest);
      case State::kBody: {
        const std::size_t n = take_body(side, rest);
        if (side.left == 0) end_body(side);
        return n;
      }
      case State::kToClose:
        side.left = rest.size();
        return take_body(side, rest);
      case State::kChunkSize:
        return read_chunk_size(side, rest);
      case State::kChunkData: {
        const std::size_t n = take_body(side, rest);
        if (side.left == 0) side.state = State::kChunkEnd;
        return n;
      }
      case State::kChunkEnd: {
        const std::size_t eol = line_end(rest);
        if (eol == 0) return 0;
        if (eol > 2 || (eol == 2 && rest[0] != '\r')) return not_http(side);
        side.state = State::kChunkSize;
        return eol;
      }
      case State::kTrailers: {
        // Trailer fields are read like a head and passed over; none at all is a bare line end.
        std::size_t size = line_end(rest);
        if (size == 0) return 0;
        if (size > 2 || (rest[0] != '\r' && rest[0] != '\n')) {
          const HeadResult r = find_head(rest, size);
          if (r == HeadResult::kNeedMore) return 0;
          if (r == HeadResult::kNotHttp) return not_http(side);
        }
        end_body(side);
        return size;
      }
      case State::kStopped:
        break;
    }
    return rest.size();
  }

  std::size_t read_request(Side& side, core::Timestamp ts, core::Bytes rest) {
    std::size_t size = 0;
    const HeadResult r = find_head(rest, size);
    if (r == HeadResult::kNeedMore) return 0;
    if (r == HeadResult::kNotHttp) return not_http(side);
    if (pending_.size() >= kMaxPending) {
      ++counter(HttpCounter::kTooManyPending);
      stop(sides_[0]);
      stop(sides_[1]);
      return size;
    }
    Exchange& e = pending_.emplace_back();
    e.number = exchanges_++;
    Message& m = e.request;
    m.text.assign(text_of(rest.first(size)));
    if (!parse_request_head(m.text, m.head)) {
      pending_.pop_back();
      --exchanges_;
      return not_http(side);
    }
    m.body.start(ts, m.head.content_encoding);
    ++counter(HttpCounter::kRequests);
    requests_.add(m.head.method, m.head.host, m.head.target, m.head.user_agent, *context_.counters);
    side.message = &m;
    if (m.head.method == "CONNECT") {
      // What follows is a tunnel, not HTTP (RFC 9110 §9.3.6); its response still comes.
      finish_message(m);
      side.message = nullptr;
      side.state = State::kStopped;
      return size;
    }
    if (m.head.chunked) side.state = State::kChunkSize;
    else if (m.head.has_length && m.head.content_length > 0) begin_length(side, m.head.content_length);
    else end_body(side);
    return size;
  }

  std::size_t read_response(Side& side, core::Timestamp ts, core::Bytes rest) {
    std::size_t size = 0;
    const HeadResult r = find_head(rest, size);
    if (r == HeadResult::kNeedMore) return 0;
    if (r == HeadResult::kNotHttp) return not_http(side);
    Http1Head head;
    if (!parse_response_head(text_of(rest.first(size)), head)) return not_http(side);
    // Interim responses (100 Continue, 103 Early Hints) come before the real one: passed over.
    if (head.status < 200 && head.status != 101) return size;
    if (answered_ == pending_.size()) {  // no request waiting: seen from the middle of the connection
      ++counter(HttpCounter::kUnsolicited);
      pending_.emplace_back().number = exchanges_++;
    }
    Exchange& e = pending_[answered_++];
    Message& m = e.response;
    m.text.assign(text_of(rest.first(size)));
    parse_response_head(m.text, m.head);
    m.body.start(ts, m.head.content_encoding);
    ++counter(HttpCounter::kResponses);
    side.message = &m;
    const std::string_view method = e.request.body.present ? e.request.head.method : std::string_view{};
    const bool tunnel = m.head.status == 101 || (method == "CONNECT" && m.head.status < 300);
    if (tunnel) {
      ++counter(HttpCounter::kUpgraded);
      // An upgrade to HTTP/2 in clear text (RFC 7540 §3.2): the client's preface comes next, and
      // the response to the upgraded request on stream 1. (Asked before the exchange goes.)
      const bool h2 = m.head.status == 101 && upgrades_to_h2(m.head);
      finish_message(m);
      side.message = nullptr;
      stop(sides_[0]);
      stop(sides_[1]);
      emit_ready();  // hands the exchange on, and lets go of it
      if (h2) h2_ = make_http2_dissector(context_, decrypted_);
      return size;
    }
    // RFC 9112 §6.3: no body after HEAD, 204 and 304; otherwise chunks, a length, or the close.
    if (method == "HEAD" || m.head.status == 204 || m.head.status == 304) end_body(side);
    else if (m.head.chunked) side.state = State::kChunkSize;
    else if (m.head.has_length) m.head.content_length > 0 ? begin_length(side, m.head.content_length) : end_body(side);
    else side.state = State::kToClose;
    return size;
  }

  static bool upgrades_to_h2(const Http1Head& head) {
    for (const auto& h : head.headers)
      if (core::equals_lower(h.name, "upgrade") && core::equals_lower(h.value, "h2c")) return true;
    return false;
  }

  void begin_length(Side& side, std::uint64_t length) {
    side.state = State::kBody;
    side.left = length;
  }

  std::size_t take_body(Side& side, core::Bytes rest) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(side.left, rest.size()));
    side.message->body.add(rest.first(n));
    side.left -= n;
    return n;
  }

  std::size_t read_chunk_size(Side& side, core::Bytes rest) {
    const std::size_t eol = line_end(rest);
    if (eol == 0) return rest.size() >= kMaxChunkLine ? not_http(side) : 0;
    std::uint64_t size = 0;
    std::size_t digits = 0;
    for (; digits < eol; ++digits) {
      const char c = static_cast<char>(rest[digits]);
      const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (v < 0) break;
      if (digits >= 15) return not_http(side);  // a chunk of over 2^60 bytes is no chunk
      size = size * 16 + static_cast<std::uint64_t>(v);
    }
    if (digits == 0) return not_http(side);
    if (size == 0) {
      side.state = State::kTrailers;
    } else {
      side.state = State::kChunkData;
      side.left = size;
    }
    return eol;
  }

  // The length of the line at the start of `rest` with its line end; 0 when it has none yet.
  static std::size_t line_end(core::Bytes rest) {
    const auto nl = std::find(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(std::min(rest.size(), kMaxChunkLine)),
                              std::uint8_t{'\n'});
    return nl == rest.end() || static_cast<std::size_t>(nl - rest.begin()) >= kMaxChunkLine
               ? 0
               : static_cast<std::size_t>(nl - rest.begin()) + 1;
  }

  void end_body(Side& side) {
    finish_message(*side.message);
    side.message = nullptr;
    side.state = State::kHead;
    emit_ready();
  }

  static void finish_message(Message& m) { m.body.end(); }

  // The message being read ends here, short of what its framing said.
  void cut(Side& side) {
    if (side.message == nullptr) return;
    ++counter(HttpCounter::kCutShort);
    side.message->body.cut();
    side.message = nullptr;
  }

  std::size_t not_http(Side& side) {
    ++counter(HttpCounter::kNotHttp);
    cut(side);
    stop(side);
    return 0;
  }

  void stop(Side& side) {
    if (side.message != nullptr) cut(side);
    side.state = State::kStopped;
  }

  // Hands on, in order, the exchanges whose response has ended and whose request has too.
  void emit_ready() {
    while (answered_ > 0) {
      const Exchange& e = pending_.front();
      const bool request_done = !e.request.body.present || e.request.body.complete;
      const bool response_done = e.response.body.complete;
      if (!request_done || !response_done) return;
      emit_front();
    }
  }

  void emit_front() {
    Exchange& e = pending_.front();
    if (!e.response.body.present) ++counter(HttpCounter::kUnanswered);
    if (context_.sink != nullptr) {
      HttpExchange x;
      x.flow_id = context_.flow_id;
      x.client = context_.client;
      x.server = context_.server;
      x.stream_id = e.number;
      x.decrypted = decrypted_;
      x.has_request = e.request.body.present;
      x.has_response = e.response.body.present;
      if (x.has_request) {
        x.method = e.request.head.method;
        x.authority = e.request.head.host;
        x.target = e.request.head.target;
        x.version = e.request.head.version;
        view(e.request, x.request);
      }
      if (x.has_response) {
        if (x.version.empty()) x.version = e.response.head.version;
        x.status = e.response.head.status;
        view(e.response, x.response);
      }
      context_.sink->on_http(x);
    }
    ++counter(HttpCounter::kExchanges);
    pending_.pop_front();
    if (answered_ > 0) --answered_;
    // The sides never point into an exchange handed on: a side's message is always whole by then,
    // but for on_close(), which has let go of them first.
  }

  void view(const Message& m, HttpMessage& out) {
    out.headers = {m.head.headers.data(), m.head.headers.size()};
    out.content_type = m.head.content_type;
    out.content_encoding = m.head.content_encoding;
    m.body.view(out, *context_.counters);
  }

  HttpContext context_;
  bool decrypted_;
  Side sides_[2];  // [0] the client's, [1] the server's
  std::deque<Exchange> pending_;  // requests in order; the first `answered_` have their responses begun
  std::size_t answered_ = 0;
  std::uint64_t exchanges_ = 0;
  FlowRequests requests_;
  std::unique_ptr<flow::Dissector> h2_;  // after an upgrade to HTTP/2: everything goes to it
};

}  // namespace

std::unique_ptr<flow::Dissector> make_http_dissector(const HttpContext& context, bool decrypted) {
  return std::make_unique<HttpDissector>(context, decrypted);
}

}  // namespace tattle::dissect
