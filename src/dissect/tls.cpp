#include "dissect/tls.hpp"

#include <algorithm>
#include <vector>

#include "dissect/tls_client_hello.hpp"
#include "flow/flow_record.hpp"

namespace tattle::dissect {

std::string_view counter_name(TlsCounter c) {
  switch (c) {
    case TlsCounter::kClientHellos: return "client_hellos";
    case TlsCounter::kMalformed: return "malformed";
    case TlsCounter::kTooLarge: return "too_large";
    case TlsCounter::kCount: break;
  }
  return "?";
}

namespace {

constexpr std::size_t kRecordHeader = 5;
constexpr std::size_t kHandshakeHeader = 4;
constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kClientHelloType = 1;
constexpr std::size_t kMaxRecord = (1 << 14) + 2048;  // RFC 8446 §5.2: TLSCiphertext at most

class TlsDissector final : public flow::Dissector {
 public:
  TlsDissector(core::Counters<TlsCounter>& counters, decrypt::KeyLog* keylog)
      : counters_(counters), keylog_(keylog) {}

  flow::Progress on_stream(flow::Direction dir, core::Timestamp, core::Bytes bytes) override {
    // The server's bytes, and the client's after its ClientHello, are of no use here.
    if (dir != flow::Direction::kFromClient || state_ != State::kReading) return flow::Progress::finished();
    std::size_t used = 0;
    while (state_ == State::kReading) {
      const core::Bytes rest = bytes.subspan(used);
      if (rest.size() < kRecordHeader) return need_or_done(used, kRecordHeader);
      const std::size_t length = std::size_t{rest[3]} << 8 | rest[4];
      if (rest[0] != kHandshakeRecord || rest[1] != 3 || length == 0 || length > kMaxRecord) {
        fail(TlsCounter::kMalformed);
        break;
      }
      if (rest.size() < kRecordHeader + length) return need_or_done(used, kRecordHeader + length);
      const core::Bytes fragment = rest.subspan(kRecordHeader, length);
      handshake_.insert(handshake_.end(), fragment.begin(), fragment.end());
      used += kRecordHeader + length;
      take_client_hello();
    }
    return flow::Progress::finished();
  }

  flow::Progress on_gap(flow::Direction dir, std::uint64_t) override {
    if (dir != flow::Direction::kFromClient || state_ != State::kReading) return flow::Progress::finished();
    fail(TlsCounter::kMalformed);
    return flow::Progress::finished();
  }

  flow::Progress on_datagram(flow::Direction, core::Timestamp, core::Bytes) override {
    return flow::Progress::reject();
  }

  void annotate(flow::FlowRecord& r) override {
    if (state_ != State::kRead) return;
    r.ja4 = ja4(hello_, 't');
    r.tls_versions = offered_versions(hello_);
    r.add_name(hello_.sni, flow::NameSource::kSni);
    if (keylog_ != nullptr) keylog_->has(hello_.random);
    r.alpn = std::move(hello_.alpn);
    r.sni = std::move(hello_.sni);
  }

 private:
  enum class State : std::uint8_t { kReading, kRead, kGivenUp };

  // Not a whole record yet: hand back what was used, or ask for the rest of the record.
  flow::Progress need_or_done(std::size_t used, std::size_t wanted) {
    return used > 0 ? flow::Progress::done(used) : flow::Progress::need(wanted);
  }

  void take_client_hello() {
    if (handshake_.size() < kHandshakeHeader) return;
    const std::size_t length =
        std::size_t{handshake_[1]} << 16 | std::size_t{handshake_[2]} << 8 | handshake_[3];
    if (handshake_[0] != kClientHelloType) return fail(TlsCounter::kMalformed);
    if (length > kMaxClientHello) return fail(TlsCounter::kTooLarge);
    if (handshake_.size() < kHandshakeHeader + length) return;
    const core::Bytes body(handshake_.data() + kHandshakeHeader, length);
    if (!parse_client_hello(body, hello_)) return fail(TlsCounter::kMalformed);
    ++counters_[TlsCounter::kClientHellos];
    state_ = State::kRead;
    release();
  }

  void fail(TlsCounter why) {
    ++counters_[why];
    state_ = State::kGivenUp;
    release();
  }

  void release() {
    handshake_.clear();
    handshake_.shrink_to_fit();
  }

  core::Counters<TlsCounter>& counters_;
  decrypt::KeyLog* keylog_;
  State state_ = State::kReading;
  std::vector<std::uint8_t> handshake_;  // handshake bytes gathered from the records so far
  ClientHello hello_;
};

}  // namespace

std::unique_ptr<flow::Dissector> make_tls_dissector(core::Counters<TlsCounter>& counters, decrypt::KeyLog* keylog) {
  return std::make_unique<TlsDissector>(counters, keylog);
}

bool looks_like_tls(core::Bytes bytes) {
  return bytes.size() >= 2 && bytes[0] == kHandshakeRecord && bytes[1] == 3;
}

}  // namespace tattle::dissect
