#include "capture/har.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include "capture/privacy_report.hpp"

namespace tattle::capture {

namespace {

using simdjson::dom::element;

std::string_view text(element e, std::string_view key) {
  std::string_view v;
  return e[key].get(v) == simdjson::SUCCESS ? v : std::string_view{};
}

std::int64_t integer(element e, std::string_view key, std::int64_t otherwise) {
  std::int64_t v = 0;
  if (e[key].get(v) == simdjson::SUCCESS) return v;
  double d = 0;
  return e[key].get(d) == simdjson::SUCCESS && std::isfinite(d) && std::abs(d) < 1e15 ? static_cast<std::int64_t>(d)
                                                                                      : otherwise;
}

double number(element e, std::string_view key) {
  double d = 0;
  if (e[key].get(d) == simdjson::SUCCESS && std::isfinite(d)) return d;
  std::int64_t i = 0;
  return e[key].get(i) == simdjson::SUCCESS ? static_cast<double>(i) : 0;
}

// The text, at most kMaxHarBody of it (after base64 is undone when `base64`).
void keep(std::string_view v, bool base64, std::string& out, bool& cut) {
  if (base64) {
    // Four characters make three bytes; whitespace (line breaks) is not base64's and is dropped.
    std::string clean;
    clean.reserve(std::min(v.size(), kMaxHarBody * 4 / 3 + 4));
    for (const char c : v) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
      if (clean.size() == kMaxHarBody / 3 * 4) {
        cut = true;
        break;
      }
      clean.push_back(c);
    }
    clean.resize(clean.size() / 4 * 4);
    std::size_t pad = 0;
    while (pad < 2 && pad < clean.size() && clean[clean.size() - 1 - pad] == '=') ++pad;
    out.resize(clean.size() / 4 * 3);
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n) - pad);
    return;
  }
  cut = v.size() > kMaxHarBody;
  out.assign(v.substr(0, kMaxHarBody));
}

void read_headers(element message, HarMessage& out) {
  simdjson::dom::array headers;
  if (message["headers"].get(headers) != simdjson::SUCCESS) return;
  for (element h : headers) {
    if (out.headers.size() >= 128) break;  // as many as a message head keeps
    out.headers.emplace_back(text(h, "name"), text(h, "value"));
  }
}

// A request or a response: its body is under `body_key` (postData, content), whose size is
// bodySize, or else the body's own size, or else its text's length.
void read_message(element m, std::string_view body_key, HarMessage& out) {
  out.version = text(m, "httpVersion");
  read_headers(m, out);
  out.headers_size = integer(m, "headersSize", -1);
  out.body_size = integer(m, "bodySize", -1);
  element body;
  if (m[body_key].get(body) != simdjson::SUCCESS) return;
  out.mime_type = text(body, "mimeType");
  const std::string_view t = text(body, "text");
  keep(t, text(body, "encoding") == "base64", out.body, out.body_cut);
  if (out.body_size < 0) out.body_size = integer(body, "size", static_cast<std::int64_t>(t.size()));
}

void read_entry(element e, HarEntry& out) {
  if (!parse_iso8601(text(e, "startedDateTime"), out.started)) out.started = {};
  // A day at most: longer is no request's time, and a nanosecond sum must not overflow.
  out.time_ms = std::clamp(number(e, "time"), 0.0, 86'400'000.0);
  out.server_ip = text(e, "serverIPAddress");
  if (out.server_ip.size() > 2 && out.server_ip.front() == '[' && out.server_ip.back() == ']')
    out.server_ip = out.server_ip.substr(1, out.server_ip.size() - 2);
  out.connection = text(e, "connection");
  element request, response;
  if (e["request"].get(request) == simdjson::SUCCESS) {
    out.method = text(request, "method");
    out.url = text(request, "url");
    read_message(request, "postData", out.request);
  }
  if (e["response"].get(response) == simdjson::SUCCESS) {
    out.status = static_cast<int>(integer(response, "status", 0));
    read_message(response, "content", out.response);
  }
  simdjson::dom::array messages;
  if (e["_webSocketMessages"].get(messages) == simdjson::SUCCESS) {
    for (element m : messages) {
      HarWebSocketMessage& w = out.websocket.emplace_back();
      w.sent = text(m, "type") == "send";
      // Seconds since the epoch with a fraction: to microseconds, as a double holds them exactly.
      const double t = number(m, "time");
      if (t > 0 && t < 9e9) {
        const double whole = std::floor(t);
        w.time = core::Timestamp::from_seconds(static_cast<std::int64_t>(whole), std::llround((t - whole) * 1e6) * 1000);
      }
      w.opcode = static_cast<int>(integer(m, "opcode", 1));
      bool cut = false;
      keep(text(m, "data"), false, w.data, cut);
      if (out.websocket.size() >= 4096) break;  // a chat's worth; the rest of a long session is not kept
    }
  }
}

}  // namespace

