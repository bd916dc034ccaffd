#include "dissect/http_request.hpp"

#include <algorithm>
#include <string_view>

namespace tattle::dissect {

namespace {

constexpr std::size_t kMaxMethod = 16;

bool token_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

// Field names are case-insensitive (RFC 9110 §5.1). `wanted` is lower case; compared inline, as
// a call to absl::EqualsIgnoreCase cost more than the few bytes compared.
bool header_is(std::string_view name, std::string_view wanted) {
  if (name.size() != wanted.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c) != wanted[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Content-Length: digits only; anything else (or an overflow) is not a length we can trust.
bool parse_length(std::string_view v, std::uint64_t& out) {
  if (v.empty() || v.size() > 18) return false;
  std::uint64_t n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = n;
  return true;
}

}  // namespace

bool could_begin_request(core::Bytes bytes) {
  return bytes.size() <= kMaxMethod && std::all_of(bytes.begin(), bytes.end(), token_char);
}

bool looks_like_request(core::Bytes bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && i <= kMaxMethod && token_char(bytes[i])) ++i;
  return i > 0 && i <= kMaxMethod && i < bytes.size() && bytes[i] == ' ';
}

HeadResult parse_request_head(core::Bytes bytes, HttpRequest& out, std::size_t& head_size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kMaxRequestHead));
  std::size_t end = text.find("\r\n\r\n");
  std::size_t terminator = 4;
  if (end == std::string_view::npos) {
    end = text.find("\n\n");  // bare LF line ends, which RFC 9112 §2.2 lets recipients accept
    terminator = 2;
  }
  if (end == std::string_view::npos)
    return bytes.size() >= kMaxRequestHead ? HeadResult::kNotHttp : HeadResult::kNeedMore;

  out = HttpRequest{};
  std::string_view head = text.substr(0, end);
  const std::size_t eol = head.find('\n');
  const std::string_view line = trim(head.substr(0, eol));
  head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 1);

  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp1 > kMaxMethod || sp2 == std::string_view::npos) return HeadResult::kNotHttp;
  const std::string_view version = line.substr(sp2 + 1);
  if (version.substr(0, 7) != "HTTP/1.") return HeadResult::kNotHttp;
  out.method = line.substr(0, sp1);
  if (!std::all_of(out.method.begin(), out.method.end(), [](char c) { return token_char(static_cast<unsigned char>(c)); }))
    return HeadResult::kNotHttp;
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = version;

  while (!head.empty()) {
    const std::size_t next = head.find('\n');
    const std::string_view field = head.substr(0, next);
    head = next == std::string_view::npos ? std::string_view{} : head.substr(next + 1);
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim(field.substr(colon + 1));
    // By length first: most fields are none of these, and a length rules them out at once.
    switch (name.size()) {
      case 4:
        if (header_is(name, "host") && out.host.empty()) out.host = value;
        break;
      case 10:
        if (header_is(name, "user-agent") && out.user_agent.empty()) out.user_agent = value;
        break;
      case 14:
        if (header_is(name, "content-length") && !parse_length(value, out.content_length)) return HeadResult::kNotHttp;
        break;
      case 17:
        if (header_is(name, "transfer-encoding") && value.find("chunked") != std::string_view::npos) out.chunked = true;
        break;
      default:
        break;
    }
  }
  head_size = end + terminator;
  return HeadResult::kRead;
}

}  // namespace tattle::dissect
