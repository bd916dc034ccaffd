// HAR 1.2 files (HTTP Archive: what browsers' developer tools, mitmproxy and PCAPdroid export):
// HTTP exchanges already decrypted, an entry each, with the server's address, timings and, in
// Chromium's exports, a WebSocket's messages. An input of its own: exchanges, no packets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>

#include "core/diagnostics.hpp"
#include "core/timestamp.hpp"

namespace tattle::capture {

struct HarMessage {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string version;    // httpVersion as written: "HTTP/1.1", "h2", "HTTP/2.0", "h3", ...
  std::string mime_type;  // postData's or content's
  std::string body;       // postData.text, or content.text (base64 undone); at most kMaxHarBody
  bool body_cut = false;  // the text was longer than kMaxHarBody
  std::int64_t body_size = -1;  // bodySize (content.size for a response when bodySize is not given); -1: not known
  std::int64_t headers_size = -1;
};

struct HarWebSocketMessage {
  bool sent = false;  // by the client
  core::Timestamp time;
  int opcode = 1;     // 1 text, 2 binary
  std::string data;   // at most kMaxHarBody
};

struct HarEntry {
  std::uint64_t index = 0;   // in the file's entries, from 0
  std::uint64_t offset = 0;  // of the entry in the file
  core::Timestamp started;
  double time_ms = 0;  // the entry's whole time (at most a day)
  std::string method, url;
  HarMessage request;
  int status = 0;  // 0: no response (blocked, failed)
  HarMessage response;
  std::string server_ip;   // serverIPAddress, without IPv6 brackets; "" when not given
  std::string connection;  // the connection's id or port, as written
  std::vector<HarWebSocketMessage> websocket;  // Chromium's _webSocketMessages
};

// Bodies and WebSocket messages kept per message: as many as the dissectors keep of a body.
inline constexpr std::size_t kMaxHarBody = 64 * 1024;

// True when `head` (the first bytes of a file) begins like a HAR document: an object whose first
// member is "log".
bool looks_like_har(std::string_view head);

struct HarCounts {
  std::uint64_t entries = 0, bad_entries = 0;
};
// Calls `each` for every entry, in the file's order. An entry that is not valid JSON, or has no
// request method and URL, is a warning naming its byte offset, and the rest is still read; a
// document that breaks off is read up to there, with a warning too. Fails only when the file
// cannot be read, or is no HAR at all.
absl::Status read_har(const std::string& path, std::uint32_t input, core::Diagnostics& diag,
                      const std::function<void(const HarEntry&)>& each, HarCounts& counts);
// The same over the file's contents; false when it holds no log.entries.
bool read_har_text(std::string_view doc, std::uint32_t input, core::Diagnostics& diag,
                   const std::function<void(const HarEntry&)>& each, HarCounts& counts);

}  // namespace tattle::capture
