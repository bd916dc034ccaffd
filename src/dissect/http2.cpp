#include "dissect/http2.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nghttp2/nghttp2.h>

#include "dissect/http1_head.hpp"
#include "dissect/http_shared.hpp"

namespace tattle::dissect {

namespace {

constexpr std::size_t kFrameHeader = 9;
// Frames other than DATA are read whole; one larger than this (the default maximum is 16 KiB)
// is passed over, or, when it carries a header block, ends the reading of the connection.
constexpr std::size_t kMaxBufferedFrame = 128 * 1024;
// A header list's fields and bytes kept per message; HPACK can make a large list from a small
// block, so what is past these is decoded (the dynamic table needs it) but not kept.
constexpr std::size_t kMaxListBytes = 64 * 1024;
// SETTINGS_HEADER_TABLE_SIZE accepted from a peer; a larger one is a request for memory.
constexpr std::uint32_t kMaxTableSize = 1 << 20;

namespace frame {
constexpr std::uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kPushPromise = 5, kContinuation = 9;
}
namespace flag {
constexpr std::uint8_t kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4, kPadded = 0x8, kPriority = 0x20;
}

struct InflaterFree {
  void operator()(nghttp2_hd_inflater* p) const { nghttp2_hd_inflate_del(p); }
};

struct Stream {
  FieldMessage request, response;
  bool reset = false;   // RST_STREAM seen: the first to go when room is needed
  bool pushed = false;  // opened by the server's PUSH_PROMISE
};

class Http2Dissector final : public flow::Dissector {
 public:
  Http2Dissector(const HttpContext& context, bool decrypted) : context_(context), decrypted_(decrypted) {
    for (Side& side : sides_) {
      nghttp2_hd_inflater* p = nullptr;
      if (nghttp2_hd_inflate_new(&p) == 0) side.hpack.reset(p);
    }
    ++counter(HttpCounter::kH2Connections);
  }

  flow::Progress on_stream(flow::Direction dir, core::Timestamp ts, core::Bytes bytes) override {
    const bool from_client = dir == flow::Direction::kFromClient;
    Side& side = sides_[from_client ? 0 : 1];
    if (stopped_ || side.hpack == nullptr) return flow::Progress::finished();
    std::size_t used = 0;
    if (from_client && !preface_read_) {
      if (bytes.size() < kHttp2Preface.size()) return flow::Progress::need(kHttp2Preface.size());
      if (!std::equal(kHttp2Preface.begin(), kHttp2Preface.end(), bytes.begin())) return fail();
      preface_read_ = true;
      used = kHttp2Preface.size();
    }
    while (used < bytes.size()) {
      core::Bytes rest = bytes.subspan(used);
      if (side.data_left > 0 || side.skip_left > 0) {  // inside a DATA frame (or one passed over)
        used += take_data(side, from_client, rest);
        continue;
      }
      if (rest.size() < kFrameHeader) return progress(used, kFrameHeader);
      const std::size_t length = std::size_t{rest[0]} << 16 | std::size_t{rest[1]} << 8 | rest[2];
      const std::uint8_t type = rest[3], flags = rest[4];
      const std::uint32_t stream = core::ByteReader::load_u32be(rest.data() + 5) & 0x7fffffffu;
      if (type == frame::kData) {
        // Streamed as it comes: a DATA frame may be as long as 16 MiB.
        std::size_t pad = 0, header = kFrameHeader;
        if (flags & flag::kPadded) {
          if (rest.size() < kFrameHeader + 1) return progress(used, kFrameHeader + 1);
          pad = rest[kFrameHeader];
          header += 1;
          if (length < pad + 1) return fail();
        }
        side.data_stream = stream;
        side.data_end = (flags & flag::kEndStream) != 0;
        side.data_left = length - (header - kFrameHeader) - pad;
        side.skip_left = pad;
        used += header;
        if (side.data_left == 0 && side.skip_left == 0) end_data(side, from_client);
        continue;
      }
      if (length > kMaxBufferedFrame) {
        if (type == frame::kHeaders || type == frame::kContinuation || type == frame::kPushPromise) return fail();
        side.skip_left = length;
        side.data_stream = 0;
        used += kFrameHeader;
        continue;
      }
      if (rest.size() < kFrameHeader + length) return progress(used, kFrameHeader + length);
      if (!on_frame(side, from_client, ts, type, flags, stream, rest.subspan(kFrameHeader, length))) return fail();
      used += kFrameHeader + length;
    }
    return flow::Progress::done(used);
  }

  // Frames cannot be found again after a hole, nor header blocks decoded without what was lost.
  flow::Progress on_gap(flow::Direction, std::uint64_t) override {
    stopped_ = true;
    return flow::Progress::finished();
  }

