#include "dissect/content_coding.hpp"

#include <algorithm>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include "core/ascii.hpp"

namespace tattle::dissect {

namespace {

// RFC 9659 §3: HTTP's zstd decoders need not accept windows over 8 MiB; a larger window is a
// request for that much memory, which a hostile body must not get.
constexpr int kZstdWindowLog = 23;
// Output is made in steps of this much, so that a small body does not cost a whole limit's buffer.
constexpr std::size_t kStep = 16 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

BodyDecoder::Coding coding_of(std::string_view v) {
  v = trim(v);
  if (v.empty() || core::equals_lower(v, "identity")) return BodyDecoder::Coding::kIdentity;
  if (core::equals_lower(v, "gzip") || core::equals_lower(v, "x-gzip")) return BodyDecoder::Coding::kGzip;
  if (core::equals_lower(v, "deflate")) return BodyDecoder::Coding::kDeflate;
  if (core::equals_lower(v, "br")) return BodyDecoder::Coding::kBrotli;
  if (core::equals_lower(v, "zstd")) return BodyDecoder::Coding::kZstd;
  return BodyDecoder::Coding::kUnsupported;
}

}  // namespace

// One of the three decompressors, by the body's coding.
struct BodyDecoder::State {
  enum class Step : std::uint8_t { kMore, kEnd, kError };
  virtual ~State() = default;
  // Decodes from `in` into `out` (advancing both); kEnd once the coded stream is whole.
  virtual Step run(core::Bytes& in, std::uint8_t*& out, std::size_t& room) = 0;
};

namespace {

// gzip (RFC 1952, members one after another) and deflate, which RFC 9110 says is zlib's format
// (RFC 1950) but which some servers send as raw deflate (RFC 1951): told apart by its header.
class ZlibState final : public BodyDecoder::State {
 public:
  explicit ZlibState(bool gzip) : gzip_(gzip) {}
  ~ZlibState() override {
    if (started_) inflateEnd(&z_);
  }

  Step run(core::Bytes& in, std::uint8_t*& out, std::size_t& room) override {
    if (!started_) {
      if (in.empty()) return Step::kMore;
      // zlib's first byte names deflate with a window of at most 32 KiB (RFC 1950 §2.2); a raw
      // stream's first byte seldom looks so, and the first byte alone decides, as it may come alone.
      const bool zlib_header = gzip_ || ((in[0] & 0x0f) == 8 && (in[0] >> 4) <= 7);
      if (inflateInit2(&z_, gzip_ ? 15 + 16 : zlib_header ? 15 : -15) != Z_OK) return Step::kError;
      started_ = true;
    }
    z_.next_in = const_cast<Bytef*>(in.data());  // zlib's API is not const-correct; it does not write
    z_.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size(), 1u << 30));
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&z_, Z_NO_FLUSH);
    in = in.subspan(static_cast<std::size_t>(z_.next_in - in.data()));
    room -= static_cast<std::size_t>(z_.next_out - out);
    out = z_.next_out;
    if (rc == Z_STREAM_END) {
      // A gzip body may hold several members; what follows the last is not ours to read.
      if (gzip_ && in.size() >= 2 && in[0] == 0x1f && in[1] == 0x8b && inflateReset(&z_) == Z_OK) return Step::kMore;
      return Step::kEnd;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) return Step::kMore;
    return Step::kError;
  }

 private:
  bool gzip_;
  bool started_ = false;
  z_stream z_{};
};

class BrotliState final : public BodyDecoder::State {
 public:
  BrotliState() : s_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~BrotliState() override { BrotliDecoderDestroyInstance(s_); }

  Step run(core::Bytes& in, std::uint8_t*& out, std::size_t& room) override {
    if (s_ == nullptr) return Step::kError;
    std::size_t avail_in = in.size();
    const std::uint8_t* next_in = in.data();
    const auto rc = BrotliDecoderDecompressStream(s_, &avail_in, &next_in, &room, &out, nullptr);
    in = in.subspan(in.size() - avail_in);
    switch (rc) {
      case BROTLI_DECODER_RESULT_SUCCESS: return Step::kEnd;
      case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
      case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: return Step::kMore;
      case BROTLI_DECODER_RESULT_ERROR: break;
    }
    return Step::kError;
  }

