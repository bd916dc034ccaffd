#include "dissect/http1_head.hpp"

#include <algorithm>
#include <string_view>

#include "core/ascii.hpp"

namespace tattle::dissect {

namespace {

constexpr std::size_t kMaxMethod = 16;

bool token_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
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

// The first line, and the rest after its line end.
std::string_view first_line(std::string_view& head) {
  const std::size_t eol = head.find('\n');
  const std::string_view line = trim(head.substr(0, eol));
  head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 1);
  return line;
}

// The header fields after the start line; false when they contradict each other about the body.
bool parse_fields(std::string_view head, Http1Head& out) {
  bool length_seen = false;
  bool coded = false;  // Transfer-Encoding given
  while (!head.empty()) {
    const std::size_t next = head.find('\n');
    const std::string_view field = head.substr(0, next);
    head = next == std::string_view::npos ? std::string_view{} : head.substr(next + 1);
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim(field.substr(colon + 1));
    if (out.headers.size() < kMaxHeaders) out.headers.push_back({name, value});
    else out.headers_cut = true;
    // By length first: most fields are none of these, and a length rules them out at once.
    switch (name.size()) {
      case 4:
        if (core::equals_lower(name, "host") && out.host.empty()) out.host = value;
        break;
      case 10:
        if (core::equals_lower(name, "user-agent") && out.user_agent.empty()) out.user_agent = value;
        else if (core::equals_lower(name, "connection") && value.find("close") != std::string_view::npos)
          out.close = true;
        break;
      case 12:
        if (core::equals_lower(name, "content-type") && out.content_type.empty()) out.content_type = value;
        break;
      case 14:
        if (core::equals_lower(name, "content-length")) {
          std::uint64_t n = 0;
          // Two different lengths are a message no recipient can frame (RFC 9112 §6.3).
          if (!parse_length(value, n) || (length_seen && n != out.content_length)) return false;
          length_seen = true;
          out.content_length = n;
        }
        break;
      case 16:
        if (core::equals_lower(name, "content-encoding") && out.content_encoding.empty()) out.content_encoding = value;
        break;
      case 17:
        if (core::equals_lower(name, "transfer-encoding")) {
          coded = true;
          // The last coding decides (several fields make one list, RFC 9110 §5.3).
          const std::size_t comma = value.rfind(',');
          const std::string_view last = trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
          out.chunked = core::equals_lower(last, "chunked");
          out.other_coding = !out.chunked;
        }
        break;
      default:
        break;
    }
  }
  // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3).
  out.has_length = length_seen && !coded;
  if (coded) out.content_length = 0;
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

HeadResult find_head(core::Bytes bytes, std::size_t& head_size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kMaxHead));
  std::size_t end = text.find("\r\n\r\n");
  std::size_t terminator = 4;
  // Bare LF line ends, which RFC 9112 §2.2 lets recipients accept; the earlier end wins.
  const std::size_t bare = text.substr(0, end == std::string_view::npos ? text.size() : end + 2).find("\n\n");
  if (bare != std::string_view::npos) {
    end = bare;
    terminator = 2;
  }
  if (end == std::string_view::npos) return bytes.size() >= kMaxHead ? HeadResult::kNotHttp : HeadResult::kNeedMore;
  head_size = end + terminator;
  return HeadResult::kRead;
}

bool parse_request_head(std::string_view head, Http1Head& out) {
  out = Http1Head{};
  const std::string_view line = first_line(head);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp1 > kMaxMethod || sp2 == std::string_view::npos) return false;
  const std::string_view version = line.substr(sp2 + 1);
  if (version.substr(0, 7) != "HTTP/1.") return false;
  out.method = line.substr(0, sp1);
  if (!std::all_of(out.method.begin(), out.method.end(), [](char c) { return token_char(static_cast<unsigned char>(c)); }))
    return false;
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = version;
  // A request's body is framed by a length or by chunks; no other coding can end it (§6.3).
  return parse_fields(head, out) && !out.other_coding;
}

bool parse_response_head(std::string_view head, Http1Head& out) {
  out = Http1Head{};
  const std::string_view line = first_line(head);
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
  out.version = line.substr(0, 8);
  std::uint16_t status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    status = static_cast<std::uint16_t>(status * 10 + (line[i] - '0'));
  }
  if (status < 100 || (line.size() > 12 && line[12] != ' ')) return false;
  out.status = status;
  return parse_fields(head, out);
}

}  // namespace tattle::dissect
