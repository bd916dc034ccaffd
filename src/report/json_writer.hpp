// A streaming JSON writer: values go straight to the output as they are produced, so a report
// of millions of flows never exists whole in memory. Hand-written because the JSON libraries in
// Debian build a document tree first; escaping follows RFC 8259 §7, and bytes that are not valid
// UTF-8 (capture strings are untrusted) become U+FFFD so the output is always valid JSON.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "report/spool.hpp"

namespace tattle::report {

// True when `s` is text a person can read: valid UTF-8 without control characters other than
// tab and line ends (an HTTP body that is JSON or a form, not an image).
bool readable_text(std::string_view s);

class JsonWriter {
 public:
  // `out` stays owned by the caller; the writer buffers and flushes it. A null `out` takes
  // nothing (flush() is false).
  explicit JsonWriter(std::FILE* out) : out_(out) {}
  ~JsonWriter() { flush(); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // `k` is one of our own names (plain ASCII, nothing to escape): it is copied as it is. Inline,
  // so that a literal's copy is a few moves rather than a call to memcpy.
  void key(std::string_view k) {
    separate();
    char* p = append(k.size() + 3);
    *p++ = '"';
    std::memcpy(p, k.data(), k.size());
    p[k.size()] = '"';
    p[k.size() + 1] = ':';
    after_key_ = true;
  }
  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(std::uint64_t v);
  void value(std::int64_t v);
  void value(std::uint32_t v) { value(static_cast<std::uint64_t>(v)); }
  void value(int v) { value(static_cast<std::int64_t>(v)); }
  void value(bool v);
  // The shortest text that reads back as `v`; null when it is not finite (JSON has no NaN).
  void value(double v);
  // A duration of `ns` nanoseconds as seconds ("0.01234", "2"): exact, and without the cost of
  // formatting a double (one for every DNS transaction).
  void seconds(std::int64_t ns);
  void null();
  // key(k) then value(v).
  template <class T>
  void member(std::string_view k, const T& v) {
    key(k);
    value(v);
  }
  // A line break now (after a complete top-level value: NDJSON).
  void newline() { buf_.push_back('\n'); }
  // A line break before the next value, after its separating comma: one array item per line.
  void break_before_next() { break_pending_ = true; }

  // Values written next are items of an array that another writer holds open: separated by
  // commas, without brackets. That writer takes them with splice().
  void begin_items() { has_member_.push_back(0); }
  // Appends, as further items of the array open here, what a begin_items() writer wrote to
  // `items` (that writer flushed). False if the spool lost bytes or writing failed.
  bool splice(Spool& items);

  // Writes the buffer out; false if the stream reported an error.
  bool flush();

  // Appends `s` to `out` as a quoted, escaped JSON string.
  static void quote(fmt::memory_buffer& out, std::string_view s);

  // A value its caller writes itself, for records of a fixed shape that are written by the
  // hundred thousand (the DNS log): room for at most `max` bytes at the returned pointer, and
  // end_raw() takes where writing stopped. What is written must be valid JSON.
  char* begin_raw(std::size_t max) {
    separate();
    return append(max);
  }
  void end_raw(const char* end) {
    buf_.resize(static_cast<std::size_t>(end - buf_.data()));
    maybe_flush();
  }
  // Helpers for writing raw: each writes at `p` and returns the end.
  static char* put(char* p, std::string_view s) {
    if (!s.empty()) std::memcpy(p, s.data(), s.size());  // an empty view may have no data at all
    return p + s.size();
  }
  // `s` quoted and escaped: at most 6 × its size + 2 bytes.
  static char* put_quoted(char* p, std::string_view s);
  static char* put_uint(char* p, std::uint64_t v);
  // As seconds() writes it: at most 31 bytes.
  static char* put_seconds(char* p, std::int64_t ns);

 private:
  // Makes room for `n` more bytes at the end of the buffer and returns where they begin; the
  // caller writes them all (fmt's resize leaves them unwritten, it does not clear them).
  char* append(std::size_t n) {
    const std::size_t at = buf_.size();
    buf_.resize(at + n);
    return buf_.data() + at;
  }
  void append(std::string_view s) { put(append(s.size()), s); }

  // Before a value or key: the comma after an earlier member, and a pending line break. Inline:
  // it runs for every value of every flow.
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!has_member_.empty()) {
      if (has_member_.back() != 0) buf_.push_back(',');
      has_member_.back() = 1;
    }
    if (break_pending_) {
      buf_.push_back('\n');
      break_pending_ = false;
    }
  }
  void maybe_flush() {
    if (buf_.size() > (1 << 16)) flush();
  }

  std::FILE* out_;
  fmt::memory_buffer buf_;
  std::vector<std::uint8_t> has_member_;  // per open container: something written already
  bool after_key_ = false;
  bool break_pending_ = false;
};

}  // namespace tattle::report
