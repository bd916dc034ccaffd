// HTTP/1.x request heads in clear text (RFC 9112 §2-3, §5-6): the request line and the headers
// that say where a request goes and who sends it (Host, User-Agent), and how long its body is,
// so that the next request on a persistent connection can be found. Hand-written: the parsers
// in Debian (llhttp, picohttpparser) are not packaged as libraries for C++ programs to link.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/byte_reader.hpp"

namespace tattle::dissect {

// Views into the bytes the head was read from: valid as long as they are.
struct HttpRequest {
  std::string_view method;
  std::string_view target;  // as sent: usually a path, an absolute URI through a proxy
  std::string_view version;  // "HTTP/1.1"
  std::string_view host;
  std::string_view user_agent;
  std::uint64_t content_length = 0;
  bool chunked = false;  // Transfer-Encoding: chunked
};

// Longest request head read; longer ones end the dissection of the flow.
inline constexpr std::size_t kMaxRequestHead = 16 * 1024;

enum class HeadResult : std::uint8_t {
  kNeedMore,  // no end of head yet (and fewer than kMaxRequestHead bytes)
  kRead,      // `head_size` bytes made the head, read into the request
  kNotHttp,   // not an HTTP/1.x request head, or longer than kMaxRequestHead
};

// Reads the request head at the start of `bytes`.
HeadResult parse_request_head(core::Bytes bytes, HttpRequest& out, std::size_t& head_size);

// True when `bytes` begin like a request line ("GET ", "POST ", ...): enough to pick a dissector.
bool looks_like_request(core::Bytes bytes);
// True when `bytes` are too few to tell but a longer start could still be a request line
// ("GE", "OPTI"; also nothing at all).
bool could_begin_request(core::Bytes bytes);

}  // namespace tattle::dissect