  flow::Progress on_datagram(flow::Direction, core::Timestamp, core::Bytes) override {
    return flow::Progress::reject();
  }

  void on_close() override {
    stopped_ = true;
    for (auto& [id, s] : streams_) emit(id, s);
    streams_.clear();
  }

  void annotate(flow::FlowRecord& r) override { requests_.annotate(r); }

 private:
  struct Side {
    std::unique_ptr<nghttp2_hd_inflater, InflaterFree> hpack;
    // The header block being read (HEADERS or PUSH_PROMISE, then CONTINUATIONs).
    std::uint32_t block_stream = 0;  // 0: none
    bool block_push = false;         // a PUSH_PROMISE's: the promised stream's request
    bool block_end_stream = false;
    std::vector<std::pair<std::string, std::string>> block_fields;
    std::size_t block_bytes = 0;
    std::uint32_t table_size = 0;  // a new size from the peer's SETTINGS, applied between blocks
    bool table_size_pending = false;
    // The DATA frame being read.
    std::uint32_t data_stream = 0;
    bool data_end = false;
    std::size_t data_left = 0;  // its data still to come
    std::size_t skip_left = 0;  // then padding (or a whole frame passed over)
  };

  core::Counter& counter(HttpCounter c) { return (*context_.counters)[c]; }

  flow::Progress progress(std::size_t used, std::size_t wanted) {
    return used > 0 ? flow::Progress::done(used) : flow::Progress::need(wanted);
  }

  flow::Progress fail() {
    ++counter(HttpCounter::kH2Errors);
    stopped_ = true;
    return flow::Progress::finished();
  }

  std::size_t take_data(Side& side, bool from_client, core::Bytes rest) {
    std::size_t n;
    if (side.data_left > 0) {
      n = std::min(side.data_left, rest.size());
      if (Stream* s = find(side.data_stream)) part(*s, from_client).body.add(rest.first(n));
      side.data_left -= n;
    } else {
      n = std::min(side.skip_left, rest.size());
      side.skip_left -= n;
    }
    if (side.data_left == 0 && side.skip_left == 0) end_data(side, from_client);
    return n;
  }

  void end_data(Side& side, bool from_client) {
    if (side.data_end && side.data_stream != 0) end_part(side.data_stream, from_client);
    side.data_stream = 0;
    side.data_end = false;
  }

  static FieldMessage& part(Stream& s, bool from_client) { return from_client ? s.request : s.response; }

  Stream* find(std::uint32_t id) {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
  }

  Stream* open(std::uint32_t id) {
    if (Stream* s = find(id)) return s;
    if (id == 0 || id <= closed_below_[id & 1]) return nullptr;
    if (streams_.size() >= kMaxHttp2Streams) {
      const auto reset = std::find_if(streams_.begin(), streams_.end(), [](const auto& e) { return e.second.reset; });
      if (reset == streams_.end()) {
        ++counter(HttpCounter::kH2StreamsDropped);
        return nullptr;
      }
      finish(reset->first);
    }
    return &streams_[id];
  }

  bool on_frame(Side& side, bool from_client, core::Timestamp ts, std::uint8_t type, std::uint8_t flags,
                std::uint32_t stream, core::Bytes payload) {
    // Between a header block's frames nothing but its CONTINUATIONs may come (RFC 9113 §6.10).
    if (side.block_stream != 0 && type != frame::kContinuation) return false;
    switch (type) {
      case frame::kHeaders:
      case frame::kPushPromise: {
        if (stream == 0) return false;
        core::ByteReader r(payload);
        const std::size_t pad = (flags & flag::kPadded) ? r.u8() : 0;
        if (type == frame::kHeaders && (flags & flag::kPriority)) r.skip(5);
        std::uint32_t block_stream = stream;
        if (type == frame::kPushPromise) block_stream = r.u32be() & 0x7fffffffu;
        if (!r.ok() || r.remaining() < pad || block_stream == 0) return false;
        side.block_stream = block_stream;
        side.block_push = type == frame::kPushPromise;
        side.block_end_stream = (flags & flag::kEndStream) != 0;
        return read_block(side, from_client, ts, r.rest().first(r.remaining() - pad), (flags & flag::kEndHeaders) != 0);
      }
      case frame::kContinuation:
        if (stream != side.block_stream || stream == 0) return false;
        return read_block(side, from_client, ts, payload, (flags & flag::kEndHeaders) != 0);
      case frame::kSettings: {
        if ((flags & flag::kAck) || payload.size() % 6 != 0) return !(flags & flag::kAck) || payload.empty();
        // SETTINGS_HEADER_TABLE_SIZE bounds the table of the other side's encoder, which the
        // other side's inflater here stands in for.
        Side& peer = sides_[from_client ? 1 : 0];
        for (std::size_t i = 0; i < payload.size(); i += 6)
          if ((std::uint16_t{payload[i]} << 8 | payload[i + 1]) == 1) {
            peer.table_size = std::min(core::ByteReader::load_u32be(payload.data() + i + 2), kMaxTableSize);
            peer.table_size_pending = true;
          }
        if (peer.block_stream == 0) apply_table_size(peer);
        return true;
      }
      case frame::kRstStream:
        // The sender is done with the stream; what the other side sent before it knew is still
        // on its way (a request body behind an early response): the stream waits for its end.
        if (Stream* s = find(stream)) {
          FieldMessage& p = part(*s, from_client);
          if (p.body.present && !p.ended) {
            ++counter(HttpCounter::kCutShort);
            p.body.cut();
          }
          p.ended = true;
          s->reset = true;
          if (s->request.ended && s->response.ended) finish(stream);
        }
        return true;
      default:  // PRIORITY, PING, GOAWAY, WINDOW_UPDATE and unknown types: nothing to read
        return true;
    }
  }

