// HTTP/1.x message heads (RFC 9112 §2-6): a request line or a status line, the header fields,
// and what they say of how the body is framed. Hand-written: the parsers in Debian (llhttp,
// picohttpparser) are not packaged as libraries for C++ programs to link, and http-parser, which
// is, is no longer maintained.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <absl/container/inlined_vector.h>

#include "core/byte_reader.hpp"
#include "dissect/http_message.hpp"

namespace tattle::dissect {

// Longest head read; a longer one ends the dissection of its direction.
inline constexpr std::size_t kMaxHead = 32 * 1024;
// Header fields kept per head; the framing fields are read from all of them.
inline constexpr std::size_t kMaxHeaders = 128;

// Views into the text the head was read from: valid as long as it is.
struct Http1Head {
  std::string_view method, target;  // a request's
  std::uint16_t status = 0;         // a response's
  std::string_view version;         // "HTTP/1.1"
  absl::InlinedVector<HttpHeader, 16> headers;
  bool headers_cut = false;  // more than kMaxHeaders fields: the first ones are kept
  std::string_view host, user_agent, content_type, content_encoding;
  bool has_length = false;  // Content-Length was given (and no Transfer-Encoding)
  std::uint64_t content_length = 0;
  bool chunked = false;       // Transfer-Encoding ends in chunked
  bool other_coding = false;  // Transfer-Encoding ends in something else (a response then runs to the close)
  bool close = false;         // Connection: close
};

enum class HeadResult : std::uint8_t {
  kNeedMore,  // no end of head yet (and fewer than kMaxHead bytes)
  kRead,      // `head_size` bytes made the head
  kNotHttp,   // not an HTTP/1.x head, or longer than kMaxHead
};

// Finds the end of the head at the start of `bytes` (its empty line, CRLF or bare LF).
HeadResult find_head(core::Bytes bytes, std::size_t& head_size);
// Read a whole head, as find_head() delimited it; false when it is not HTTP/1.x.
bool parse_request_head(std::string_view head, Http1Head& out);
bool parse_response_head(std::string_view head, Http1Head& out);

// True when `bytes` begin like a request line ("GET ", "POST ", ...): enough to pick a dissector.
bool looks_like_request(core::Bytes bytes);
// True when `bytes` are too few to tell but a longer start could still be a request line
// ("GE", "OPTI"; also nothing at all).
bool could_begin_request(core::Bytes bytes);

}  // namespace tattle::dissect
