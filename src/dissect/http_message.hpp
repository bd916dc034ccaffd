// HTTP exchanges as everything after the dissectors sees them: a request and its response as one
// event, whatever carried them (HTTP/1.x in clear text or inside TLS). An exchange is a view,
// valid only during the call; its bodies are bounded views (kMaxBodyView decoded bytes each), so
// no sink ever holds a whole large body.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/byte_reader.hpp"
#include "core/ip_address.hpp"
#include "core/timestamp.hpp"

namespace tattle::dissect {

// Decoded body bytes kept per message: enough for any form, JSON event or query an app sends;
// the rest of a larger body is counted, not kept.
inline constexpr std::size_t kMaxBodyView = 64 * 1024;

struct HttpHeader {
  std::string_view name, value;
};

struct HttpMessage {
  core::Timestamp time;                 // when its head was read
  std::span<const HttpHeader> headers;  // as sent, in order
  std::uint64_t body_bytes = 0;         // as carried, after the transfer coding (chunked) is undone
  std::string_view content_type;        // the Content-Type header's value; "" without one
  std::string_view content_encoding;    // the Content-Encoding header's value; "" without one
  // The body's first bytes with its content coding undone (at most kMaxBodyView), and whether
  // they are all of it. When the coding could not be undone, `body_error` says why: with
  // "unsupported_encoding" `body` holds the bytes as carried, with "corrupt_encoding" what was
  // decoded before the damage.
  core::Bytes body;
  bool body_whole = true;
  std::string_view body_error;
  bool complete = true;  // ended as its framing said, not cut short by a gap or the flow's end
};

struct HttpExchange {
  std::uint64_t flow_id = 0;
  core::Endpoint client, server;
  // HTTP/1.x: the exchange's number on its connection (0 for the first).
  std::uint64_t stream_id = 0;
  std::string_view version;  // of the request ("HTTP/1.1"), else of the response
  bool decrypted = false;    // carried inside TLS, and read with the key log's secrets
  bool pushed = false;       // HTTP/2: the server pushed it, its request being the server's promise
  // The request: absent when the response's request was not seen (a capture begun mid-way).
  bool has_request = false;
  std::string_view method;
  std::string_view authority;  // Host
  std::string_view target;     // as sent: a path and query, an absolute URI through a proxy
  HttpMessage request;
  // The response: absent when none came before the flow ended.
  bool has_response = false;
  std::uint16_t status = 0;
  HttpMessage response;
};

// Receives exchanges; called on the thread of the flow's table.
class HttpSink {
 public:
  virtual ~HttpSink() = default;
  virtual void on_http(const HttpExchange& e) = 0;
};

}  // namespace tattle::dissect