 private:
  BrotliDecoderState* s_;
};

class ZstdState final : public BodyDecoder::State {
 public:
  ZstdState() : d_(ZSTD_createDCtx()) {
    if (d_ != nullptr) ZSTD_DCtx_setParameter(d_, ZSTD_d_windowLogMax, kZstdWindowLog);
  }
  ~ZstdState() override { ZSTD_freeDCtx(d_); }

  Step run(core::Bytes& in, std::uint8_t*& out, std::size_t& room) override {
    if (d_ == nullptr) return Step::kError;
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    ZSTD_outBuffer ob{out, room, 0};
    const std::size_t rc = ZSTD_decompressStream(d_, &ob, &ib);
    in = in.subspan(ib.pos);
    out += ob.pos;
    room -= ob.pos;
    if (ZSTD_isError(rc) != 0) return Step::kError;
    return rc == 0 ? Step::kEnd : Step::kMore;
  }

 private:
  ZSTD_DCtx* d_;
};

}  // namespace

BodyDecoder::BodyDecoder(std::string_view content_encoding, std::size_t limit)
    : coding_(coding_of(content_encoding)), limit_(limit) {
  switch (coding_) {
    case Coding::kGzip: state_ = std::make_unique<ZlibState>(true); break;
    case Coding::kDeflate: state_ = std::make_unique<ZlibState>(false); break;
    case Coding::kBrotli: state_ = std::make_unique<BrotliState>(); break;
    case Coding::kZstd: state_ = std::make_unique<ZstdState>(); break;
    case Coding::kUnsupported: error_ = "unsupported_encoding"; break;
    case Coding::kIdentity: break;
  }
}

BodyDecoder::~BodyDecoder() = default;
BodyDecoder::BodyDecoder(BodyDecoder&&) noexcept = default;
BodyDecoder& BodyDecoder::operator=(BodyDecoder&&) noexcept = default;

void BodyDecoder::keep_raw(core::Bytes in) {
  const std::size_t n = std::min(in.size(), limit_ - out_.size());
  out_.insert(out_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
  if (n < in.size()) cut_ = true;
}

void BodyDecoder::fail(std::string_view why) {
  error_ = why;
  state_.reset();
}

void BodyDecoder::feed(core::Bytes in) {
  if (in.empty() || cut_) return;
  fed_ = true;
  if (state_ == nullptr) {
    // Identity and unknown codings are kept as carried; after an error or the end, nothing more.
    if (coding_ == Coding::kIdentity || coding_ == Coding::kUnsupported) keep_raw(in);
    return;
  }
  for (;;) {
    const std::size_t before = out_.size();
    std::size_t room = std::min(kStep, limit_ - before);
    out_.resize(before + room);
    std::uint8_t* out = out_.data() + before;
    const std::size_t in_before = in.size();
    const State::Step step = state_->run(in, out, room);
    out_.resize(static_cast<std::size_t>(out - out_.data()));
    if (step == State::Step::kError) return fail("corrupt_encoding");
    if (step == State::Step::kEnd) {
      ended_ = true;
      state_.reset();
      return;
    }
    if (out_.size() == limit_) {  // full, and the coded stream goes on: the rest is not decoded
      cut_ = true;
      state_.reset();
      return;
    }
    // Room left over means the decoder has given all it can of the input so far; room used up,
    // that it may have more to give even without more input.
    if (room > 0 && (in.empty() || (in.size() == in_before && out_.size() == before))) return;
  }
}

void BodyDecoder::finish() {
  // No body at all (HEAD, 304) is no coded stream, not a broken one.
  if (state_ != nullptr && !ended_ && fed_) fail("corrupt_encoding");
  state_.reset();
}

}  // namespace tattle::dissect
