// HTTP/3 over a decrypted QUIC connection (RFC 9114): fed each QUIC stream's data in order
// (quic_session.hpp), it reads the request streams' HEADERS and DATA frames, decodes field
// sections with nghttp3's QPACK decoder (RFC 9204), one for each side's header blocks, fed that
// side's encoder stream (blocked sections wait for it), and hands each request stream's request
// and response to the HttpSink as one exchange. Control, push and QPACK decoder streams, and
// stream types it does not know, are passed over.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/timestamp.hpp"
#include "dissect/http.hpp"
#include "dissect/http_shared.hpp"
#include "flow/flow_record.hpp"

namespace tattle::dissect {

class Http3Connection {
 public:
  // Header sections held while they wait, or are read, at most per stream.
  static constexpr std::size_t kMaxSection = 64 * 1024;
  static constexpr std::size_t kMaxStreams = 256;  // request streams followed at once

  explicit Http3Connection(const HttpContext& context);
  ~Http3Connection();
  Http3Connection(const Http3Connection&) = delete;
  Http3Connection& operator=(const Http3Connection&) = delete;

  // The next bytes of stream `id` from one side, in order; `fin`: the stream ends with them.
  void on_stream(std::uint64_t id, bool from_client, core::Bytes data, bool fin, core::Timestamp ts);
  // The connection ended: what is left is handed on, cut short.
  void finish();
  void annotate(flow::FlowRecord& r) { requests_.annotate(r); }

 private:
  struct Decoder;   // a QPACK decoder (nghttp3's), per side
  struct Reader {   // one side of a stream: where it is in its frames
    bool typed = false;        // unidirectional: its type read
    std::uint64_t type = 0;    // unidirectional stream type
    std::vector<std::uint8_t> pending;  // a frame header, a whole HEADERS frame, or a type
    std::uint64_t frame_type = 0;
    std::uint64_t left = 0;    // of the current frame's payload
    bool in_frame = false;
    bool stopped = false;      // nothing more is read of it
  };
  struct Request {
    FieldMessage message[2];  // [0] the request, [1] the response
    Reader readers[2];
    std::vector<std::uint8_t> blocked[2];  // a header section waiting for the encoder stream
    std::vector<std::uint8_t> early[2];    // DATA behind a waiting section (at most kMaxSection)
  };

  void on_uni(std::uint64_t id, bool from_client, core::Bytes data);
  void on_request(std::uint64_t id, bool from_client, core::Bytes data, bool fin, core::Timestamp ts);
  void take_section(std::uint64_t id, Request& r, bool from_client, core::Timestamp ts);
  void retry_blocked(bool from_client, core::Timestamp ts);
  void emit(std::uint64_t id, Request& r);

  HttpContext context_;
  std::unique_ptr<Decoder> decoders_[2];  // decoding [0] the client's sections, [1] the server's
  std::map<std::uint64_t, Request> requests_by_id_;
  std::map<std::pair<std::uint64_t, bool>, Reader> uni_;
  core::Timestamp blocked_ts_;
  FlowRequests requests_;
};

}  // namespace tattle::dissect
