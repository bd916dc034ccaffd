#include "report/json_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/compile.h>

#include "core/ascii.hpp"
#include "core/fixed_text.hpp"
#include "core/timestamp.hpp"

namespace tattle::report {

void JsonWriter::begin_object() {
  separate();
  buf_.push_back('{');
  has_member_.push_back(0);
}

void JsonWriter::end_object() {
  buf_.push_back('}');
  has_member_.pop_back();
  maybe_flush();
}

void JsonWriter::begin_array() {
  separate();
  buf_.push_back('[');
  has_member_.push_back(0);
}

void JsonWriter::end_array() {
  buf_.push_back(']');
  has_member_.pop_back();
  maybe_flush();
}

void JsonWriter::value(std::string_view s) {
  separate();
  quote(buf_, s);
}

// format_int rather than format_to("{}"): no format string to parse, a dozen numbers per flow.
void JsonWriter::value(std::uint64_t v) { end_raw(put_uint(begin_raw(20), v)); }

void JsonWriter::value(std::int64_t v) {
  separate();
  const fmt::format_int text(v);
  append(std::string_view(text.data(), text.size()));
}

void JsonWriter::value(double v) {
  if (!std::isfinite(v)) {
    null();
    return;
  }
  separate();
  fmt::format_to(std::back_inserter(buf_), FMT_COMPILE("{}"), v);  // compiled: no format parsing per call
}

void JsonWriter::seconds(std::int64_t ns) {
  char* p = begin_raw(32);
  end_raw(put_seconds(p, ns));
}

char* JsonWriter::put_seconds(char* p, std::int64_t ns) {
  if (ns < 0) {
    *p++ = '-';
    ns = -ns;  // durations are far from INT64_MIN
  }
  const std::int64_t whole = ns / core::kNsPerSecond;
  // Mostly a round trip time, under ten seconds: one digit.
  if (whole < 10)
    *p++ = static_cast<char>('0' + whole);
  else
    p = put_uint(p, static_cast<std::uint64_t>(whole));
  auto frac = static_cast<std::uint32_t>(ns % core::kNsPerSecond);
  if (frac == 0) return p;
  // Nine digits, then the trailing zeros taken off (there is a digit other than zero).
  *p++ = '.';
  char* end = core::put_digits(p, frac, 9);
  while (end[-1] == '0') --end;
  return end;
}

char* JsonWriter::put_uint(char* p, std::uint64_t v) {
  const fmt::format_int text(v);
  return put(p, std::string_view(text.data(), text.size()));
}

void JsonWriter::value(bool v) {
  separate();
  append(v ? std::string_view("true") : std::string_view("false"));
}

void JsonWriter::null() {
  separate();
  append(std::string_view("null"));
}

bool JsonWriter::splice(Spool& items) {
  if (items.size() > 0) {
    separate();
    flush();
  }
  return items.copy_to(out_);
}

bool JsonWriter::flush() {
  if (out_ == nullptr) return false;
  if (buf_.size() > 0) {
    const std::size_t n = std::fwrite(buf_.data(), 1, buf_.size(), out_);
    buf_.clear();
    if (n == 0) return false;
  }
  return std::fflush(out_) == 0 && std::ferror(out_) == 0;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one (RFC 3629 §4).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;  // no UTF-16 surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xbf) return 0;
  return n;
}

}  // namespace

bool readable_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) return false;
      i += n;
      continue;
    }
    if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) return false;
    ++i;
  }
  return true;
}

namespace {

// Strings JSON can carry as they are: printable ASCII but '"' and '\\' (RFC 8259 §7).
bool plain(std::string_view s) { return core::printable_without(s, 0x20, '"', '\\'); }

}  // namespace

void JsonWriter::quote(fmt::memory_buffer& out, std::string_view s) {
  const std::size_t at = out.size();
  out.resize(at + 6 * s.size() + 2);
  out.resize(static_cast<std::size_t>(put_quoted(out.data() + at, s) - out.data()));
}

char* JsonWriter::put_quoted(char* p, std::string_view s) {
  *p++ = '"';
  // Most strings (names, addresses, times) need no escaping at all: copied in one go.
  if (plain(s)) {
    p = put(p, s);
    *p++ = '"';
    return p;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) {
        p = put(p, "\\ufffd");
        ++i;
      } else {
        p = put(p, s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': p = put(p, "\\\""); break;
      case '\\': p = put(p, "\\\\"); break;
      case '\n': p = put(p, "\\n"); break;
      case '\r': p = put(p, "\\r"); break;
      case '\t': p = put(p, "\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          p = put(p, "\\u00");
          *p++ = kHex[c >> 4];
          *p++ = kHex[c & 0xf];
        } else {
          *p++ = static_cast<char>(c);
        }
    }
    ++i;
  }
  *p++ = '"';
  return p;
}

}  // namespace tattle::report