  static bool apply_table_size(Side& side) {
    if (!side.table_size_pending) return true;
    side.table_size_pending = false;
    return nghttp2_hd_inflate_change_table_size(side.hpack.get(), side.table_size) == 0;
  }

  bool read_block(Side& side, bool from_client, core::Timestamp ts, core::Bytes fragment, bool last) {
    static constexpr std::uint8_t kNothing = 0;
    const std::uint8_t* in = fragment.empty() ? &kNothing : fragment.data();
    std::size_t left = fragment.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      const auto n = nghttp2_hd_inflate_hd2(side.hpack.get(), &nv, &flags, in, left, last ? 1 : 0);
      if (n < 0) return false;
      in += n;
      left -= static_cast<std::size_t>(n);
      if (flags & NGHTTP2_HD_INFLATE_EMIT) {
        side.block_bytes += nv.namelen + nv.valuelen;
        if (side.block_bytes <= kMaxListBytes && side.block_fields.size() < kMaxHeaders)
          side.block_fields.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                                         std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
      }
      if (flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(side.hpack.get());
        break;
      }
      if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) break;
    }
    if (!last) return true;
    take_block(side, from_client, ts);
    side.block_stream = 0;
    side.block_fields.clear();
    side.block_bytes = 0;
    return apply_table_size(side);
  }

  // A whole header list: a request's or a response's head, a pushed request, or trailers.
  void take_block(Side& side, bool from_client, core::Timestamp ts) {
    const std::uint32_t id = side.block_stream;
    // A pushed request is the promised stream's; the server's HEADERS on it bring the response.
    const bool request = from_client || side.block_push;
    Stream* s = open(id);
    if (s == nullptr) return;
    FieldMessage& p = request ? s->request : s->response;
    if (side.block_push) s->pushed = true;
    if (p.body.present) {  // trailers: the fields end the message, and are not kept
      if (side.block_end_stream) end_part(id, from_client);
      return;
    }
    // Interim responses (1xx) come before the final one: passed over.
    if (!p.take_head(side.block_fields, request, ts)) return;
    if (request) {
      ++counter(HttpCounter::kRequests);
      requests_.add(p.method, p.authority, p.path, p.field("user-agent"), *context_.counters);
    } else {
      ++counter(HttpCounter::kResponses);
    }
    if (side.block_push || side.block_end_stream) end_part(id, request);
  }

  void end_part(std::uint32_t id, bool request) {
    Stream* s = find(id);
    if (s == nullptr) return;
    FieldMessage& p = request ? s->request : s->response;
    p.ended = true;
    p.body.end();
    if (s->request.ended && s->response.ended) finish(id);
  }

  void finish(std::uint32_t id) {
    const auto it = streams_.find(id);
    if (it == streams_.end()) return;
    emit(id, it->second);
    streams_.erase(it);
    closed_below_[id & 1] = std::max(closed_below_[id & 1], id);
  }

  void emit(std::uint32_t id, Stream& s) {
    emit_exchange(context_, id, "HTTP/2", decrypted_, s.pushed, s.request, s.response);
  }

  HttpContext context_;
  bool decrypted_;
  Side sides_[2];  // [0] the client's frames, [1] the server's
  bool preface_read_ = false;
  bool stopped_ = false;
  // Open streams by ID, handed on in ID order at the close. Streams at or below the highest
  // finished one of their parity are over: their late frames open nothing.
  std::map<std::uint32_t, Stream> streams_;
  std::uint32_t closed_below_[2] = {0, 0};
  FlowRequests requests_;
};

}  // namespace

std::unique_ptr<flow::Dissector> make_http2_dissector(const HttpContext& context, bool decrypted) {
  return std::make_unique<Http2Dissector>(context, decrypted);
}

}  // namespace tattle::dissect