bool looks_like_har(std::string_view head) {
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) ++i;
  };
  skip_space();
  if (i >= head.size() || head[i] != '{') return false;
  ++i;
  skip_space();
  return head.substr(i, 5) == "\"log\"";
}

namespace {

// Calls `each(text, offset)` for every element of the document's log.entries, as far as the
// document goes. Hand-written rather than simdjson's On-Demand API, which validates the whole
// document before giving any of it: a HAR cut off at its end (an export interrupted, a file
// truncated) would give nothing at all, where here it gives every entry before the cut.
// Returns false when no log.entries array was found.
template <class Each>
bool scan_entries(std::string_view doc, Each&& each) {
  int depth = 0;
  bool in_string = false, escaped = false;
  std::size_t string_start = 0;
  std::string_view last_key;      // the last string ended at depth 2 (a member of log)
  bool entries_key = false;       // that string was "entries", and its colon came
  std::size_t entry_start = 0;
  bool in_entries = false, found = false;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const char c = doc[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') {
        in_string = false;
        if (depth == 2) last_key = doc.substr(string_start, i - string_start);
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        string_start = i + 1;
        break;
      case ':':
        if (depth == 2) entries_key = last_key == "entries";
        break;
      case ',':
        if (depth == 2) entries_key = false;
        break;
      case '{':
      case '[':
        if (c == '[' && depth == 2 && entries_key && !in_entries) {
          in_entries = found = true;
        } else if (in_entries && depth == 3 && c == '{') {
          entry_start = i;
        }
        ++depth;
        break;
      case '}':
      case ']':
        --depth;
        if (in_entries && depth == 3 && c == '}') each(doc.substr(entry_start, i + 1 - entry_start), entry_start);
        if (in_entries && depth == 2) return true;  // the array's end
        if (depth < 0) return found;
        break;
      default:
        break;
    }
  }
  return found;
}

}  // namespace

absl::Status read_har(const std::string& path, std::uint32_t input, core::Diagnostics& diag,
                      const std::function<void(const HarEntry&)>& each, HarCounts& counts) {
  std::string doc;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return absl::NotFoundError(fmt::format("{}: cannot be read", path));
    char buf[1 << 16];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) doc.append(buf, n);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) return absl::DataLossError(fmt::format("{}: read error", path));
  }
  if (!read_har_text(doc, input, diag, each, counts))
    return absl::DataLossError(fmt::format("{}: not a HAR file (no log.entries)", path));
  return absl::OkStatus();
}

bool read_har_text(std::string_view doc, std::uint32_t input, core::Diagnostics& diag,
              const std::function<void(const HarEntry&)>& each, HarCounts& counts) {
  simdjson::dom::parser parser;
  std::uint64_t ended = 0;  // where the last whole entry ended
  const bool found = scan_entries(doc, [&](std::string_view raw, std::size_t offset) {
    ended = offset + raw.size();
    HarEntry entry;
    entry.index = counts.entries + counts.bad_entries;
    entry.offset = offset;
    element e;
    if (parser.parse(raw.data(), raw.size(), true).get(e) != simdjson::SUCCESS) {
      ++counts.bad_entries;
      diag.warn(input, offset, fmt::format("HAR entry {}: not valid JSON", entry.index));
      return;
    }
    read_entry(e, entry);
    if (entry.method.empty() || entry.url.empty()) {
      ++counts.bad_entries;
      diag.warn(input, offset, fmt::format("HAR entry {}: no request method or URL", entry.index));
      return;
    }
    ++counts.entries;
    each(entry);
  });
  if (!found) return false;
  // A whole document closes its entries array and two objects after the last entry.
  simdjson::dom::element whole;
  if (parser.parse(doc.data(), doc.size(), true).get(whole) != simdjson::SUCCESS) {
    ++counts.bad_entries;
    diag.warn(input, ended, "HAR: the document breaks off or is damaged after here; the rest is not read");
  }
  return true;
}

}  // namespace tattle::capture
