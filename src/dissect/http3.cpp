#include "dissect/http3.hpp"

#include <algorithm>
#include <optional>

#include <nghttp3/nghttp3.h>

#include "dissect/quic_packet.hpp"

namespace tattle::dissect {

namespace {

constexpr std::uint64_t kData = 0x00, kHeaders = 0x01;
constexpr std::uint64_t kEncoderStream = 0x02;
// The dynamic table a decoder allows an encoder at most: above the 4 KiB and 64 KiB that
// implementations announce, bounded so that a hostile encoder stream cannot ask for more.
constexpr std::size_t kMaxTable = 1 << 20;
constexpr std::size_t kMaxBlockedStreams = 128;
constexpr std::size_t kMaxFields = 128;

bool client_initiated(std::uint64_t id) { return (id & 1) == 0; }
bool bidirectional(std::uint64_t id) { return (id & 2) == 0; }

// A varint at the front of `bytes`: its value and size, or nothing while it is not whole.
std::optional<std::pair<std::uint64_t, std::size_t>> peek_varint(core::Bytes bytes) {
  if (bytes.empty()) return std::nullopt;
  const std::size_t size = std::size_t{1} << (bytes[0] >> 6);
  if (bytes.size() < size) return std::nullopt;
  core::ByteReader r(bytes.first(size));
  return std::pair{quic_varint(r), size};
}

}  // namespace

struct Http3Connection::Decoder {
  Decoder() { nghttp3_qpack_decoder_new(&decoder, kMaxTable, kMaxBlockedStreams, nghttp3_mem_default()); }
  ~Decoder() {
    if (decoder != nullptr) nghttp3_qpack_decoder_del(decoder);
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  enum class Result { kDone, kBlocked, kFailed };
  // Decodes one field section of stream `id` into `out` (bounded).
  Result decode(std::uint64_t id, core::Bytes section, std::vector<std::pair<std::string, std::string>>& out) {
    if (decoder == nullptr || failed) return Result::kFailed;
    nghttp3_qpack_stream_context* sctx = nullptr;
    if (nghttp3_qpack_stream_context_new(&sctx, static_cast<std::int64_t>(id & ((std::uint64_t{1} << 62) - 1)),
                                         nghttp3_mem_default()) != 0)
      return Result::kFailed;
    const std::uint8_t* in = section.data();
    std::size_t left = section.size();
    Result result = Result::kFailed;
    for (;;) {
      nghttp3_qpack_nv nv;
      std::uint8_t flags = 0;
      const auto n = nghttp3_qpack_decoder_read_request(decoder, sctx, &nv, &flags, in, left, 1);
      if (n < 0) break;
      in += n;
      left -= static_cast<std::size_t>(n);
      if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
        const nghttp3_vec name = nghttp3_rcbuf_get_buf(nv.name), value = nghttp3_rcbuf_get_buf(nv.value);
        if (out.size() < kMaxFields)
          out.emplace_back(std::string(reinterpret_cast<const char*>(name.base), name.len),
                           std::string(reinterpret_cast<const char*>(value.base), value.len));
        nghttp3_rcbuf_decref(nv.name);
        nghttp3_rcbuf_decref(nv.value);
      }
      if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) {
        result = Result::kDone;
        break;
      }
      if (flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) {
        result = Result::kBlocked;
        break;
      }
      if (left == 0 && !(flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT)) break;
    }
    nghttp3_qpack_stream_context_del(sctx);
    return result;
  }

  // The encoder stream's next bytes; false once it could not be read (the decoder then fails).
  bool read_encoder(core::Bytes data) {
    if (decoder == nullptr || failed) return false;
    failed = nghttp3_qpack_decoder_read_encoder(decoder, data.data(), data.size()) < 0;
    return !failed;
  }

  nghttp3_qpack_decoder* decoder = nullptr;
  bool failed = false;
};

Http3Connection::Http3Connection(const HttpContext& context) : context_(context) {
  decoders_[0] = std::make_unique<Decoder>();
  decoders_[1] = std::make_unique<Decoder>();
  ++(*context_.counters)[HttpCounter::kH3Connections];
}

Http3Connection::~Http3Connection() = default;

void Http3Connection::on_stream(std::uint64_t id, bool from_client, core::Bytes data, bool fin, core::Timestamp ts) {
  if (bidirectional(id)) {
    if (client_initiated(id)) on_request(id, from_client, data, fin, ts);
    return;  // server-initiated bidirectional streams are not HTTP/3's (RFC 9114 §6.1)
  }
  on_uni(id, from_client, data);
  blocked_ts_ = ts;
}

void Http3Connection::on_uni(std::uint64_t id, bool from_client, core::Bytes data) {
  Reader& r = uni_[{id, from_client}];
  if (r.stopped || data.empty()) return;
  if (!r.typed) {
    // The stream type first (RFC 9114 §6.2), which may come a byte at a time.
    r.pending.insert(r.pending.end(), data.begin(), data.end());
    const auto type = peek_varint(r.pending);
    if (!type) return;
    r.typed = true;
    r.type = type->first;
    if (r.type != kEncoderStream) {  // control, push, decoder and unknown streams: not read
      r.stopped = true;
      r.pending = {};
      return;
    }
    std::vector<std::uint8_t> rest(r.pending.begin() + static_cast<std::ptrdiff_t>(type->second), r.pending.end());
    r.pending = {};
    data = {};
    if (!rest.empty() && !decoders_[from_client ? 0 : 1]->read_encoder(rest)) ++(*context_.counters)[HttpCounter::kH3Errors];
  } else if (!decoders_[from_client ? 0 : 1]->read_encoder(data)) {
    ++(*context_.counters)[HttpCounter::kH3Errors];
    r.stopped = true;
  }
  retry_blocked(from_client, blocked_ts_);
}

