#include "report/messages.hpp"

#include <string>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "core/timestamp.hpp"

namespace tattle::report {

namespace {

std::string_view text_of(core::Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::string base64(core::Bytes b) {
  std::string out(4 * ((b.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), b.data(), static_cast<int>(b.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void write_part(JsonWriter& w, const dissect::HttpMessage& m, bool bodies) {
  w.begin_object();
  w.member("time", core::iso8601_text(m.time).view());
  w.member("body_bytes", m.body_bytes);
  if (!m.content_type.empty()) w.member("content_type", m.content_type);
  if (!m.content_encoding.empty()) w.member("content_encoding", m.content_encoding);
  if (!m.complete) w.member("complete", false);
  if (!m.body_error.empty()) w.member("body_error", m.body_error);
  if (bodies) {
    w.key("headers");
    w.begin_array();
    for (const auto& h : m.headers) {
      w.begin_array();
      w.value(h.name);
      w.value(h.value);
      w.end_array();
    }
    w.end_array();
    // Text as it is; anything else (an image, a protobuf) in base64, so no byte is lost.
    const std::string_view body = text_of(m.body);
    if (readable_text(body)) w.member("body", body);
    else w.member("body_base64", std::string_view(base64(m.body)));
    w.member("body_whole", m.body_whole);
  }
  w.end_object();
}

}  // namespace

void write_message(JsonWriter& w, const dissect::HttpExchange& x, bool bodies, std::string_view type) {
  w.begin_object();
  if (!type.empty()) w.member("type", type);
  w.member("flow", x.flow_id);
  w.member("stream", x.stream_id);
  w.member("version", x.version);
  w.member("decrypted", x.decrypted);
  if (x.pushed) w.member("pushed", true);
  w.member("time", core::iso8601_text(x.has_request ? x.request.time : x.response.time).view());
  if (x.has_request) {
    w.member("method", x.method);
    w.member("authority", x.authority);
    w.member("path", x.target);
  }
  if (x.has_response) w.member("status", static_cast<std::uint64_t>(x.status));
  if (x.has_request) {
    w.key("request");
    write_part(w, x.request, bodies);
  }
  if (x.has_response) {
    w.key("response");
    write_part(w, x.response, bodies);
  }
  w.end_object();
}

namespace {

// "10:47:46.123" of an ISO 8601 time.
std::string clock_text(core::Timestamp t) { return std::string(core::iso8601_text(t).view().substr(11, 12)); }

// "  (text/html, 258 bytes gzip)"; nothing for a message without a body.
std::string size_text(const dissect::HttpMessage& m) {
  if (m.body_bytes == 0 && m.content_type.empty() && m.complete) return {};
  std::string s = fmt::format("{} bytes", m.body_bytes);
  if (!m.content_type.empty()) s = fmt::format("{}, {}", m.content_type, s);
  if (!m.content_encoding.empty()) s += fmt::format(" {}", m.content_encoding);
  if (!m.body_error.empty()) s += fmt::format(" ({})", m.body_error);
  if (!m.complete) s += " (cut short)";
  return fmt::format("  ({})", s);
}

void print_part(std::FILE* out, const dissect::HttpMessage& m, char arrow) {
  for (const auto& h : m.headers) fmt::print(out, "  {} {}: {}\n", arrow, h.name, h.value);
  if (m.body.empty()) return;
  const std::string_view body = text_of(m.body);
  if (readable_text(body)) {
    fmt::print(out, "\n");
    std::size_t at = 0;
    while (at < body.size()) {
      const std::size_t eol = body.find('\n', at);
      const std::string_view line = body.substr(at, eol == std::string_view::npos ? eol : eol - at);
      fmt::print(out, "    {}\n", line.substr(0, line.size() - (line.ends_with('\r') ? 1 : 0)));
      if (eol == std::string_view::npos) break;
      at = eol + 1;
    }
  } else {
    fmt::print(out, "    ({} bytes of binary data)\n", m.body.size());
  }
  if (!m.body_whole && m.body_error.empty()) fmt::print(out, "    (the first {} bytes)\n", m.body.size());
  fmt::print(out, "\n");
}

}  // namespace

void MessageLog::on_http(const dissect::HttpExchange& x) {
  if (flow_ != 0 && x.flow_id != flow_) return;
  ++shown_;
  const core::Timestamp t = x.has_request ? x.request.time : x.response.time;
  // A HAR names no client.
  const std::string client = x.client.addr.version == 0 ? std::string("client") : core::to_string(x.client);
  fmt::print(out_, "{}  flow {}  {} → {}  {}{}\n", clock_text(t), x.flow_id, client, core::to_string(x.server),
             x.version, x.decrypted ? " (decrypted)" : "");
  if (x.version == "WebSocket") {  // one message, sent or received
    const bool sent = x.has_request;
    fmt::print(out_, "  {} {}{}\n", sent ? "→ sent" : "← received", x.target, size_text(sent ? x.request : x.response));
    if (bodies_) print_part(out_, sent ? x.request : x.response, sent ? '>' : '<');
    return;
  }
  if (x.has_request) {
    const bool absolute = x.target.find("://") != std::string_view::npos;
    const std::string url =
        absolute || x.authority.empty()
            ? std::string(x.target)
            : fmt::format("{}://{}{}", x.decrypted ? "https" : "http", x.authority, x.target);
    fmt::print(out_, "  → {} {}{}{}\n", x.method, url, size_text(x.request), x.pushed ? "  (pushed by the server)" : "");
    if (bodies_) print_part(out_, x.request, '>');
  } else {
    fmt::print(out_, "  → (request not seen)\n");
  }
  if (x.has_response) {
    fmt::print(out_, "  ← {}{}\n", x.status, size_text(x.response));
    if (bodies_) print_part(out_, x.response, '<');
  } else {
    fmt::print(out_, "  ← (no response)\n");
  }
}

void MessageLog::finish(const RunStats& s) {
  const auto without = s.keylog[decrypt::KeyLogCounter::kHandshakesWithoutKeys];
  fmt::print(out_, "{} exchanges{}; {} TLS and {} QUIC flows decrypted", shown_,
             flow_ != 0 ? fmt::format(" of flow {}", flow_) : "", s.tls[dissect::TlsCounter::kDecryptedFlows],
             s.quic[dissect::QuicCounter::kDecryptedFlows]);
  if (without > 0) fmt::print(out_, ", {} TLS/QUIC handshakes without keys", without);
  fmt::print(out_, "\n");
  std::fflush(out_);
}

}  // namespace tattle::report
