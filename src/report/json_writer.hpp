// A streaming JSON writer: values go straight to the output as they are produced, so a report
// of millions of flows never exists whole in memory. Hand-written because the JSON libraries in
// Debian build a document tree first; escaping follows RFC 8259 §7, and bytes that are not valid
// UTF-8 (capture strings are untrusted) become U+FFFD so the output is always valid JSON.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace tattle::report {

class JsonWriter {
 public:
  // `out` stays owned by the caller; the writer buffers and flushes it.
  explicit JsonWriter(std::FILE* out) : out_(out) {}
  ~JsonWriter() { flush(); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // `k` is one of our own names (plain ASCII, nothing to escape): it is copied as it is.
  void key(std::string_view k);
  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(std::uint64_t v);
  void value(std::int64_t v);
  void value(std::uint32_t v) { value(static_cast<std::uint64_t>(v)); }
  void value(int v) { value(static_cast<std::int64_t>(v)); }
  void value(bool v);
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

  // Writes the buffer out; false if the stream reported an error.
  bool flush();

  // Appends `s` to `out` as a quoted, escaped JSON string.
  static void quote(fmt::memory_buffer& out, std::string_view s);

 private:
  void separate();
  void maybe_flush() {
    if (buf_.size() > (1 << 16)) flush();
  }

  std::FILE* out_;
  fmt::memory_buffer buf_;
  std::vector<bool> has_member_;  // per open container: something written already
  bool after_key_ = false;
  bool break_pending_ = false;
};

}  // namespace tattle::report
