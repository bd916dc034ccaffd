// The HTTP/2 dissector (RFC 9113), for what TLS decrypts and for clear text that opens with the
// client's connection preface: reads both directions' frames (DATA with its padding, HEADERS and
// CONTINUATION, PUSH_PROMISE, SETTINGS, RST_STREAM; the rest passed over), decodes header blocks
// with nghttp2's HPACK inflater (RFC 7541: Huffman and the dynamic table, one per direction, sized
// by the peer's SETTINGS), and hands each stream's request and response to the HttpSink as one
// exchange, bodies decoded as HTTP/1.x's are.
#pragma once

#include <memory>

#include "dissect/http.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

// Streams followed at once per connection; a stream opened beyond them is counted, not read.
inline constexpr std::size_t kMaxHttp2Streams = 256;

// The client connection preface (RFC 9113 §3.4).
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::unique_ptr<flow::Dissector> make_http2_dissector(const HttpContext& context, bool decrypted);

}  // namespace tattle::dissect
