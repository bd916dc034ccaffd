// The HTTP/1.x dissector, for TCP flows in clear text and for what TLS decrypts: reads both
// directions' messages (Content-Length and chunked bodies, responses that run to the close,
// pipelined requests on a persistent connection), pairs each response with its request, and
// hands every exchange to an HttpSink with its bodies decoded (content-coding.hpp) up to
// kMaxBodyView. The flow gets its first requests and, from their Host, names.
#pragma once

#include <memory>
#include <string_view>

#include "core/counter.hpp"
#include "dissect/http_message.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

enum class HttpCounter {
  kRequests,        // request heads read
  kResponses,       // response heads read (1xx interim responses not counted)
  kExchanges,       // exchanges handed on
  kDropped,         // requests beyond kMaxFlowRequests in one flow: not in the flow's record
  kNotHttp,         // directions whose head was not HTTP/1.x (or too long): reading them stopped
  kUnanswered,      // requests whose response never came
  kUnsolicited,     // responses without a request seen (a capture begun mid-way)
  kCutShort,        // messages cut short by a gap in the stream or the flow's end
  kBodyErrors,      // bodies whose content coding could not be undone
  kBodiesCut,       // bodies longer than kMaxBodyView decoded: the rest counted, not kept
  kUpgraded,        // connections that left HTTP/1.x (101 Switching Protocols, CONNECT)
  kTooManyPending,  // connections with more unanswered requests than kMaxPending: reading stopped
  kH2Connections,   // HTTP/2 connections read
  kH2Errors,        // HTTP/2 connections whose frames or header blocks could not be read: reading stopped
  kH2StreamsDropped,  // HTTP/2 streams beyond kMaxHttp2Streams at once: not read
  kH3Connections,   // HTTP/3 connections read (QUIC decrypted, h3 offered)
  kH3Errors,        // HTTP/3 frames or QPACK sections and encoder streams that could not be read
  kCount,
};
std::string_view counter_name(HttpCounter c);

// Pipelined requests waiting for their responses, at most, per connection.
inline constexpr std::size_t kMaxPending = 64;

// What an HTTP dissector tells and to whom; `counters` and `sink` (null: exchanges are not handed
// on) must outlive it.
struct HttpContext {
  core::Counters<HttpCounter>* counters = nullptr;
  HttpSink* sink = nullptr;
  std::uint64_t flow_id = 0;
  core::Endpoint client, server;
};

// `decrypted`: the bytes are TLS's plaintext, and exchanges say so.
std::unique_ptr<flow::Dissector> make_http_dissector(const HttpContext& context, bool decrypted);

}  // namespace tattle::dissect