void Http3Connection::on_request(std::uint64_t id, bool from_client, core::Bytes data, bool fin, core::Timestamp ts) {
  auto it = requests_by_id_.find(id);
  if (it == requests_by_id_.end()) {
    if (requests_by_id_.size() >= kMaxStreams) return;
    it = requests_by_id_.emplace(id, Request{}).first;
  }
  Request& req = it->second;
  const int side = from_client ? 0 : 1;
  Reader& r = req.readers[side];
  FieldMessage& m = req.message[side];
  while (!data.empty() && !r.stopped) {
    if (!r.in_frame) {  // a frame's type and length (RFC 9114 §7.1)
      const std::size_t before = r.pending.size();
      const std::size_t take = std::min<std::size_t>(data.size(), 16 - std::min<std::size_t>(16, before));
      r.pending.insert(r.pending.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
      const auto type = peek_varint(r.pending);
      const auto length = type ? peek_varint(core::Bytes(r.pending).subspan(type->second)) : std::nullopt;
      if (!length) {
        data = data.subspan(take);
        continue;
      }
      const std::size_t header = type->second + length->second;
      data = data.subspan(header - before);  // what of this call's bytes was the header
      r.frame_type = type->first;
      r.left = length->first;
      r.in_frame = true;
      r.pending.clear();
      if (r.frame_type == kHeaders && r.left > kMaxSection) {
        ++(*context_.counters)[HttpCounter::kH3Errors];
        r.stopped = true;
        break;
      }
    } else {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(r.left, data.size()));
      if (r.frame_type == kData && m.body.present) {
        m.body.add(data.first(n));
      } else if (r.frame_type == kData && !req.blocked[side].empty()) {  // the head waits: so does its body
        const std::size_t keep = std::min(n, kMaxSection - std::min(kMaxSection, req.early[side].size()));
        req.early[side].insert(req.early[side].end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(keep));
      }
      else if (r.frame_type == kHeaders) r.pending.insert(r.pending.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
      r.left -= n;
      data = data.subspan(n);
    }
    if (r.in_frame && r.left == 0) {
      r.in_frame = false;
      if (r.frame_type == kHeaders) {
        req.blocked[side] = std::move(r.pending);
        r.pending = {};
        take_section(id, req, from_client, ts);
      }
    }
  }
  if (fin) {
    m.ended = true;
    if (m.body.present) m.body.end();
    if (req.message[0].ended && req.message[1].ended && req.blocked[0].empty() && req.blocked[1].empty()) {
      emit(id, req);
      requests_by_id_.erase(id);
    }
  }
}

// The header section waiting in `r.blocked[side]`: decoded now, or left waiting for the encoder.
void Http3Connection::take_section(std::uint64_t id, Request& r, bool from_client, core::Timestamp ts) {
  const int side = from_client ? 0 : 1;
  std::vector<std::pair<std::string, std::string>> fields;
  switch (decoders_[side]->decode(id, r.blocked[side], fields)) {
    case Decoder::Result::kBlocked:
      return;
    case Decoder::Result::kFailed:
      ++(*context_.counters)[HttpCounter::kH3Errors];
      r.blocked[side] = {};
      return;
    case Decoder::Result::kDone:
      break;
  }
  r.blocked[side] = {};
  FieldMessage& m = r.message[side];
  if (m.body.present) return;  // trailers: not kept
  if (!m.take_head(fields, from_client, ts)) return;  // an interim response
  m.body.add(r.early[side]);
  r.early[side] = {};
  if (m.ended) m.body.end();  // the section waited for the encoder stream past the stream's end
  if (from_client) {
    ++(*context_.counters)[HttpCounter::kRequests];
    requests_.add(m.method, m.authority, m.path, m.field("user-agent"), *context_.counters);
  } else {
    ++(*context_.counters)[HttpCounter::kResponses];
  }
}

void Http3Connection::retry_blocked(bool from_client, core::Timestamp ts) {
  const int side = from_client ? 0 : 1;
  for (auto it = requests_by_id_.begin(); it != requests_by_id_.end();) {
    Request& r = it->second;
    if (!r.blocked[side].empty()) take_section(it->first, r, from_client, ts);
    if (r.message[0].ended && r.message[1].ended && r.blocked[0].empty() && r.blocked[1].empty()) {
      emit(it->first, r);
      it = requests_by_id_.erase(it);
    } else {
      ++it;
    }
  }
}

void Http3Connection::finish() {
  for (auto& [id, r] : requests_by_id_) emit(id, r);
  requests_by_id_.clear();
}

void Http3Connection::emit(std::uint64_t id, Request& r) {
  emit_exchange(context_, id, "HTTP/3", true, false, r.message[0], r.message[1]);
}

}  // namespace tattle::dissect
